"""The Service's Layer-4 load balancer as setup and undo steps both read it: its address now, and as recorded.

Shared here, not imported from a step: UpsertDns records the address the
host's records pointed at, RemoveLayer4 records it with what it removes, and
the undo's CheckLayer4 and RestoreDns read it back; CheckDrift reads what
RemoveLayer4 removes.
"""

from __future__ import annotations

from typing import Any

from layer7.models import Layer4Record
from layer7.observability import logger
from layer7.records import json_annotation

LAYER4_RECORD_ANNOTATION = "milvus-layer7/layer4"
CLUSTER_IP = "ClusterIP"
LOAD_BALANCER = "LoadBalancer"
SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"
# Spec fields Kubernetes allows only on LoadBalancer Services (or NodePort ones): ValidateService refuses
# them on ClusterIP, or the registry would drop them anyway (pkg/registry/core/service/strategy.go).
# RemoveLayer4 removes them; CheckDrift names those a helm upgrade brought back.
LOAD_BALANCER_ONLY_FIELDS = ("loadBalancerSourceRanges", "loadBalancerClass", "allocateLoadBalancerNodePorts",
                             "healthCheckNodePort", "externalTrafficPolicy")
LOAD_BALANCER_ONLY_ANNOTATIONS = (SOURCE_RANGES_ANNOTATION,)


def layer4_address(service: dict[str, Any]) -> str | None:
    """The Layer-4 load balancer's DNS name (or IP) in ``status.loadBalancer.ingress[0]``, None without one."""
    entries = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return (entries[0].get("hostname") or entries[0].get("ip") or None) if entries else None


def recorded_address(service: dict[str, Any]) -> str | None:
    """The address RemoveLayer4 recorded in ``milvus-layer7/layer4``, None without a (readable) record."""
    address = (json_annotation(service, LAYER4_RECORD_ANNOTATION) or {}).get("address")
    return str(address) if address else None


def recorded_by(service: dict[str, Any]) -> str | None:
    """The execution whose RemoveLayer4 wrote the record (``recordedBy``, its ARN), None for a record from before
    it was kept or with no record. Kept beside the record, not in it: ``before`` in the output is what was taken
    away, and the undo restores exactly that."""
    execution = (json_annotation(service, LAYER4_RECORD_ANNOTATION) or {}).get("recordedBy")
    return str(execution) if execution else None


def recorded_layer4(service: dict[str, Any]) -> Layer4Record | None:
    """What an earlier run removed, from the Service's own annotation; None when it was never changed by us."""
    text = ((service.get("metadata") or {}).get("annotations") or {}).get(LAYER4_RECORD_ANNOTATION)
    if not text:
        return None
    try:
        return Layer4Record.model_validate_json(text)
    except ValueError:
        logger.warning("unreadable layer4 record on the Service", extra={"annotation": LAYER4_RECORD_ANNOTATION})
        return None
