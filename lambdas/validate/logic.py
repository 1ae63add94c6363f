"""Turns the caller's execution input into the full request every later step reads.

All checking that needs no AWS call happens here, so a bad input fails at the
first state, before a certificate is imported or an Ingress applied. Every
problem found is reported at once, each prefixed with the field it concerns,
so one correction fixes the input.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from layer7.errors import InvalidInput
from layer7.ingress_defaults import DEFAULT_ANNOTATIONS
from layer7.models import CertificateRef, ExecutionInput, SetupRequest, VerifySettings
from layer7.ownership import TOKEN_SECRET_PREFIX
from validate.annotation_models import workflow_problems
from validate.annotations import check_annotation, check_annotations

DEFAULT_NAMESPACE = "milvus"
DEFAULT_SERVICE_NAME = "milvus-demo"
DEFAULT_SERVICE_PORT = 19530
DEFAULT_SCHEME = "internet-facing"
DEFAULT_LISTEN_PORT = 443
DEFAULT_LAYER4 = "remove"
DEFAULT_ALB_TIMEOUT_SECONDS = 900
INPUT_BUDGET_BYTES = 64 * 1024
# With dns: after the record is INSYNC and the old TTL has passed, clients whose resolvers or runtimes hold an
# answer longer than its TTL (JVMs, connection pools) get this long before the Layer-4 load balancer goes.
DEFAULT_LAYER4_DRAIN_SECONDS = 60

ANNOTATION_PREFIX = "alb.ingress.kubernetes.io/"
# The workflow sets these itself; letting a caller override one would break the
# Layer-7 path (e.g. target-type instance with a ClusterIP Service). The workflow's
# other defaults (layer7.ingress_defaults) are the caller's to override.
OWNED_ANNOTATIONS = frozenset({"certificate-arn", "backend-protocol-version", "target-type", "listen-ports", "scheme"})

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_ANNOTATION_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_PARTITION = r"arn:aws(?:-[a-z]+)*"
SECRET_ARN = re.compile(rf"^{_PARTITION}:secretsmanager:[a-z0-9-]+:\d{{12}}:secret:[\w/+=.@-]+$")
_ACM_ARN = re.compile(rf"^{_PARTITION}:acm:(?P<region>[a-z0-9-]+):\d{{12}}:certificate/[A-Za-z0-9-]+$")


@dataclass(frozen=True)
class StackDefaults:
    """What the stack was deployed with (its function environment, DESIGN.md)."""

    cluster_name: str = ""
    namespace: str = DEFAULT_NAMESPACE
    host: str = ""
    certificate_secret_arn: str = ""
    hosted_zone_id: str = ""
    region: str = ""
    # The ports the functions' security group lets them reach the ALB on (context albListenPorts).
    listen_ports: tuple[int, ...] = (DEFAULT_LISTEN_PORT,)
    # Where the functions run (context privateSubnetIds); empty outside a VPC.
    subnet_ids: tuple[str, ...] = ()
    # The ports the security group lets the undo's VerifyLayer4 reach the Layer-4 load balancer on (layer4Ports).
    layer4_ports: tuple[int, ...] = (DEFAULT_SERVICE_PORT,)
    # With dns: the one record name the stack's grant may change (context host with hostedZoneId), if set.
    dns_record_name: str = ""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> StackDefaults:
        env = os.environ if environ is None else environ
        ports = tuple(int(port) for port in env.get("ALB_LISTEN_PORTS", "").split(",") if port.strip().isdigit())
        layer4 = tuple(int(port) for port in env.get("LAYER4_PORTS", "").split(",") if port.strip().isdigit())
        return cls(
            cluster_name=env.get("CLUSTER_NAME", "").strip(),
            namespace=env.get("DEFAULT_NAMESPACE", "").strip() or DEFAULT_NAMESPACE,
            host=env.get("DEFAULT_HOST", "").strip(),
            certificate_secret_arn=env.get("DEFAULT_CERTIFICATE_SECRET_ARN", "").strip(),
            hosted_zone_id=zone_id(env.get("HOSTED_ZONE_ID", "")),
            region=env.get("AWS_REGION", "").strip(),
            listen_ports=ports or (DEFAULT_LISTEN_PORT,),
            subnet_ids=tuple(s.strip() for s in env.get("FUNCTION_SUBNET_IDS", "").split(",") if s.strip()),
            layer4_ports=layer4 or (DEFAULT_SERVICE_PORT,),
            dns_record_name=env.get("DNS_RECORD_NAME", "").strip().lower(),
        )


def parse_input(raw: Any) -> ExecutionInput:
    """The strict model's verdict, reworded as ``field: problem`` with the contract's camelCase names."""
    try:
        return ExecutionInput.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput("; ".join(describe_error(error) for error in exc.errors())) from None


def resolve(given: ExecutionInput, stack: StackDefaults) -> SetupRequest:
    """Fill every default and apply the checks the model cannot know (stack settings, Kubernetes names).

    DNS is done only when the input asks for it with ``dns.hostedZoneId``, even
    when the stack has a zone: the zone in the stack's configuration is the one
    zone its role may change, not a promise to repoint ``host`` on every run (a
    caller who manages DNS elsewhere would find its record overwritten). So the
    stack's zone is never a default, only a limit: an input naming another zone,
    or any zone when the stack has none, is refused here rather than failing
    with AccessDenied after the ALB exists.
    """
    problems: list[str] = []

    cluster_name, host = cluster_and_host(given, stack, problems)

    if given.renew:
        return _renewal(given, stack, cluster_name, host, problems)

    certificate = _certificate(given, stack, problems)

    namespace, service_name, ingress_name = kubernetes_names(given, stack, problems)

    for key, value in given.ingress_annotations.items():
        problems.extend(_annotation_problems(key, value))
    problems.extend(check_annotations(given.ingress_annotations, defaults=DEFAULT_ANNOTATIONS))

    if given.verify.token_secret_arn is not None:
        problems.extend(token_secret_problems(given.verify.token_secret_arn))

    listen_port = given.listen_port if given.listen_port is not None else DEFAULT_LISTEN_PORT
    if listen_port not in stack.listen_ports:
        allowed = ",".join(str(port) for port in stack.listen_ports)
        problems.append(
            f"listenPort: {listen_port} is not a port the functions' security group may reach the ALB on ({allowed}): "
            f"VerifyGrpc could not get through; deploy with -c albListenPorts={allowed},{listen_port}"
        )
    problems.extend(workflow_problems(given.ingress_annotations, listen_port=listen_port))

    hosted_zone_id = hosted_zone(given.dns.hosted_zone_id, host, stack, problems)

    if problems:
        raise InvalidInput("; ".join(problems))
    if certificate is None:  # every path that leaves it None recorded a problem
        raise AssertionError("no certificate source, yet no problem recorded")
    return SetupRequest(
        host=host,
        certificate=certificate,
        cluster_name=cluster_name,
        namespace=namespace,
        service_name=service_name,
        service_port=given.service_port if given.service_port is not None else DEFAULT_SERVICE_PORT,
        ingress_name=ingress_name,
        scheme=given.scheme or DEFAULT_SCHEME,
        listen_port=listen_port,
        ingress_annotations=dict(given.ingress_annotations),
        layer4=given.layer4 or DEFAULT_LAYER4,
        verify=VerifySettings(
            token_secret_arn=given.verify.token_secret_arn,
            round_trip=given.verify.round_trip,
            timeout_seconds=given.verify.timeout_seconds,
        ),
        hosted_zone_id=hosted_zone_id,
        alb_timeout_seconds=given.alb_timeout_seconds
        if given.alb_timeout_seconds is not None
        else DEFAULT_ALB_TIMEOUT_SECONDS,
        layer4_drain_seconds=given.layer4_drain_seconds
        if given.layer4_drain_seconds is not None
        else DEFAULT_LAYER4_DRAIN_SECONDS,
        replace_load_balancer=bool(given.replace_load_balancer),
    )


# A renewal names which setup to renew; everything else is the setup's own, read from its record.
RENEWAL_FIELDS = frozenset({"host", "cluster_name", "namespace", "renew"})


def _renewal(given: ExecutionInput, stack: StackDefaults, cluster_name: str, host: str,
             problems: list[str]) -> SetupRequest:
    """A request that says only which setup to renew: ReadSetupRecord puts the recorded one in its place.

    The rest is filled with the contract's defaults, which no step reads before ReadSetupRecord
    replaces them; no certificate is named, the record names it.
    """
    namespace, service_name, ingress_name = kubernetes_names(given, stack, problems)
    extra = sorted(to_camel(name) for name in given.model_fields_set - RENEWAL_FIELDS)
    if extra:
        problems.append(f"renew: a renewal re-applies the setup recorded for the host, with the certificate's "
                        f"current value; it takes only host, clusterName and namespace, not {', '.join(extra)}")
    if problems:
        raise InvalidInput("; ".join(problems))
    return SetupRequest(
        host=host, certificate=CertificateRef(), cluster_name=cluster_name, namespace=namespace,
        service_name=service_name, service_port=DEFAULT_SERVICE_PORT, ingress_name=ingress_name,
        scheme=DEFAULT_SCHEME, listen_port=DEFAULT_LISTEN_PORT, ingress_annotations={}, layer4=DEFAULT_LAYER4,
        verify=VerifySettings(), alb_timeout_seconds=DEFAULT_ALB_TIMEOUT_SECONDS, renew=True,
    )


def cluster_and_host(given: Any, stack: StackDefaults, problems: list[str]) -> tuple[str, str]:
    """The cluster and host a run is for (setup's and the undo's, with the same defaults); their problems noted."""
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


def kubernetes_names(given: Any, stack: StackDefaults, problems: list[str]) -> tuple[str, str, str]:
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


def validate(raw: Any, stack: StackDefaults) -> SetupRequest:
    return resolve(parse_input(raw), stack)


def _certificate(given: ExecutionInput, stack: StackDefaults, problems: list[str]) -> CertificateRef | None:
    if given.certificate is None:
        if not stack.certificate_secret_arn:
            problems.append(
                "certificate: required; the stack has no default certificate secret (context certificateSecretArn)"
            )
            return None
        source = CertificateRef(secret_arn=stack.certificate_secret_arn)
    else:
        source = CertificateRef(
            secret_arn=given.certificate.secret_arn, certificate_arn=given.certificate.certificate_arn
        )
    if source.secret_arn is not None and not SECRET_ARN.match(source.secret_arn):
        problems.append(
            "certificate.secretArn: not a Secrets Manager secret ARN "
            "(arn:aws:secretsmanager:<region>:<account>:secret:<name>)"
        )
    if source.certificate_arn is not None:
        match = _ACM_ARN.match(source.certificate_arn)
        if not match:
            problems.append(
                "certificate.certificateArn: not an ACM certificate ARN "
                "(arn:aws:acm:<region>:<account>:certificate/<id>)"
            )
        elif stack.region and match["region"] != stack.region:
            problems.append(
                f"certificate.certificateArn: is in {match['region']} but the load balancer is in {stack.region}; "
                "ACM certificates are regional: import it into this region"
            )
    return source


def token_secret_problems(arn: str, field: str = "verify.tokenSecretArn") -> list[str]:
    if not SECRET_ARN.match(arn):
        return [f"{field}: not a Secrets Manager secret ARN (arn:aws:secretsmanager:...:secret:...)"]
    if not arn.partition(":secret:")[2].startswith(TOKEN_SECRET_PREFIX):
        return [f"{field}: must name a secret under {TOKEN_SECRET_PREFIX}, the only secrets the verification "
                "may read (it never reads certificate keys); store the Milvus credentials there"]
    return []


def hosted_zone(requested: str | None, host: str, stack: StackDefaults, problems: list[str]) -> str | None:
    """``dns.hostedZoneId`` as given, which must be the stack's zone (resolve's docstring says why), and
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


