"""This workflow's Ingress as setup and undo steps both read it: found or not, ours or not, its ALB's name.

Shared here, not imported from a step (the undo's steps read the Ingress setup
applied): ``read_ingress`` (None when there is none), ``is_ours`` (the label
ApplyIngress sets), ``refuse_foreign`` (the undo touches only its own),
``ingress_hostname`` (the address the load balancer controller wrote).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from layer7 import kube as k8s
from layer7.errors import InvalidInput

# The IngressGroup: names the controller's stack, and so the ALB, when it is set (CheckLoadBalancer, the undo).
GROUP_NAME_ANNOTATION = "alb.ingress.kubernetes.io/group.name"


def ingress_hostname(ingress: dict[str, Any]) -> str | None:
    entries = ((ingress.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return (entries[0].get("hostname") or None) if entries else None


def read_ingress(kube: k8s.Kube, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        return kube.get(k8s.ingress_path(namespace, name), f"read Ingress {namespace}/{name}")
    except k8s.NotFound:
        return None


def is_ours(ingress: dict[str, Any]) -> bool:
    labels = (ingress.get("metadata") or {}).get("labels") or {}
    return labels.get(k8s.MANAGED_BY_LABEL) == k8s.FIELD_MANAGER


def refuse_foreign(ingress: dict[str, Any] | None, namespace: str, name: str) -> None:
    if ingress is not None and not is_ours(ingress):
        raise InvalidInput(
            f"Ingress {namespace}/{name} was not created by this workflow (its label {k8s.MANAGED_BY_LABEL} is "
            f"not {k8s.FIELD_MANAGER}): the undo deletes only its own Ingress; check ingressName. Nothing was changed"
        )


def last_apply_time(ingress: dict[str, Any] | None, operation: str = "Apply") -> dt.datetime | None:
    """When this workflow's apply last changed the object: the ``time`` of the managedFields entry of manager
    ``milvus-layer7``, operation ``operation`` (Apply; Update for its patches) (the API server moves it only when
    that manager's write changes the object: managedfieldsupdater.go). None without one. Whole seconds
    (metav1.Time), the API server's clock."""
    for entry in ((ingress or {}).get("metadata") or {}).get("managedFields") or []:
        if entry.get("manager") == k8s.FIELD_MANAGER and entry.get("operation") == operation:
            try:
                parsed = dt.datetime.fromisoformat(str(entry.get("time") or "").replace("Z", "+00:00"))
            except ValueError:
                return None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def changed_since(obj: dict[str, Any] | None, started: dt.datetime | None, operation: str = "Apply") -> bool:
    """Whether this workflow's field manager changed ``obj`` at or after ``started`` (an execution's start,
    compared at whole seconds as metav1.Time has them); False when either time is unknown."""
    if started is None:
        return False
    last = last_apply_time(obj, operation)
    start = (started if started.tzinfo else started.replace(tzinfo=dt.UTC)).replace(microsecond=0)
    return last is not None and last >= start
