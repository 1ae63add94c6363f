"""RemoveLayer4: turn the Milvus Service into ClusterIP, as the guide's ``helm upgrade --set service.type=ClusterIP``.

Runs only after the Layer-7 path has been verified (and, with DNS, after the
host points at the ALB), so clients are never without a way in.

Changing the type alone is not enough on the Milvus chart's own Service: its
values render ``loadBalancerSourceRanges: [0.0.0.0/0]`` whenever the type is
LoadBalancer, and Kubernetes refuses that field (and its annotation
``service.beta.kubernetes.io/load-balancer-source-ranges``) on any other type
with a 422; the API server's ``dropTypeDependentFields`` never clears it
(docs/REFERENCE.md, "Kubernetes API behaviour"). So one strategic merge patch
sets the type and deletes, with ``null``, every field and annotation only a
LoadBalancer Service may carry, node ports included (older API servers do not
clear them themselves).

What it removes is first written onto the Service itself, in the annotation
``milvus-layer7/layer4``, in the same patch: the undo restores exactly that
and never guesses, and a re-run finds the record still there. A re-run that
finds the Service made NodePort by hand since keeps the LoadBalancer record.

The record also names the execution that wrote it (``recordedBy``, the
execution ARN this step gets as ``correlationId``). A Lambda killed after its
patch is run again by Step Functions in the same execution: that attempt
finds the Service ClusterIP, and the record naming its own execution tells it
the Service was LoadBalancer when this run began, so ``previousType`` is the
recorded type, as an undisturbed run reports. A later execution (a rerun, a
renewal) finds another execution's record and reports ``ClusterIP``: it
found the Service so. No clock is involved: the execution ARN is exact.
"""

from __future__ import annotations

import json
from typing import Any

from layer7 import kube as k8s
from layer7.errors import ServiceNotFound
from layer7.layer4 import (
    CLUSTER_IP,
    LAYER4_RECORD_ANNOTATION,
    LOAD_BALANCER,
    LOAD_BALANCER_ONLY_ANNOTATIONS,
    LOAD_BALANCER_ONLY_FIELDS,
    layer4_address,
    recorded_by,
    recorded_layer4,
)
from layer7.models import Layer4Record, ServiceResult, StepEvent
from layer7.observability import logger


def _type_of(service: dict[str, Any]) -> str:
    return str((service.get("spec") or {}).get("type") or CLUSTER_IP)


def layer4_record(service: dict[str, Any]) -> Layer4Record:
    """The type and every LoadBalancer-only field and annotation the Service has now."""
    spec = service.get("spec") or {}
    annotations = (service.get("metadata") or {}).get("annotations") or {}
    fields = {name: spec[name] for name in LOAD_BALANCER_ONLY_FIELDS if spec.get(name) is not None}
    if spec.get("externalIPs"):
        fields.pop("externalTrafficPolicy", None)  # a ClusterIP Service with externalIPs keeps it
    return Layer4Record(
        type=_type_of(service),
        spec=fields,
        annotations={name: annotations[name] for name in LOAD_BALANCER_ONLY_ANNOTATIONS if name in annotations},
        address=layer4_address(service),
    )


def cluster_ip_patch(service: dict[str, Any], record: Layer4Record, execution: str,
                     kept: Layer4Record | None = None) -> dict[str, Any]:
    """One strategic merge patch: the record written (naming ``execution``; ``kept`` in its place when given), the
    type changed, every LoadBalancer-only field ``record`` found deleted."""
    spec: dict[str, Any] = {"type": CLUSTER_IP, **{name: None for name in record.spec}}
    ports = [{"port": port["port"], "nodePort": None}
             for port in (service.get("spec") or {}).get("ports") or [] if port.get("nodePort")]
    if ports:
        spec["ports"] = ports  # merged on "port" (ServiceSpec.ports patchMergeKey)
    annotations: dict[str, Any] = {name: None for name in record.annotations}
    written = {**(kept or record).to_wire(), "recordedBy": execution}
    annotations[LAYER4_RECORD_ANNOTATION] = json.dumps(written, separators=(",", ":"), sort_keys=True)
    return {"metadata": {"annotations": annotations}, "spec": spec}


def remove_layer4(event: StepEvent, kube: k8s.Kube) -> ServiceResult:
    """Set the Service to ClusterIP; report its type before and after, and what the record says it had."""
    request = event.request
    namespace, name = request.namespace, request.service_name
    service = k8s.read_service(kube, namespace, name)
    previous = _type_of(service)
    if previous == CLUSTER_IP:
        record = recorded_layer4(service)
        # This execution's own record: an earlier attempt of this step (killed after its patch) changed the type.
        mine = record is not None and recorded_by(service) == event.correlation_id
        logger.info("Service already ClusterIP", extra={"namespace": namespace, "service": name,
                                                        "changedByThisExecution": mine})
        return ServiceResult(name=name, previous_type=record.type if record is not None and mine else previous,
                             type=previous, before=record)

    record = layer4_record(service)
    # A Service made NodePort by hand since a setup recorded its LoadBalancer: the undo still restores that
    # LoadBalancer (it refuses a NodePort record, whose node ports were never kept). A LoadBalancer found again (a
    # helm upgrade) is recorded as it is now: the undo brings back the newest rendering.
    earlier = recorded_layer4(service)
    kept = earlier if previous != LOAD_BALANCER and earlier is not None and earlier.type == LOAD_BALANCER else None
    try:
        patched = kube.patch(
            k8s.service_path(namespace, name), f"change Service {namespace}/{name} to ClusterIP",
            cluster_ip_patch(service, record, event.correlation_id, kept),
            content_type=k8s.STRATEGIC_MERGE_PATCH, fieldManager=k8s.FIELD_MANAGER,
        )
    except k8s.NotFound as exc:
        raise ServiceNotFound(
            f"Service {name!r} in namespace {namespace!r} disappeared before it could be changed") from exc

    new_type = _type_of(patched)
    logger.info("Service type changed", extra={"namespace": namespace, "service": name, "from": previous,
                                               "to": new_type, "removed": record.to_wire()})
    return ServiceResult(name=name, previous_type=previous, type=new_type, before=kept or record)