def _annotation_problems(key: str, value: str) -> list[str]:
    """The name first (prefix, owned, syntax), then the value against the controller's rules (annotations.py)."""
    field = f"ingressAnnotations.{key}"
    if not key.startswith(ANNOTATION_PREFIX):
        return [f"{field}: only {ANNOTATION_PREFIX}* annotations can be added"]
    name = key.removeprefix(ANNOTATION_PREFIX)
    if name in OWNED_ANNOTATIONS:
        return [f"{field}: set by the workflow itself and cannot be overridden"]
    if len(name) > 63 or not _ANNOTATION_NAME.match(name):
        return [f"{field}: not a valid annotation name"]
    # The workflow's target group is always GRPC (workflow_annotations), so success-codes is a gRPC matcher.
    return check_annotation(key, value, protocol_version="GRPC")


def zone_id(value: str) -> str:
    # Route 53 returns zone ids as "/hostedzone/Z..."; callers paste either form.
    return value.strip().removeprefix("/hostedzone/")


def describe_error(error: Any) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "input"
    if error["type"] == "extra_forbidden":
        return f"{field}: unknown field"
    if error["type"] == "model_type" and not error["loc"]:
        return "input: must be a JSON object"
    return f"{field}: {error['msg'].removeprefix('Value error, ')}"
