"""Small stand-ins for the Kubernetes-facing steps' tests: a fake ``layer7.kube.Kube`` and input builders."""

from __future__ import annotations

import builtins
import copy
import datetime as dt
import time
from typing import Any

from layer7 import kube as k8s
from layer7.models import (
    ApplyIngressEvent,
    CertificateResult,
    CheckLoadBalancerEvent,
    IngressResult,
    SetupRequest,
    StepEvent,
)

CLUSTER = "milvus-eks"
CERT_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"


def setup_request(**overrides: Any) -> SetupRequest:
    fields: dict[str, Any] = {
        "host": "milvus.example.com",
        "certificate": {"certificateArn": CERT_ARN},
        "clusterName": CLUSTER,
        "namespace": "milvus",
        "serviceName": "milvus-demo",
        "servicePort": 19530,
        "ingressName": "milvus-demo",
        "scheme": "internet-facing",
        "listenPort": 443,
        "ingressAnnotations": {},
        "layer4": "remove",
        "verify": {},
        "hostedZoneId": None,
        "albTimeoutSeconds": 900,
    }
    fields.update(overrides)
    return SetupRequest.model_validate(fields)


def certificate_result() -> CertificateResult:
    return CertificateResult(
        certificate_arn=CERT_ARN,
        certificate_imported=True,
        not_after="2027-01-01T00:00:00Z",
        days_until_expiry=400,
        fingerprint_sha256="00" * 32,
    )


def apply_event(**overrides: Any) -> ApplyIngressEvent:
    return ApplyIngressEvent(correlation_id="exec-1", request=setup_request(**overrides),
                             certificate=certificate_result())


def check_event(applied_at: float | None = None, **overrides: Any) -> CheckLoadBalancerEvent:
    request = setup_request(**overrides)
    ingress = IngressResult(
        namespace=request.namespace,
        name=request.ingress_name,
        service_type="LoadBalancer",
        applied_at=time.time() if applied_at is None else applied_at,
    )
    return CheckLoadBalancerEvent(correlation_id="exec-1", request=request, ingress=ingress)


def step_event(**overrides: Any) -> StepEvent:
    return StepEvent(correlation_id="exec-1", request=setup_request(**overrides))


def milvus_service(
    service_type: str = "LoadBalancer", helm_release: str | None = None, port: int = 19530
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": "milvus-demo", "namespace": "milvus", "labels": {"app.kubernetes.io/name": "milvus"},
    }
    if helm_release:
        metadata["labels"]["app.kubernetes.io/managed-by"] = "Helm"
        metadata["annotations"] = {
            "meta.helm.sh/release-name": helm_release, "meta.helm.sh/release-namespace": "milvus",
        }
    ports: list[dict[str, Any]] = [{"name": "milvus", "port": port, "protocol": "TCP", "targetPort": port}]
    if service_type != "ClusterIP":
        ports[0]["nodePort"] = 31530
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": {"type": service_type, "ports": ports}}


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


