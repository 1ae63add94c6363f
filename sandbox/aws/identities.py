"""Each function runs with credentials of its own role, so the cluster can tell the steps apart.

On AWS a function gets temporary credentials of its execution role; EKS maps the role (its access entry) to a
username and groups, and RBAC decides per group. The sandbox gives every function an access key derived from its
role's ARN, and the Kubernetes stand-in learns the same key from the stack's ``AWS::EKS::AccessEntry`` resources.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RoleCredentials:
    access_key_id: str
    secret_access_key: str


def role_credentials(role_arn: str) -> RoleCredentials:
    digest = hashlib.sha256(role_arn.encode()).hexdigest()
    return RoleCredentials(access_key_id="ASIA" + digest[:16].upper(), secret_access_key=digest[16:56])


def session_username(role_arn: str, session_name: str) -> str:
    """The username EKS gives an access entry of an IAM role when none is set:
    ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/{{SessionName}}`` (EKS user guide, "Creating access entries");
    a Lambda function's session is named after the function."""
    partition, account, resource = role_arn.split(":")[1], role_arn.split(":")[4], role_arn.split(":", 5)[5]
    role_name = resource.rsplit("/", 1)[-1]
    return f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session_name}"


def access_entry_identities(entries: Iterable[Mapping[str, Any]],
                            functions: Mapping[str, str]) -> list[tuple[RoleCredentials, str, list[str]]]:
    """(credentials, username, groups) per access entry whose principal is a function's role.

    ``functions`` maps a function name to its role ARN.
    """
    sessions = {role: name for name, role in functions.items()}
    identities = []
    for entry in entries:
        principal = str(entry.get("PrincipalArn", ""))
        if principal not in sessions:
            continue
        username = str(entry.get("Username") or session_username(principal, sessions[principal]))
        identities.append((role_credentials(principal), username, [str(g) for g in entry.get("KubernetesGroups", [])]))
    return identities
