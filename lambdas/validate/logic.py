"""Turns the caller's execution input into the full request every later step reads.

All checking that needs no AWS call happens here, so a bad input fails at the
first state, before a certificate is imported or an Ingress applied. Every
problem found is reported at once, each prefixed with the field it concerns,
so one correction fixes the input.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from pydantic.alias_generators import to_camel

from layer7.environment import DEFAULT_LISTEN_PORT, DEFAULT_SERVICE_PORT, FunctionEnvironment
from layer7.errors import InvalidInput
from layer7.ingress_defaults import DEFAULT_ANNOTATIONS
from layer7.input_checks import (
    ARN_PARTITION,
    DEFAULT_ALB_TIMEOUT_SECONDS,
    SECRET_ARN,
    cluster_and_host,
    describe_error,
    hosted_zone,
    kubernetes_names,
    token_secret_problems,
)
from layer7.models import CertificateRef, ExecutionInput, SetupRequest, VerifySettings
from validate.annotation_models import workflow_problems
from validate.annotations import check_annotation, check_annotations

DEFAULT_SCHEME = "internet-facing"
DEFAULT_LAYER4 = "remove"
# With dns: after the record is INSYNC and the old TTL has passed, clients whose resolvers or runtimes hold an
# answer longer than its TTL (JVMs, connection pools) get this long before the Layer-4 load balancer goes.
DEFAULT_LAYER4_DRAIN_SECONDS = 60

ANNOTATION_PREFIX = "alb.ingress.kubernetes.io/"
# The workflow sets these itself; letting a caller override one would break the
# Layer-7 path (e.g. target-type instance with a ClusterIP Service). The workflow's
# other defaults (layer7.ingress_defaults) are the caller's to override.
OWNED_ANNOTATIONS = frozenset({"certificate-arn", "backend-protocol-version", "target-type", "listen-ports", "scheme"})

_ANNOTATION_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_ACM_ARN = re.compile(rf"^{ARN_PARTITION}:acm:(?P<region>[a-z0-9-]+):\d{{12}}:certificate/[A-Za-z0-9-]+$")


def parse_input(raw: Any) -> ExecutionInput:
    """The strict model's verdict, reworded as ``field: problem`` with the contract's camelCase names."""
    try:
        return ExecutionInput.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput("; ".join(describe_error(error) for error in exc.errors())) from None


def resolve(given: ExecutionInput, stack: FunctionEnvironment) -> SetupRequest:
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
RENEWAL_FIELDS = frozenset({"host", "cluster_name", "namespace", "renew", "stack"})


def _renewal(given: ExecutionInput, stack: FunctionEnvironment, cluster_name: str, host: str,
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


def validate(raw: Any, stack: FunctionEnvironment) -> SetupRequest:
    return resolve(parse_input(raw), stack)


def _certificate(given: ExecutionInput, stack: FunctionEnvironment, problems: list[str]) -> CertificateRef | None:
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


