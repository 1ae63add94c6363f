"""The Layer-4 load balancer of a LoadBalancer Service: the cloud's service controller and the NLB's data plane.

On EKS a Service of type LoadBalancer gets its load balancer from the cloud
provider's service controller (k8s.io/cloud-provider
``controllers/service/controller.go`` at 46666112f47d, ``syncLoadBalancerIfNeeded``),
and this stand-in does what that controller does, in its order:

- a Service that wants a load balancer (type LoadBalancer, no
  ``loadBalancerClass``: ``wantsLoadBalancer``) gets the Normal event
  ``EnsuringLoadBalancer``, then the finalizer
  ``service.kubernetes.io/load-balancer-cleanup`` ("Always add a finalizer
  prior to creating load balancers"), then, once the load balancer exists
  (``provision_delay`` later), ``status.loadBalancer.ingress[0].hostname`` and
  ``EnsuredLoadBalancer``;
- the name is not a load balancer that serves: ELB names a Network Load
  Balancer while it is still ``provisioning``, and it routes only "as soon as
  the registration process completes and the targets pass the initial health
  checks. It can take a few minutes for the registration process to complete
  and health checks to start" (ELB user guide, "Register targets for your
  Network Load Balancer"). So the name's ports refuse connections for
  ``serve_delay`` after the name is given (those minutes, shortened as the
  sandbox's other delays are), then the proxies serve;
- a Service that holds the finalizer but no longer wants one (another type,
  or being deleted: ``needsCleanup``) has its load balancer deleted
  (``DeletingLoadBalancer``), then the finalizer removed, then
  ``DeletedLoadBalancer``; the API server itself empties
  ``status.loadBalancer`` when the type changes (``dropTypeDependentFields``).

The name is the cloud provider's ``DefaultLoadBalancerName`` (``"a"`` and the
Service's UID without dashes, at most 32 characters, ``cloud.go``), and ELB
gives every new load balancer its own DNS name, ``<name>-<16 hex>.elb.<region>.amazonaws.com``
for a Network Load Balancer: a Service that leaves LoadBalancer and comes back
has a fresh address, and the old one no longer answers.

The data plane is a TCP proxy per Service port on 127.0.0.1, in front of the
sandbox's one Milvus (an NLB passes TCP through; Milvus speaks plain gRPC).
``on_change`` receives the name -> port map (None for a name whose load
balancer is gone) for the Lambdas' resolver shim (sandbox/aws/lambda_shim).
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from sandbox.polling import PollingThread

log = logging.getLogger(__name__)
FINALIZER = "service.kubernetes.io/load-balancer-cleanup"  # cloud-provider service/helpers/helper.go
COMPONENT = "service-controller"
Endpoints = dict[str, dict[str, int] | None]  # NLB name -> {service port: local port}, None once deleted


class TcpProxy:
    """Accepts on a free 127.0.0.1 port and pipes each connection to ``upstream_port``; ``close`` drops them all."""

    def __init__(self, upstream_port: int, *, host: str = "127.0.0.1") -> None:
        self.upstream = (host, upstream_port)
        self._listener = socket.create_server((host, 0))
        self.port = int(self._listener.getsockname()[1])
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, name=f"nlb-proxy-{self.port}", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()  # no target answers: the NLB resets the connection
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                self._drop(end)

    def _drop(self, end: socket.socket) -> None:
        with self._lock:
            self._open.discard(end)
        try:
            end.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        end.close()

    def close(self) -> None:
        self._closed = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (close alone does not, on Linux)
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            ends = list(self._open)
        for end in ends:
            self._drop(end)


def default_load_balancer_name(uid: str) -> str:
    """cloud.go ``DefaultLoadBalancerName``: "a" + the UID without dashes, cut to 32 characters (AWS's limit)."""
    return ("a" + uid.replace("-", ""))[:32]


def nlb_dns_name(uid: str, region: str) -> str:
    """A new NLB's DNS name: the load balancer's name and 16 hex digits ELB chose for this one."""
    return f"{default_load_balancer_name(uid)}-{secrets.token_hex(8)}.elb.{region}.amazonaws.com"


def address_of(service: dict[str, Any]) -> str | None:
    entries = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return (entries[0].get("hostname") or entries[0].get("ip")) if entries else None


def wants_load_balancer(service: dict[str, Any]) -> bool:
    spec = service.get("spec") or {}
    return spec.get("type") == "LoadBalancer" and spec.get("loadBalancerClass") is None


class ServiceControllerStandIn:
    """The cloud's service controller for the sandbox's LoadBalancer Services, NLBs included."""

    def __init__(self, kube: Any, *, backend_port: int, region: str = "us-east-1", provision_delay: float = 2.0,
                 serve_delay: float = 2.0, poll_interval: float = 0.2,
                 on_change: Callable[[Endpoints], None] | None = None) -> None:
        self.kube, self.backend_port, self.region = kube, backend_port, region
        self.provision_delay, self.serve_delay, self.on_change = provision_delay, serve_delay, on_change
        self.endpoints: Endpoints = {}
        self.errors: list[str] = []
        # ns/name -> {"due"} (being created), {"hostname", "closed", "serves_at"} (named), {"hostname", "proxies"}
        self._balancers: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()
        self._loop = PollingThread(self._tick, interval=poll_interval, name="service-controller-standin")

    def start(self) -> ServiceControllerStandIn:
        self._loop.start()
        return self

    def stop(self) -> None:
        self._loop.stop()
        with self._lock:
            for balancer in self._balancers.values():
                for proxy in balancer.get("proxies", {}).values():
                    proxy.close()
                for closed in balancer.get("closed", {}).values():
                    closed.close()

    def endpoint(self, hostname: str, port: int) -> int | None:
        """The local port that answers for ``hostname:port``, None while no load balancer has that name."""
        with self._lock:
            ports = self.endpoints.get(hostname.lower().rstrip("."))
        return ports.get(str(port)) if ports else None

    def _tick(self) -> None:
        try:
            self.sync_once()
        except Exception as e:  # noqa: BLE001 - keep syncing, as the controller's workqueue does
            log.exception("service controller stand-in sync failed")
            self.errors.append(repr(e))

    def sync_once(self) -> None:
        with self._lock:
            for service in self.kube.list("services", None):
                meta = service["metadata"]
                key = f"{meta['namespace']}/{meta['name']}"
                finalizers = meta.get("finalizers") or []
                if not wants_load_balancer(service) or meta.get("deletionTimestamp"):
                    if FINALIZER in finalizers or key in self._balancers:
                        self._delete(key, service)
                else:
                    self._ensure(key, service)

    def _event(self, service: dict[str, Any], reason: str, message: str) -> None:
        meta = service["metadata"]
        self.kube.record_event(meta["namespace"], "Service", meta["name"], "Normal", reason, message, COMPONENT)

    def _set_finalizers(self, service: dict[str, Any], finalizers: list[str]) -> None:
        meta = service["metadata"]
        self.kube.patch("services", meta["namespace"], meta["name"], {"metadata": {"finalizers": finalizers or None}},
                        manager=COMPONENT)

    def _ensure(self, key: str, service: dict[str, Any]) -> None:
        meta = service["metadata"]
        balancer = self._balancers.get(key)
        if balancer is not None and "proxies" in balancer:
            return  # it exists and serves; nothing in the spec the stand-in reads changed
        if balancer is None:
            self._event(service, "EnsuringLoadBalancer", "Ensuring load balancer")
            if FINALIZER not in (meta.get("finalizers") or []):
                self._set_finalizers(service, [*(meta.get("finalizers") or []), FINALIZER])
            existing = address_of(service)
            if existing is None:  # the load balancer is being created
                self._balancers[key] = {"due": time.monotonic() + self.provision_delay}
                return
            self._serve(key, service, existing)  # the load balancer exists already (seeded as installed)
            return
        if "serves_at" in balancer:
            if time.monotonic() >= balancer["serves_at"]:
                for closed in balancer["closed"].values():
                    closed.close()
                self._serve(key, service, balancer["hostname"])
            return
        if time.monotonic() < balancer["due"]:
            return
        hostname = nlb_dns_name(meta["uid"], self.region)
        self._name(key, service, hostname)
        self.kube.put_status("services", meta["namespace"], meta["name"],
                             {"loadBalancer": {"ingress": [{"hostname": hostname}]}}, manager=COMPONENT)

    def _name(self, key: str, service: dict[str, Any], hostname: str) -> None:
        """The NLB has its name and does not serve yet: each port is a bound socket with no listener (refused)."""
        ports = [port["port"] for port in (service.get("spec") or {}).get("ports") or []]
        closed = {}
        for port in ports:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))  # held, so nothing else takes the port; never listening
            closed[str(port)] = sock
        self._balancers[key] = {"hostname": hostname, "closed": closed,
                                "serves_at": time.monotonic() + self.serve_delay}
        self.endpoints[hostname] = {port: int(sock.getsockname()[1]) for port, sock in closed.items()}
        self._changed()

    def _serve(self, key: str, service: dict[str, Any], hostname: str) -> None:
        ports = [port["port"] for port in (service.get("spec") or {}).get("ports") or []]
        proxies = {str(port): TcpProxy(self.backend_port) for port in ports}
        self._balancers[key] = {"hostname": hostname, "proxies": proxies}
        self.endpoints[hostname] = {port: proxy.port for port, proxy in proxies.items()}
        self._event(service, "EnsuredLoadBalancer", "Ensured load balancer")
        self._changed()

    def _delete(self, key: str, service: dict[str, Any]) -> None:
        balancer = self._balancers.pop(key, None)
        if balancer is not None and "hostname" in balancer:
            self._event(service, "DeletingLoadBalancer", "Deleting load balancer")
            for proxy in balancer.get("proxies", {}).values():
                proxy.close()
            for closed in balancer.get("closed", {}).values():
                closed.close()
            self.endpoints[balancer["hostname"]] = None  # its name no longer resolves
            self._changed()
        finalizers = service["metadata"].get("finalizers") or []
        if FINALIZER in finalizers:
            self._set_finalizers(service, [f for f in finalizers if f != FINALIZER])
        self._event(service, "DeletedLoadBalancer", "Deleted load balancer")

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(dict(self.endpoints))
