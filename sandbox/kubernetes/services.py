"""What kube-apiserver does to a Service on create and update, rule for rule, in its order (kubernetes/kubernetes,
``REST.beginUpdate`` / ``BeforeUpdate`` in ``apiserver/pkg/registry/generic/registry/store.go``):

- defaults: ``pkg/apis/core/v1/defaults.go`` ``SetDefaults_Service``, on the decoded body, so on a patch too;
- allocations kept across an update: ``pkg/registry/core/service/storage/storage.go`` ``patchAllocatedValues``;
- fields wiped when the type no longer needs them and the request left them unchanged:
  ``pkg/registry/core/service/strategy.go`` ``dropTypeDependentFields`` (never ``loadBalancerSourceRanges`` or
  their annotation, so a LoadBalancer Service with them becomes ClusterIP only if the request removes them);
- validation: ``pkg/apis/core/validation/validation.go`` ``ValidateService`` and ``ValidateServiceUpdate``, with
  their texts and field paths (``spec.LoadBalancerSourceRanges`` really has a capital L there);
- then node port allocation.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass
from typing import Any

SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"
TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
NODE_PORT_RANGE = range(30000, 32768)


@dataclass(frozen=True)
class FieldError:
    """apimachinery's ``field.Error``: rendered ``<field>: <ErrorBody>``."""

    field: str
    kind: str  # Forbidden, Invalid value, Required value, Unsupported value
    detail: str = ""
    value: Any = None

    @property
    def reason(self) -> str:
        """The Status cause reason (``field.ErrorType.String`` -> ``FieldValue...``)."""
        return {"Forbidden": "FieldValueForbidden", "Invalid value": "FieldValueInvalid",
                "Required value": "FieldValueRequired", "Unsupported value": "FieldValueNotSupported"}[self.kind]

    def body(self) -> str:
        """``ErrorBody``: ints as ``%v``, plain strings as ``%q``, everything else as JSON."""
        if self.kind in ("Invalid value", "Unsupported value"):
            value = str(self.value) if isinstance(self.value, int) else json.dumps(self.value)
            text = f"{self.kind}: {value}"
        else:
            text = self.kind
        return f"{text}: {self.detail}" if self.detail else text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}"


def _spec(service: dict[str, Any]) -> dict[str, Any]:
    return service.get("spec") or {}


def _type(service: dict[str, Any]) -> str:
    return str(_spec(service).get("type") or "ClusterIP")


def needs_node_port(service: dict[str, Any]) -> bool:
    return _type(service) in ("NodePort", "LoadBalancer")


def externally_accessible(service: dict[str, Any]) -> bool:
    """``pkg/api/service/util.go`` ``ExternallyAccessible``."""
    return needs_node_port(service) or (_type(service) == "ClusterIP" and bool(_spec(service).get("externalIPs")))


def needs_health_check(service: dict[str, Any]) -> bool:
    """``NeedsHealthCheck``: LoadBalancer with externalTrafficPolicy Local."""
    return _type(service) == "LoadBalancer" and _spec(service).get("externalTrafficPolicy") == "Local"


def apply_defaults(service: dict[str, Any]) -> None:
    """``SetDefaults_Service``."""
    spec = service.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if externally_accessible(service):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if spec["type"] in ("ClusterIP", "NodePort", "LoadBalancer"):
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))


def patch_allocated_values(old: dict[str, Any], new: dict[str, Any]) -> None:
    """Values the server allocated, kept when the request leaves them out (``patchAllocatedValues``)."""
    os_, ns = _spec(old), new.setdefault("spec", {})
    if _type(old) != "ExternalName" and _type(new) != "ExternalName":
        if not ns.get("clusterIP"):
            ns["clusterIP"] = os_.get("clusterIP")
        if not ns.get("clusterIPs") and os_.get("clusterIPs"):
            ns["clusterIPs"] = copy.deepcopy(os_["clusterIPs"])
    if needs_node_port(old) and needs_node_port(new):
        by_name = {p.get("name"): p.get("nodePort") for p in os_.get("ports") or []}
        used = {p.get("nodePort") for p in ns.get("ports") or [] if p.get("nodePort")}
        for port in ns.get("ports") or []:
            if not port.get("nodePort") and by_name.get(port.get("name")) not in used:
                port["nodePort"] = by_name.get(port.get("name"))
    if needs_health_check(old) and needs_health_check(new) and not ns.get("healthCheckNodePort"):
        ns["healthCheckNodePort"] = os_.get("healthCheckNodePort")


