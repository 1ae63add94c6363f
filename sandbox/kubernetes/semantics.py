"""What kube-apiserver does to objects beyond storing them, for the kinds the workflow uses: defaults,
validation the workflow could trip over (the Service rules are ``services``'), the 422 message as apimachinery
builds it, and field/label selectors.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from kmock import KubernetesError

from sandbox.kubernetes import services


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
    # What the operator applies once (the stack's KubernetesRbacManifest); read by sandbox/kubernetes/rbac.py.
    Kind("rbac.authorization.k8s.io", "v1", "roles", "Role", has_status=False),
    Kind("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", has_status=False),
]
BY_PLURAL = {k.plural: k for k in KINDS}
EVENT_FIELDS = {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                "reason", "reportingComponent", "source", "type"}
SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def find_kind(group: str | None, version: str | None, plural: str | None) -> Kind | None:
    kind = BY_PLURAL.get(plural or "")
    return kind if kind and kind.group == group and kind.version == version else None


def not_found(kind: Kind, name: str) -> KubernetesError:
    return ApiError(404, "NotFound", f'{kind.group_resource} "{name}" not found', name=name,
                    group=kind.group, kind=kind.plural)


def validate(kind: Kind, obj: dict[str, Any], old: dict[str, Any] | None = None) -> None:
    """422 Invalid with apimachinery's message: ``<Kind> "<name>" is invalid: <error>`` or ``[e1, e2]`` for several."""
    meta = obj.get("metadata") or {}
    name = meta.get("name", "")
    for field in ("labels", "annotations"):
        values = meta.get(field) or {}
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise ApiError(400, "BadRequest", f"metadata.{field}: values must be strings "
                           f"(json: cannot unmarshal into Go struct field ObjectMeta.metadata.{field} of type string)")
    found: list[services.FieldError] = []
    pattern = LABEL_1035 if kind.dns_label else SUBDOMAIN
    if not pattern.match(name) or len(name) > (63 if kind.dns_label else 253):
        found.append(services.FieldError("metadata.name", "Invalid value", f'a lowercase RFC '
                                         f'{"1035 label" if kind.dns_label else "1123 subdomain"} is required', name))
    if kind.plural == "services":
        found += services.problems(obj, old)
    if kind.plural == "ingresses":
        found += _ingress_problems(obj.get("spec") or {})
    if found:
        # apimachinery/pkg/api/errors NewInvalid + util/errors aggregate: one error bare, several in brackets.
        errors = list(dict.fromkeys(str(error) for error in found))
        text = errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
        raise ApiError(422, "Invalid", f'{kind.kind} "{name}" is invalid: {text}',
                       name=name, group=kind.group, kind=kind.kind,
                       causes=[{"reason": e.reason, "message": e.body(), "field": e.field} for e in found])


def _ingress_problems(spec: dict[str, Any]) -> list[services.FieldError]:
    found = []
    for r, rule in enumerate(spec.get("rules") or []):
        for p, path in enumerate((rule.get("http") or {}).get("paths") or []):
            where = f"spec.rules[{r}].http.paths[{p}]"
            if path.get("pathType") not in ("Exact", "Prefix", "ImplementationSpecific"):
                found.append(services.FieldError(f"{where}.pathType", "Required value", "pathType must be specified"))
            service = (path.get("backend") or {}).get("service") or {}
            port = service.get("port") or {}
            if not service.get("name") or not (port.get("number") or port.get("name")):
                found.append(services.FieldError(f"{where}.backend", "Invalid value",
                                                 "service name and port are required", service))
    return found


def apply_defaults(kind: Kind, obj: dict[str, Any]) -> None:
    """Defaults the API server fills in when it decodes a request body (create, and every update)."""
    obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
    if kind.plural == "namespaces":
        obj.setdefault("metadata", {}).setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["status"] = obj.get("status") or {"phase": "Active"}
    if kind.plural == "services":
        services.apply_defaults(obj)
    if kind.plural == "ingresses":
        obj["status"] = obj.get("status") or {"loadBalancer": {}}


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
