"""RemoveLayer4: turn the Milvus Service into ClusterIP, as the guide's ``helm upgrade --set service.type=ClusterIP``.

Runs only after VerifyGrpc has proven the Layer-7 path, so clients are never
without a way in. Changing the type is enough: since Kubernetes 1.20 the API
server clears ``nodePort`` and ``healthCheckNodePort`` itself when the request
leaves them alone, and the cloud controller then deletes the Layer-4 load
balancer. Older servers answer 422 about node ports; then the patch is sent
once more with the node ports cleared explicitly.
"""

from __future__ import annotations

from typing import Any

from layer7 import kube as k8s
from layer7.errors import ServiceNotFound
from layer7.models import ServiceResult, StepEvent
from layer7.observability import logger

CLUSTER_IP = "ClusterIP"


def _type_of(service: dict[str, Any]) -> str:
    return str((service.get("spec") or {}).get("type") or CLUSTER_IP)


def clear_node_ports(service: dict[str, Any]) -> dict[str, Any]:
    """The fallback patch: ClusterIP with every node port set to null (ports merge on ``port``)."""
    ports = [
        {"port": port["port"], "protocol": port.get("protocol", "TCP"), "nodePort": None}
        for port in (service.get("spec") or {}).get("ports") or []
        if "port" in port
    ]
    spec: dict[str, Any] = {"type": CLUSTER_IP, "healthCheckNodePort": None}
    if ports:
        spec["ports"] = ports
    return {"spec": spec}


def _is_node_port_refusal(exc: k8s.KubeError) -> bool:
    return exc.status == 422 and "nodeport" in str(exc).lower()


def remove_layer4(event: StepEvent, kube: k8s.Kube) -> ServiceResult:
    """Set the Service to ClusterIP; report its type before and after."""
    request = event.request
    namespace, name = request.namespace, request.service_name
    service = k8s.read_service(kube, namespace, name)
    previous = _type_of(service)
    if previous == CLUSTER_IP:
        logger.info("Service already ClusterIP", extra={"namespace": namespace, "service": name})
        return ServiceResult(name=name, previous_type=previous, type=previous)

    path = k8s.service_path(namespace, name)
    what = f"change Service {namespace}/{name} to ClusterIP"
    try:
        try:
            patched = kube.patch(
                path, what, {"spec": {"type": CLUSTER_IP}},
                content_type=k8s.STRATEGIC_MERGE_PATCH, fieldManager=k8s.FIELD_MANAGER,
            )
        except k8s.KubeError as exc:
            if isinstance(exc, k8s.NotFound) or not _is_node_port_refusal(exc):
                raise
            logger.info("API server kept node ports; clearing them explicitly", extra={"service": name})
            patched = kube.patch(
                path, what, clear_node_ports(service),
                content_type=k8s.STRATEGIC_MERGE_PATCH, fieldManager=k8s.FIELD_MANAGER,
            )
    except k8s.NotFound as exc:
        raise ServiceNotFound(
            f"Service {name!r} in namespace {namespace!r} disappeared before it could be changed") from exc

    new_type = _type_of(patched)
    logger.info("Service type changed",
                extra={"namespace": namespace, "service": name, "from": previous, "to": new_type})
    return ServiceResult(name=name, previous_type=previous, type=new_type)
