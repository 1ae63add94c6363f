"""What both Validate steps (setup's and the undo's) check of a caller's input, in the same words.

The same fields with the same defaults (host, clusterName, namespace, serviceName, ingressName, dns), the same
input budget, the same token-secret rule and the same ``field: problem`` wording of a model's errors, so an input
that setup takes names the same things to the undo. Nothing here reads AWS or the cluster.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from layer7.environment import FunctionEnvironment, zone_id
from layer7.errors import InvalidInput
from layer7.ownership import TOKEN_SECRET_PREFIX

DEFAULT_SERVICE_NAME = "milvus-demo"
DEFAULT_ALB_TIMEOUT_SECONDS = 900
INPUT_BUDGET_BYTES = 64 * 1024

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
ARN_PARTITION = r"arn:aws(?:-[a-z]+)*"
SECRET_ARN = re.compile(rf"^{ARN_PARTITION}:secretsmanager:[a-z0-9-]+:\d{{12}}:secret:[\w/+=.@-]+$")


def cluster_and_host(given: Any, stack: FunctionEnvironment, problems: list[str]) -> tuple[str, str]:
    """The cluster and host a run is for (setup's and the undo's, with the same defaults); their problems noted,
    and an input that names another stack (``stack``: the rules route events by it, so only a direct start can
    bring one here) refused before it changes anything of this stack's cluster."""
    named_stack = getattr(given, "stack", None)
    if named_stack is not None and stack.stack_name and named_stack != stack.stack_name:
        problems.append(f"stack: {named_stack!r} is not this stack ({stack.stack_name!r}): start the workflow of "
                        f"the stack {named_stack!r} deploys, or leave the field out")
    cluster_name = given.cluster_name if given.cluster_name is not None else stack.cluster_name
    if not cluster_name:
        problems.append("clusterName: required; the stack names no cluster (context clusterName)")
    elif stack.cluster_name and cluster_name != stack.cluster_name:
        problems.append(f"clusterName: {cluster_name!r} is not the cluster this stack manages ({stack.cluster_name!r})")
    host = (given.host if given.host is not None else stack.host).strip().lower()
    if not host:
        problems.append("host: required; the stack has no default host (context host)")
    else:
        problems.extend(host_problems(host))
    return cluster_name, host


def kubernetes_names(given: Any, stack: FunctionEnvironment, problems: list[str]) -> tuple[str, str, str]:
    """Namespace, Service and Ingress names, defaulted as setup defaults them; names Kubernetes refuses noted."""
    namespace = given.namespace if given.namespace is not None else stack.namespace
    service_name = given.service_name if given.service_name is not None else DEFAULT_SERVICE_NAME
    ingress_name = given.ingress_name if given.ingress_name is not None else service_name
    named = label_problems("namespace", namespace)
    if not named and namespace != stack.namespace:
        named.append(
            f"namespace: {namespace!r} is not the namespace the stack's Kubernetes RBAC binds ({stack.namespace!r}, "
            "context namespace): the cluster would refuse every step there. Deploy a stack with "
            f"-c namespace={namespace} (and apply its KubernetesRbacManifest) for that namespace"
        )
    problems.extend(named)
    problems.extend(label_problems("serviceName", service_name))
    problems.extend(subdomain_problems("ingressName", ingress_name))
    return namespace, service_name, ingress_name


def check_budget(raw: Any) -> None:
    """Refuse an input that could carry the run's state past Step Functions' 256 KiB payload limit.

    The state holds the resolved request (about the input's size, plus its
    defaults) and what every step adds (at most about 32 KiB: warnings, the
    records UpsertDns replaced, the failure's cause), and each Lambda's
    payload is built from it. A run that passes the limit fails with
    ``States.DataLimitExceeded``, which no Catch can catch: no failure event,
    no remedy. An input within ``INPUT_BUDGET_BYTES`` keeps every state far
    below the limit; a real input is a few KiB at most.
    """
    size = len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode())
    if size > INPUT_BUDGET_BYTES:
        raise InvalidInput(
            f"input: {size} bytes of JSON is over the input budget of {INPUT_BUDGET_BYTES} bytes (64 KiB), which "
            "keeps every state of the run under Step Functions' 256 KiB limit; the largest field is "
            f"{_largest_field(raw)}"
        )