class FakeKube(k8s.Kube):
    """The ``Kube`` facade over a dict of objects by API path; records every call.

    ``errors[(method, path)]`` is a list of exceptions raised by the next calls. A subclass so that the steps
    take it as the ``Kube`` they are typed for and mypy holds each method to ``Kube``'s signature; it has no
    ``ApiClient`` (``Kube.__init__`` is not called), as every method that would use one is its own.
    """

    def __init__(self, objects: dict[str, dict[str, Any]] | None = None, events: list[dict[str, Any]] | None = None):
        self.cluster_name = CLUSTER
        self.objects = dict(objects or {})
        self.events = list(events or [])
        self.errors: dict[tuple[str, str], list[Exception]] = {}
        self.calls: list[dict[str, Any]] = []
        self.closed = False
        self.clock = lambda: dt.datetime.now(dt.UTC)  # the API server's, for managedFields' time

    def _maybe_fail(self, method: str, path: str) -> None:
        pending = self.errors.get((method, path))
        if pending:
            raise pending.pop(0)

    def get(self, path: str, what: str) -> dict[str, Any]:
        self.calls.append({"method": "GET", "path": path})
        self._maybe_fail("GET", path)
        if path not in self.objects:
            raise k8s.NotFound(f"{what}: not found", status=404)
        return copy.deepcopy(self.objects[path])

    def list(self, path: str, what: str, **query: str) -> list[dict[str, Any]]:
        self.calls.append({"method": "LIST", "path": path, "query": query})
        self._maybe_fail("LIST", path)
        if not path.endswith("/events"):  # a collection of objects, filtered by labelSelector (k=v,...)
            labels = dict(part.split("=", 1) for part in query.get("labelSelector", "").split(",") if part)
            return [copy.deepcopy(obj) for key, obj in sorted(self.objects.items())
                    if key.rsplit("/", 1)[0] == path
                    and all(((obj.get("metadata") or {}).get("labels") or {}).get(k) == v for k, v in labels.items())]
        wanted = dict(part.split("=", 1) for part in query.get("fieldSelector", "").split(",") if part)
        return [
            copy.deepcopy(e)
            for e in self.events
            if all(str(e.get("involvedObject", {}).get(k.split(".", 1)[1])) == v for k, v in wanted.items())
        ]

    def patch(self, path: str, what: str, body: dict[str, Any], *, content_type: str, **query: Any) -> dict[str, Any]:
        self.calls.append(
            {"method": "PATCH", "path": path, "body": copy.deepcopy(body), "contentType": content_type, "query": query}
        )
        self._maybe_fail("PATCH", path)
        if content_type == k8s.APPLY_PATCH:
            current = self.objects.get(path, {})
            applied = {**copy.deepcopy(body), "status": current.get("status", {})}
            metadata = current.get("metadata") or {}
            version = metadata.get("resourceVersion", "0")
            unchanged = {**current, "metadata": {k: v for k, v in metadata.items()
                                                 if k not in ("resourceVersion", "managedFields")}} == applied
            # As the API server: a write that leaves the object as it was keeps its resourceVersion, and the
            # applier's managedFields time moves only when its apply changed the object (managedfieldsupdater.go).
            applied["metadata"]["resourceVersion"] = version if unchanged else str(int(version) + 1)
            applied["metadata"]["managedFields"] = metadata.get("managedFields", []) if unchanged else [
                {"manager": query.get("fieldManager"), "operation": "Apply",
                 "time": self.clock().strftime("%Y-%m-%dT%H:%M:%SZ")}]
            self.objects[path] = applied
        else:
            if path not in self.objects:
                raise k8s.NotFound(f"{what}: not found", status=404)
            before = copy.deepcopy(self.objects[path])
            _merge(self.objects[path], body)
            if (body.get("spec") or {}).get("type") == "ClusterIP":  # the API server drops node ports
                for port in self.objects[path]["spec"].get("ports", []):
                    port.pop("nodePort", None)
            if self.objects[path] != before:  # the writer's Update entry moves only when it changed something
                metadata = self.objects[path].setdefault("metadata", {})
                manager = query.get("fieldManager")
                metadata["managedFields"] = [
                    *(e for e in metadata.get("managedFields") or []
                      if (e.get("manager"), e.get("operation")) != (manager, "Update")),
                    {"manager": manager, "operation": "Update", "time": self.clock().strftime("%Y-%m-%dT%H:%M:%SZ")}]
        return copy.deepcopy(self.objects[path])

    def delete(self, path: str, what: str, **query: Any) -> dict[str, Any]:
        """As kube-apiserver: an object with finalizers is only marked (deletionTimestamp), else it goes."""
        self.calls.append({"method": "DELETE", "path": path, "query": query})
        self._maybe_fail("DELETE", path)
        if path not in self.objects:
            raise k8s.NotFound(f"{what}: not found", status=404)
        metadata = self.objects[path].setdefault("metadata", {})
        if metadata.get("finalizers"):
            metadata.setdefault("deletionTimestamp", "2026-01-01T00:00:00Z")
            return copy.deepcopy(self.objects[path])
        del self.objects[path]
        return {"kind": "Status", "status": "Success"}

    def close(self) -> None:
        self.closed = True

    # `list` in this class's body is the method above
    def patches(self) -> builtins.list[dict[str, Any]]:
        return [c for c in self.calls if c["method"] == "PATCH"]

    def writes(self) -> builtins.list[dict[str, Any]]:
        return [c for c in self.calls if c["method"] in ("PATCH", "DELETE")]
