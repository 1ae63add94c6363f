"""What kube-apiserver does to objects beyond storing them, for the kinds the workflow uses.

Defaults and allocations on create (uid, resourceVersion, clusterIP,
nodePorts), validation the workflow could trip over (names, string-only
annotations, Ingress ``pathType``, nodePorts on a ClusterIP Service), the
Service type-change rules of ``pkg/registry/core/service/storage``
(``dropTypeDependentFields`` / ``patchAllocatedValues``) and field/label
selectors. Pure functions on dicts; errors are ``ApiError`` (a Status).
"""

from __future__ import annotations

import copy
import dataclasses
import random
import re
from typing import Any

from kmock import KubernetesError


def ApiError(code: int, reason: str, message: str, **details: Any) -> KubernetesError:  # noqa: N802 - raised like the class it makes
    """A Kubernetes ``Status`` failure (the emulator renders it as the response)."""
    return KubernetesError(status=code, reason=reason, message=message, details=details)


@dataclasses.dataclass(frozen=True)
class Kind:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    has_status: bool = True
    dns_label: bool = False  # Services: RFC 1035 label names

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


KINDS = [
    Kind("", "v1", "namespaces", "Namespace", namespaced=False),
    Kind("", "v1", "services", "Service", dns_label=True),
    Kind("", "v1", "events", "Event", has_status=False),
    Kind("", "v1", "configmaps", "ConfigMap", has_status=False),
    Kind("networking.k8s.io", "v1", "ingresses", "Ingress"),
    Kind("networking.k8s.io", "v1", "ingressclasses", "IngressClass", namespaced=False, has_status=False),
]
BY_PLURAL = {k.plural: k for k in KINDS}
EVENT_FIELDS = {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                "reason", "reportingComponent", "source", "type"}
SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")


def find_kind(group: str | None, version: str | None, plural: str | None) -> Kind | None:
    kind = BY_PLURAL.get(plural or "")
    return kind if kind and kind.group == group and kind.version == version else None


def not_found(kind: Kind, name: str) -> KubernetesError:
    return ApiError(404, "NotFound", f'{kind.group_resource} "{name}" not found', name=name,
                    group=kind.group, kind=kind.plural)


def validate(kind: Kind, obj: dict[str, Any]) -> None:
    meta = obj.get("metadata") or {}
    name = meta.get("name", "")
    for field in ("labels", "annotations"):
        values = meta.get(field) or {}
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise ApiError(400, "BadRequest", f"metadata.{field}: values must be strings "
                           f"(json: cannot unmarshal into Go struct field ObjectMeta.metadata.{field} of type string)")
    problems = []
    pattern = LABEL_1035 if kind.dns_label else SUBDOMAIN
    if not pattern.match(name) or len(name) > (63 if kind.dns_label else 253):
        problems.append(f'metadata.name: Invalid value: "{name}": a lowercase RFC '
                        f'{"1035 label" if kind.dns_label else "1123 subdomain"} is required')
    if kind.plural == "services":
        problems += _service_problems(obj.get("spec") or {})
    if kind.plural == "ingresses":
        problems += _ingress_problems(obj.get("spec") or {})
    if problems:
        raise ApiError(422, "Invalid", f'{kind.kind} "{name}" is invalid: ' + ", ".join(problems),
                       name=name, group=kind.group, kind=kind.kind,
                       causes=[{"reason": "FieldValueInvalid", "message": p} for p in problems])


def _service_problems(spec: dict[str, Any]) -> list[str]:
    type_ = spec.get("type", "ClusterIP")
    if type_ not in SERVICE_TYPES:
        return [f'spec.type: Unsupported value: "{type_}"']
    problems = []
    for i, port in enumerate(spec.get("ports") or []):
        if port.get("nodePort") and type_ not in ("NodePort", "LoadBalancer"):
            problems.append(f"spec.ports[{i}].nodePort: Forbidden: may not be used when `type` is '{type_}'")
    if spec.get("healthCheckNodePort") and type_ != "LoadBalancer":
        problems.append("spec.healthCheckNodePort: Invalid value: only valid for LoadBalancer services")
    return problems


def _ingress_problems(spec: dict[str, Any]) -> list[str]:
    problems = []
    for r, rule in enumerate(spec.get("rules") or []):
        for p, path in enumerate((rule.get("http") or {}).get("paths") or []):
            where = f"spec.rules[{r}].http.paths[{p}]"
            if path.get("pathType") not in ("Exact", "Prefix", "ImplementationSpecific"):
                problems.append(f"{where}.pathType: Required value: pathType must be specified")
            service = (path.get("backend") or {}).get("service") or {}
            port = service.get("port") or {}
            if not service.get("name") or not (port.get("number") or port.get("name")):
                problems.append(f"{where}.backend: Invalid value: service name and port are required")
    return problems