def drop_type_dependent_fields(old: dict[str, Any], new: dict[str, Any]) -> None:
    """``dropTypeDependentFields``: wipe a field only when the new type does not use it and the request left it."""
    os_, ns = _spec(old), new.setdefault("spec", {})
    old_ports = {(p.get("protocol", "TCP"), p.get("nodePort")) for p in os_.get("ports") or [] if p.get("nodePort")}
    new_ports = {(p.get("protocol", "TCP"), p.get("nodePort")) for p in ns.get("ports") or [] if p.get("nodePort")}
    if needs_node_port(old) and not needs_node_port(new) and old_ports >= new_ports:  # sameNodePorts: a superset
        for port in ns.get("ports") or []:
            port.pop("nodePort", None)
    if needs_health_check(old) and not needs_health_check(new) \
            and os_.get("healthCheckNodePort") == ns.get("healthCheckNodePort"):
        ns.pop("healthCheckNodePort", None)
    if _type(old) == "LoadBalancer" and _type(new) != "LoadBalancer":
        for field in ("allocateLoadBalancerNodePorts", "loadBalancerClass"):
            if os_.get(field) == ns.get(field):
                ns.pop(field, None)
    if needs_node_port(old) and not needs_node_port(new) \
            and os_.get("externalTrafficPolicy") == ns.get("externalTrafficPolicy"):
        ns.pop("externalTrafficPolicy", None)
    if _type(new) != "LoadBalancer":
        new.setdefault("status", {})["loadBalancer"] = {}


def problems(service: dict[str, Any], old: dict[str, Any] | None = None) -> list[FieldError]:
    """Every type-dependent rule ``ValidateService`` applies; on update also ``ValidateServiceUpdate``'s."""
    spec, type_ = _spec(service), _type(service)
    annotations = (service.get("metadata") or {}).get("annotations") or {}
    found: list[FieldError] = []
    if type_ not in TYPES:
        found.append(FieldError("spec.type", "Unsupported value", "supported values: "
                                + ", ".join(json.dumps(t) for t in TYPES), type_))
    for index, port in enumerate(spec.get("ports") or []):
        if port.get("nodePort") and type_ == "ClusterIP":
            found.append(FieldError(f"spec.ports[{index}].nodePort", "Forbidden",
                                    "may not be used when `type` is 'ClusterIP'"))
    if type_ != "LoadBalancer":
        only = "may only be used when `type` is 'LoadBalancer'"
        if spec.get("loadBalancerSourceRanges"):
            found.append(FieldError("spec.LoadBalancerSourceRanges", "Forbidden", only))
        elif SOURCE_RANGES_ANNOTATION in annotations:
            found.append(FieldError(f"metadata.annotations[{SOURCE_RANGES_ANNOTATION}]", "Forbidden", only))
        for field in ("allocateLoadBalancerNodePorts", "loadBalancerClass"):
            if spec.get(field) is not None:
                found.append(FieldError(f"spec.{field}", "Forbidden", only))
    elif spec.get("allocateLoadBalancerNodePorts") is None:
        found.append(FieldError("allocateLoadBalancerNodePorts", "Required value"))  # no spec. prefix, as upstream
    if spec.get("externalTrafficPolicy") and not externally_accessible(service):
        found.append(FieldError("spec.externalTrafficPolicy", "Invalid value",
                                "may only be set for externally-accessible services", spec["externalTrafficPolicy"]))
    if spec.get("healthCheckNodePort") and not needs_health_check(service):
        found.append(FieldError("spec.healthCheckNodePort", "Invalid value",
                                "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
                                spec["healthCheckNodePort"]))
    if old is not None:
        found += _update_problems(old, service)
    return found


def _update_problems(old: dict[str, Any], new: dict[str, Any]) -> list[FieldError]:
    os_, ns = _spec(old), _spec(new)
    found: list[FieldError] = []
    if "ExternalName" not in (_type(old), _type(new)):  # validateUpgradeDowngradeClusterIPs
        for index, ip in enumerate(os_.get("clusterIPs") or []):
            if index < len(ns.get("clusterIPs") or []) and ns["clusterIPs"][index] != ip:
                found.append(FieldError(f"spec.clusterIPs[{index}]", "Invalid value", "may not change once set",
                                        ns["clusterIPs"]))
    if _type(old) == _type(new) == "LoadBalancer" and os_.get("loadBalancerClass") != ns.get("loadBalancerClass"):
        found.append(FieldError("spec.loadBalancerClass", "Invalid value", "may not change once set",
                                ns.get("loadBalancerClass")))
    if needs_health_check(old) and needs_health_check(new) \
            and os_.get("healthCheckNodePort") != ns.get("healthCheckNodePort"):
        found.append(FieldError("spec.healthCheckNodePort", "Forbidden", "field is immutable"))
    return found


def allocate(service: dict[str, Any], used_node_ports: set[int]) -> None:
    """A cluster IP for every type but ExternalName; node ports where the type needs them."""
    spec = service.setdefault("spec", {})
    if spec.get("type") != "ExternalName":
        spec.setdefault("clusterIP", f"10.100.{random.randint(0, 255)}.{random.randint(1, 254)}")  # noqa: S311 - not a secret
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
    allocate_node_ports = needs_node_port(service) and not (
        spec.get("type") == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is False)
    for port in spec.get("ports") or []:
        if allocate_node_ports and not port.get("nodePort"):
            port["nodePort"] = random.choice([p for p in NODE_PORT_RANGE if p not in used_node_ports])  # noqa: S311
            used_node_ports.add(port["nodePort"])
    if needs_health_check(service) and not spec.get("healthCheckNodePort"):
        spec["healthCheckNodePort"] = random.choice(  # noqa: S311 - a port number, not a secret
            [p for p in NODE_PORT_RANGE if p not in used_node_ports])
    service.setdefault("status", {}).setdefault("loadBalancer", {})
