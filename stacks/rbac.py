"""What the workflow may do inside the cluster: two namespaced Roles, bound to two Kubernetes groups.

``AmazonEKSEditPolicy`` would also let the roles read Secrets, exec into
pods and impersonate service accounts in the namespace. Instead each role's
EKS access entry (or aws-auth mapping) puts it in one group, and the group
is bound to a Role with exactly the verbs its steps call:

* writers (ApplyIngress, UpsertDns, RemoveLayer4): the Ingress is read,
  applied (server-side apply: ``patch``, and ``create`` for a first apply)
  and annotated; the Service is read and patched to ClusterIP;
* readers (ReadSetupRecord, CheckLoadBalancer, CheckDrift): the Ingresses and their Events are only read
  (listed, for the Ingress that holds a host's setup record), and the Service (CheckDrift: is it ClusterIP?);
* undo writers (RestoreLayer4, DeleteIngress): the Service is read and
  patched back to LoadBalancer, the Ingress read and deleted (never created
  or changed);
* undo readers (CheckLayer4, RestoreDns, CheckIngressDeleted): the Service,
  its Events and the Ingress are only read.

The stack cannot apply this itself without cluster-admin rights it should
not hold; the operator applies the manifest once (stack output
``KubernetesRbacManifest``, README "Deploying to AWS").
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from stacks.steps import READERS, STEPS, UNDO_READERS, UNDO_WRITERS, WRITERS

RBAC_GROUP = "rbac.authorization.k8s.io"
NETWORKING_GROUP = "networking.k8s.io"
CORE_GROUP = ""

# group -> (Role name, its rules as (API group, resource, verbs)).
ROLES: dict[str, tuple[str, tuple[tuple[str, str, tuple[str, ...]], ...]]] = {
    WRITERS: ("milvus-layer7-writer", (
        (NETWORKING_GROUP, "ingresses", ("get", "create", "patch")),
        (CORE_GROUP, "services", ("get", "patch")),
    )),
    READERS: ("milvus-layer7-reader", (
        (NETWORKING_GROUP, "ingresses", ("get", "list")),
        (CORE_GROUP, "services", ("get",)),
        (CORE_GROUP, "events", ("list",)),
    )),
    UNDO_WRITERS: ("milvus-layer7-undo-writer", (
        (NETWORKING_GROUP, "ingresses", ("get", "delete")),
        (CORE_GROUP, "services", ("get", "patch")),
    )),
    UNDO_READERS: ("milvus-layer7-undo-reader", (
        (NETWORKING_GROUP, "ingresses", ("get",)),
        (CORE_GROUP, "services", ("get",)),
        (CORE_GROUP, "events", ("list",)),
    )),
}


def groups_in_use() -> tuple[str, ...]:
    """The groups some step's role is mapped to, in ROLES order."""
    used = {step.kubernetes_group for step in STEPS}
    return tuple(group for group in ROLES if group in used)


def manifest(namespace: str) -> dict[str, Any]:
    """A ``kind: List`` of the Roles and RoleBindings (``kubectl apply -f`` takes it as JSON or YAML)."""
    items: list[dict[str, Any]] = []
    for group in groups_in_use():
        role_name, rules = ROLES[group]
        metadata = {"name": role_name, "namespace": namespace,
                    "labels": {"app.kubernetes.io/managed-by": "milvus-layer7"}}
        items.append({
            "apiVersion": f"{RBAC_GROUP}/v1", "kind": "Role", "metadata": metadata,
            "rules": [{"apiGroups": [api_group], "resources": [resource], "verbs": list(verbs)}
                      for api_group, resource, verbs in rules],
        })
        items.append({
            "apiVersion": f"{RBAC_GROUP}/v1", "kind": "RoleBinding", "metadata": dict(metadata),
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": role_name},
            "subjects": [{"apiGroup": RBAC_GROUP, "kind": "Group", "name": group}],
        })
    return {"apiVersion": "v1", "kind": "List", "items": items}


def manifest_json(namespace: str) -> str:
    return json.dumps(manifest(namespace), separators=(",", ":"))


def manifest_yaml(namespace: str) -> str:
    """The same objects as YAML documents, as docs/RBAC.md shows them."""
    return "---\n".join(yaml.safe_dump(item, sort_keys=False, default_flow_style=None, width=120)
                         for item in manifest(namespace)["items"])
