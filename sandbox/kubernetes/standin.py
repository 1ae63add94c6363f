"""KubernetesStandIn: the EKS cluster's API server for the sandbox, on a thread of its own.

The sandbox is synchronous, kmock is asyncio: the stand-in serves HTTPS on 127.0.0.1 (its own CA) from an
event loop on a daemon thread, and its synchronous helpers run on that loop (sharing the lock and the watch
buses with HTTP clients) without authentication, as a controller with its own credentials would.
"""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp.web

from sandbox.faults import Faults
from sandbox.kubernetes import rbac, semantics, tls
from sandbox.kubernetes.auth import TokenVerifier
from sandbox.kubernetes.events import EventCorrelator
from sandbox.kubernetes.server import Emulator

HELM_MANAGER = "helm"


class KubernetesStandIn:
    def __init__(self, cluster_name: str, credentials: Mapping[str, str], *, faults: Faults | None = None) -> None:
        self.cluster_name = cluster_name
        self.verifier = TokenVerifier(cluster_name, credentials)
        self.emulator = Emulator(verifier=self.verifier)
        self.set_faults(faults)
        self.ca_pem, self._cert_pem, self._key_pem = tls.make_serving_material(cluster_name)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._stopping: asyncio.Event | None = None
        self._correlator = EventCorrelator()
        self._event_names: dict[tuple[str, ...], str] = {}

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("the Kubernetes stand-in is not started")
        return f"https://127.0.0.1:{self._port}"

    def start(self) -> "KubernetesStandIn":
        if self._thread is not None:
            return self
        ready, failure = threading.Event(), []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(self._serve(ready))
            except BaseException as e:  # noqa: BLE001 - reported to start()
                failure.append(e)
                ready.set()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name=f"kube-standin-{self.cluster_name}", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure or self._port is None:
            self._thread = None
            raise RuntimeError(f"the Kubernetes stand-in did not start: {failure!r}")
        return self

    async def _serve(self, ready: threading.Event) -> None:
        self._stopping = asyncio.Event()
        async with self.emulator:
            runner = aiohttp.web.ServerRunner(aiohttp.web.Server(self.emulator), access_log=None)
            await runner.setup()
            site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0,
                                       ssl_context=tls.server_context(self._cert_pem, self._key_pem))
            await site.start()
            self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # started: it has a server
            ready.set()
            await self._stopping.wait()
            await runner.cleanup()

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._stopping.set)  # type: ignore[union-attr]  # set before start() returns
        self._thread.join(10)
        self._thread, self._port = None, None

    # -- synchronous helpers (no authentication: the caller is the sandbox itself) --------------------------------
    def _call(self, operation: Callable[..., Any], kind_plural: str, *args: Any, **kwargs: Any) -> Any:
        """Run an emulator operation on the stand-in's loop, under the lock HTTP requests take."""
        if self._loop is None or self._thread is None:
            raise RuntimeError("the Kubernetes stand-in is not started")

        async def locked() -> Any:
            async with self.emulator._lock:
                result = operation(semantics.BY_PLURAL[kind_plural], *args, **kwargs)
                return await result if asyncio.iscoroutine(result) else result

        return asyncio.run_coroutine_threadsafe(locked(), self._loop).result(30)

    def get(self, kind_plural: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        return self._call(self.emulator._current, kind_plural, namespace, name)

    def list(self, kind_plural: str, namespace: str | None = None, *,
             field_selector: str | None = None) -> list[dict[str, Any]]:
        return self._call(self.emulator.op_list, kind_plural, namespace, field_selector)["items"]

    def create(self, kind_plural: str, namespace: str | None, body: dict[str, Any], *,
               manager: str = "sandbox") -> dict[str, Any]:
        """Create as the API would, except that ``status`` in the body is kept (seeding)."""
        return self._call(self.emulator.op_create, kind_plural, namespace, body, manager, internal=True)

    def patch(self, kind_plural: str, namespace: str | None, name: str, patch: dict[str, Any], *,
              content_type: str = "application/merge-patch+json", manager: str = "sandbox") -> dict[str, Any]:
        return self._call(self.emulator.op_patch, kind_plural, namespace, name, content_type, patch, manager)

    def apply(self, kind_plural: str, namespace: str | None, name: str, config: dict[str, Any], *,
              manager: str, force: bool = False) -> dict[str, Any]:
        """Server-side apply (``application/apply-patch+yaml``) as ``manager``: conflicts refused unless ``force``."""
        return self._call(self.emulator.op_apply, kind_plural, namespace, name, config, manager, force)

    def delete(self, kind_plural: str, namespace: str | None, name: str) -> dict[str, Any]:
        return self._call(self.emulator.op_delete, kind_plural, namespace, name)

    def put_status(self, kind_plural: str, namespace: str | None, name: str, status: dict[str, Any], *,
                   manager: str = "sandbox") -> dict[str, Any]:
        """Replace an object's ``status`` (what a controller does through the status subresource)."""
        return self._call(self.emulator.op_update, kind_plural, namespace, name, {"status": status}, manager,
                          subresource="status")

    def record_event(self, namespace: str, involved_kind: str, involved_name: str, type_: str, reason: str,
                     message: str, source_component: str) -> dict[str, Any] | None:
        """Record a core/v1 Event on an object as client-go's recorder does (``events.EventCorrelator``):
        repeats are counted, similar ones combined, a flood dropped (None)."""
        kind = next(k for k in semantics.KINDS if k.kind == involved_kind)
        involved = {"kind": kind.kind, "namespace": namespace, "name": involved_name, "apiVersion": kind.api_version}
        obj = self.get(kind.plural, namespace, involved_name)
        if obj:
            involved.update(uid=obj["metadata"]["uid"], resourceVersion=obj["metadata"]["resourceVersion"])
        correlated = self._correlator.correlate((kind.kind, namespace, involved_name, involved.get("uid", "")),
                                                type_, reason, message, source_component)
        if correlated is None:
            return None
        key, message = correlated
        event = self._call(self.emulator.op_event, "events", namespace, involved, type_, reason, message,
                           source_component, self._event_names.get(key))
        self._event_names[key] = event["metadata"]["name"]
        return event

    def forget_event_names(self) -> None:
        """Events deleted (sandbox/reset.py): the next of a kind is a new Event, not a count on a gone one."""
        self._event_names.clear()

    def events_for(self, namespace: str, involved_kind: str, involved_name: str) -> builtins.list[dict[str, Any]]:
        return self.list("events", namespace,
                         field_selector=f"involvedObject.kind={involved_kind},involvedObject.name={involved_name}")

    def deny(self, namespace: str) -> None:
        """RBAC refusal (403) of every request in ``namespace``."""
        self.emulator.denied_namespaces.add(namespace)

    def set_faults(self, faults: Faults | None) -> None:
        """Answer a share of HTTP calls with the API server's faults (``sandbox/kubernetes/faults.py``), from
        ``faults``' seed on (its ``kube`` target; the rest is moto's); None turns them off. The sandbox's own
        helpers above never meet them."""
        kube = faults.only("kube") if faults is not None else None
        self.emulator.faults = kube.dice() if kube is not None and kube.rates else None

    @property
    def faults_thrown(self) -> builtins.list[str]:
        return list(self.emulator.faults.thrown) if self.emulator.faults is not None else []

    def allow(self) -> None:
        self.emulator.denied_namespaces.clear()

    def add_identity(self, access_key_id: str, secret: str, username: str, groups: builtins.list[str]) -> None:
        """What an EKS access entry does: these credentials authenticate as ``username`` in ``groups``.

        Keys without an identity (the sandbox's own ``testing``) act as the cluster's creator, an admin.
        """
        self.verifier.credentials[access_key_id] = secret
        self.emulator.identities[access_key_id] = rbac.User(username, tuple(groups))

    def apply_manifest(self, manifest: Mapping[str, Any]) -> builtins.list[str]:
        """``kubectl apply -f``: each item of a ``kind: List`` created or replaced as the operator (an admin)."""
        applied = []
        for item in manifest.get("items", [manifest]) if manifest.get("kind") == "List" else [manifest]:
            kind = next(k for k in semantics.KINDS if k.kind == item["kind"] and k.api_version == item["apiVersion"])
            namespace = item["metadata"].get("namespace") if kind.namespaced else None
            if self.get(kind.plural, namespace, item["metadata"]["name"]) is not None:
                self.delete(kind.plural, namespace, item["metadata"]["name"])
            self.create(kind.plural, namespace, dict(item), manager="kubectl")
            applied.append(f"{kind.plural}/{item['metadata']['name']}")
        return applied

    @property
    def auth_failures(self) -> builtins.list[str]:
        return list(self.emulator.auth_failures)

    # -- seeding ---------------------------------------------------------------------------------------------------
    def ensure_namespace(self, namespace: str) -> dict[str, Any]:
        return self.get("namespaces", None, namespace) or self.create(
            "namespaces", None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})

    def seed_service(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        """Create a Service as Helm installed it, with its Layer-4 address.

        A LoadBalancer Service gets the address the cloud's service controller
        writes to ``status.loadBalancer`` once its NLB exists (stable per Service).
        """
        body = json.loads(json.dumps(manifest))
        namespace = (body.get("metadata") or {}).get("namespace") or "default"
        self.ensure_namespace(namespace)
        created = self.create("services", namespace, body, manager=HELM_MANAGER)
        if (created.get("spec") or {}).get("type") != "LoadBalancer":
            return created
        name = created["metadata"]["name"]
        digest = hashlib.sha256(f"{self.cluster_name}/{namespace}/{name}".encode()).hexdigest()
        hostname = f"k8s-{namespace[:8]}-{name[:8]}-{digest[:10]}-{digest[10:26]}.elb.us-east-1.amazonaws.com"
        address = {"loadBalancer": {"ingress": [{"hostname": hostname}]}}
        return self.put_status("services", namespace, name, address, manager="service-controller")
