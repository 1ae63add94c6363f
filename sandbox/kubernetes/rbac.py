"""RBAC as kube-apiserver's authorizer decides it, for namespaced Roles and RoleBindings. Sources
(kubernetes/kubernetes):

* ``plugin/pkg/auth/authorizer/rbac/rbac.go`` ``RuleAllows``: verb, API group, resource
  (``resource/subresource`` for a subresource) and resource name must all match;
* ``pkg/apis/rbac/v1/evaluation_helpers.go``: ``VerbMatches``, ``APIGroupMatches``, ``ResourceMatches`` (``*``
  and ``*/subresource``), ``ResourceNameMatches`` (an empty ``resourceNames`` matches every name);
* ``pkg/registry/rbac/validation/rule.go`` ``appliesToUser``: a ``User`` subject matches the user's name, a
  ``Group`` subject one of its groups; every user is in ``system:authenticated``, and ``system:masters`` (the
  cluster creator's admin access on EKS) is allowed everything;
* ``pkg/endpoints/request/requestinfo.go``: the verb (GET on a name ``get``, on a collection ``list``, ``watch``
  with ``?watch=true``; POST ``create``, PUT ``update``, PATCH ``patch``, apply included, DELETE ``delete``).

ClusterRoles are not modelled, so a binding to one grants nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"
ALL = "*"


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...]


@dataclass(frozen=True)
class Attributes:
    """What a resource request asks (authorizer.Attributes)."""

    verb: str
    api_group: str
    resource: str
    namespace: str | None
    name: str = ""
    subresource: str = ""


def request_verb(method: str, name: str | None, params: Mapping[str, str]) -> str:
    if method == "GET":
        if name:
            return "get"
        return "watch" if params.get("watch") in ("true", "1") else "list"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method, method.lower())


def _matches(values: Iterable[str], wanted: str) -> bool:
    return any(value in (ALL, wanted) for value in values)


def _resource_matches(rule: dict[str, Any], attributes: Attributes) -> bool:
    combined = f"{attributes.resource}/{attributes.subresource}" if attributes.subresource else attributes.resource
    for resource in rule.get("resources") or []:
        if resource in (ALL, combined):
            return True
        if attributes.subresource and resource == f"*/{attributes.subresource}":
            return True
    return False


def rule_allows(rule: dict[str, Any], attributes: Attributes) -> bool:
    names = rule.get("resourceNames") or []
    return (_matches(rule.get("verbs") or [], attributes.verb)
            and _matches(rule.get("apiGroups") or [], attributes.api_group)
            and _resource_matches(rule, attributes)
            and (not names or attributes.name in names))


def _applies_to(subject: dict[str, Any], user: User) -> bool:
    kind = subject.get("kind")
    if kind == "User":
        return subject.get("name") == user.name
    if kind == "Group":
        return subject.get("name") in (*user.groups, AUTHENTICATED)
    return False


def allowed(user: User, attributes: Attributes, roles: list[dict[str, Any]], bindings: list[dict[str, Any]]) -> bool:
    """Whether some RoleBinding in the request's namespace gives ``user`` a rule that allows it."""
    if MASTERS in user.groups:
        return True
    if attributes.namespace is None:
        return False  # cluster-scoped requests need ClusterRoles, which are not modelled
    by_name = {role["metadata"]["name"]: role for role in roles
               if role["metadata"].get("namespace") == attributes.namespace}
    for binding in bindings:
        if binding["metadata"].get("namespace") != attributes.namespace:
            continue
        if not any(_applies_to(subject, user) for subject in binding.get("subjects") or []):
            continue
        ref = binding.get("roleRef") or {}
        role = by_name.get(ref.get("name", "")) if ref.get("kind") == "Role" else None
        if role and any(rule_allows(rule, attributes) for rule in role.get("rules") or []):
            return True
    return False