def apply_defaults(kind: Kind, obj: dict[str, Any], used_node_ports: set[int]) -> None:
    """Defaults the API server fills in on create (and keeps filling on update)."""
    obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
    if kind.plural == "namespaces":
        obj.setdefault("metadata", {}).setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["status"] = obj.get("status") or {"phase": "Active"}
    if kind.plural == "services":
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        if spec["type"] != "ExternalName":
            spec.setdefault("clusterIP", f"10.100.{random.randint(0, 255)}.{random.randint(1, 254)}")  # noqa: S311 - an address, not a secret
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("internalTrafficPolicy", "Cluster")
        if spec["type"] in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        if spec["type"] == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
            if spec["type"] in ("NodePort", "LoadBalancer") and not port.get("nodePort"):
                port["nodePort"] = allocate_node_port(used_node_ports)
        obj["status"] = obj.get("status") or {"loadBalancer": {}}
    if kind.plural == "ingresses":
        obj["status"] = obj.get("status") or {"loadBalancer": {}}


def allocate_node_port(used: set[int]) -> int:
    port = random.choice([p for p in range(30000, 32768) if p not in used])  # noqa: S311 - a port, not a secret
    used.add(port)
    return port


def service_transition(old: dict[str, Any], new: dict[str, Any]) -> None:
    """Service update rules: keep allocations the request left out; wipe the ones the new type no longer needs."""
    os, ns = old.get("spec") or {}, new.setdefault("spec", {})
    old_type, new_type = os.get("type", "ClusterIP"), ns.setdefault("type", "ClusterIP")
    node = ("NodePort", "LoadBalancer")
    if old_type != "ExternalName" and new_type != "ExternalName":  # patchAllocatedValues
        ns.setdefault("clusterIP", os.get("clusterIP"))
        ns.setdefault("clusterIPs", copy.deepcopy(os.get("clusterIPs")))
    if old_type in node and new_type in node:
        old_ports = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort") for p in os.get("ports") or []}
        for port in ns.get("ports") or []:
            if not port.get("nodePort"):
                port["nodePort"] = old_ports.get((port.get("port"), port.get("protocol", "TCP")))
    if old_type in node and new_type not in node:  # dropTypeDependentFields
        same = [p.get("nodePort") for p in os.get("ports") or []] == [p.get("nodePort") for p in ns.get("ports") or []]
        if same:
            for port in ns.get("ports") or []:
                port.pop("nodePort", None)
        if os.get("externalTrafficPolicy") == ns.get("externalTrafficPolicy"):
            ns.pop("externalTrafficPolicy", None)
    if old_type == "LoadBalancer" and new_type != "LoadBalancer":
        if os.get("healthCheckNodePort") == ns.get("healthCheckNodePort"):
            ns.pop("healthCheckNodePort", None)
        if os.get("allocateLoadBalancerNodePorts") == ns.get("allocateLoadBalancerNodePorts"):
            ns.pop("allocateLoadBalancerNodePorts", None)
        if os.get("loadBalancerClass") == ns.get("loadBalancerClass"):
            ns.pop("loadBalancerClass", None)
        # The cloud load balancer goes away with the type.
        new.setdefault("status", {})["loadBalancer"] = {}


def _field_value(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, dict):  # "source" selects source.component
        value = value.get("component")
    return "" if value is None else str(value)


def field_selector_matches(kind: Kind, obj: dict[str, Any], selector: str | None) -> bool:
    for term in filter(None, (t.strip() for t in (selector or "").split(","))):
        m = re.match(r"^([^!=]+)(==|!=|=)(.*)$", term)
        if not m:
            raise ApiError(400, "BadRequest", f'invalid field selector: "{term}"')
        field, op, value = m.groups()
        allowed = {"metadata.name", "metadata.namespace"} | (EVENT_FIELDS if kind.plural == "events" else set())
        if field not in allowed:
            raise ApiError(400, "BadRequest", f'field label not supported: {field}')
        if (_field_value(obj, field) == value) != (op != "!="):
            return False
    return True


def label_selector_matches(obj: dict[str, Any], selector: str | None) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for term in re.findall(r"[^,(]+(?:\([^)]*\))?", selector or ""):
        term = term.strip()
        if m := re.match(r"^(\S+)\s+(in|notin)\s+\((.*)\)$", term):
            values = {v.strip() for v in m.group(3).split(",")}
            if (labels.get(m.group(1)) in values) != (m.group(2) == "in"):
                return False
        elif m := re.match(r"^([^!=]+)(==|!=|=)(.*)$", term):
            if (labels.get(m.group(1).strip()) == m.group(3).strip()) != (m.group(2) != "!="):
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term and term not in labels:
            return False
    return True