def _largest_field(raw: Any) -> str:
    if not isinstance(raw, dict) or not raw:
        return "the input itself (it is not a JSON object)"
    sizes = {str(key): len(json.dumps(value, ensure_ascii=False).encode()) for key, value in raw.items()}
    key = max(sizes, key=lambda name: sizes[name])
    return f"{key[:64]!r} ({sizes[key]} bytes)"


def token_secret_problems(arn: str, field: str = "verify.tokenSecretArn") -> list[str]:
    if not SECRET_ARN.match(arn):
        return [f"{field}: not a Secrets Manager secret ARN (arn:aws:secretsmanager:...:secret:...)"]
    if not arn.partition(":secret:")[2].startswith(TOKEN_SECRET_PREFIX):
        return [f"{field}: must name a secret under {TOKEN_SECRET_PREFIX}, the only secrets the verification "
                "may read (it never reads certificate keys); store the Milvus credentials there"]
    return []


def hosted_zone(requested: str | None, host: str, stack: FunctionEnvironment, problems: list[str]) -> str | None:
    """``dns.hostedZoneId`` as given, which must be the stack's zone (validate.logic.resolve says why), and
    ``host`` the one record the stack's grant covers, when it names one."""
    if requested is None:
        return None
    zone = zone_id(requested)
    if not stack.hosted_zone_id:
        problems.append(
            "dns.hostedZoneId: the stack was deployed without a hosted zone (context hostedZoneId), "
            "so it may change none"
        )
    elif zone != stack.hosted_zone_id:
        problems.append(
            f"dns.hostedZoneId: {zone!r} is not the stack's hosted zone ({stack.hosted_zone_id!r}), "
            "the only one it may change"
        )
    if stack.dns_record_name and host != stack.dns_record_name:
        problems.append(
            f"dns.hostedZoneId: the stack may change only the record {stack.dns_record_name} (its context host), "
            f"not {host}; leave dns out for this host, or deploy without a fixed host"
        )
    return zone


def _punycode(host: str) -> str:
    """The IDNA (punycode) spelling of a Unicode name, label by label; the name itself if it has none."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return "xn--..."


def host_problems(host: str, field: str = "host") -> list[str]:
    if host.startswith("*"):
        return [f"{field}: a wildcard is not a host; give the exact name clients connect to"]
    if host.endswith("."):
        return [f"{field}: give the name without a trailing dot"]
    try:
        ipaddress.ip_address(host)
        return [f"{field}: an IP address is not accepted; give the DNS name the certificate names"]
    except ValueError:
        pass
    shown = host if len(host) <= 80 else f"{host[:40]}...{host[-20:]}"
    if len(host) > 253:
        return [f"{field}: the name is {len(host)} characters, longer than the 253 a DNS name may have ({shown!r})"]
    if not host.isascii():
        return [f"{field}: {host!r} has characters outside a-z, 0-9 and '-'; give its ASCII (punycode) form, "
                f"{_punycode(host)!r}, as the certificate and DNS name it"]
    labels = host.split(".")
    long_labels = [label for label in labels if len(label) > 63]
    if long_labels:
        return [f"{field}: the label {long_labels[0][:20]!r}... is {len(long_labels[0])} characters; "
                "a DNS label may have at most 63"]
    if not all(_DNS1123_LABEL.match(label) for label in labels):
        return [f"{field}: {host!r} is not a valid DNS name (labels of a-z, 0-9 and '-', not starting or ending "
                "with '-')"]
    return []


def label_problems(field: str, value: str) -> list[str]:
    if len(value) > 63 or not _DNS1123_LABEL.match(value):
        return [
            f"{field}: {value!r} is not a DNS-1123 label (at most 63 characters of a-z, 0-9 and '-', "
            "starting and ending with a letter or digit)"
        ]
    return []


def subdomain_problems(field: str, value: str) -> list[str]:
    if len(value) > 253 or not all(_DNS1123_LABEL.match(part) for part in value.split(".")):
        return [
            f"{field}: {value!r} is not a DNS-1123 subdomain (at most 253 characters of a-z, 0-9, '-' and '.', "
            "each part starting and ending with a letter or digit)"
        ]
    return []


def describe_error(error: Any) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "input"
    if error["type"] == "extra_forbidden":
        return f"{field}: unknown field"
    if error["type"] == "model_type" and not error["loc"]:
        return "input: must be a JSON object"
    return f"{field}: {error['msg'].removeprefix('Value error, ')}"
