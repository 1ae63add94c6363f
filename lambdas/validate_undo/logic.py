"""Turns the undo's input into the request every later undo step reads.

The undo names what setup worked on with the same fields and the same
defaults (host, clusterName, namespace, serviceName, ingressName, dns), and
adds how to reach Milvus through the Layer-4 load balancer it brings back
(``layer4Verify``) and how long to wait for each load balancer. As at setup,
every problem is reported at once, each prefixed with its field, and nothing
is read from AWS or the cluster here: a refusal changes nothing.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from layer7.environment import FunctionEnvironment
from layer7.errors import InvalidInput
from layer7.input_checks import (
    DEFAULT_ALB_TIMEOUT_SECONDS,
    cluster_and_host,
    describe_error,
    host_problems,
    hosted_zone,
    kubernetes_names,
    token_secret_problems,
)
from layer7.undo_models import Layer4VerifySettings, UndoInput, UndoRequest

# A new NLB serves only once it is active and its targets are registered and healthy. The SDK's own waiters
# allow each up to 10 minutes (botocore elbv2 waiters-2.json: LoadBalancerAvailable and TargetInService, 40
# looks 15 s apart), and "it can take a few minutes for the registration process to complete and health checks
# to start" (ELB user guide, "Register targets for your Network Load Balancer"): 20 minutes covers both.
DEFAULT_LAYER4_TIMEOUT_SECONDS = 1200
# With dns: after the record is back and INSYNC and the alias's TTL has passed, clients that keep an answer longer
# than its TTL get this long before the ALB goes (the setup's layer4DrainSeconds, the other way round).
DEFAULT_LAYER7_DRAIN_SECONDS = 60


def parse_undo_input(raw: Any) -> UndoInput:
    try:
        return UndoInput.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput("; ".join(describe_error(error) for error in exc.errors())) from None


def resolve_undo(given: UndoInput, stack: FunctionEnvironment) -> UndoRequest:
    """Fill every default and check what the model cannot: the stack's cluster and zone, Kubernetes names."""
    problems: list[str] = []
    cluster_name, host = cluster_and_host(given, stack, problems)
    namespace, service_name, ingress_name = kubernetes_names(given, stack, problems)
    verify = given.layer4_verify
    server_name = (verify.server_name or host).strip().lower()
    if verify.server_name is not None:
        problems.extend(host_problems(server_name, "layer4Verify.serverName"))
        if not verify.tls:
            problems.append("layer4Verify.serverName: only with tls: true (plain gRPC checks no name)")
    if verify.port not in stack.layer4_ports:
        allowed = ",".join(str(port) for port in stack.layer4_ports)
        problems.append(f"layer4Verify.port: {verify.port} is not a port the functions' security group lets them "
                        f"reach the Layer-4 load balancer on ({allowed}); deploy with -c layer4Ports=...,"
                        f"{verify.port}")
    if verify.token_secret_arn is not None:
        problems.extend(token_secret_problems(verify.token_secret_arn, "layer4Verify.tokenSecretArn"))
    zone = hosted_zone(given.dns.hosted_zone_id, host, stack, problems)
    if problems:
        raise InvalidInput("; ".join(problems))
    return UndoRequest(
        host=host,
        cluster_name=cluster_name,
        namespace=namespace,
        service_name=service_name,
        ingress_name=ingress_name,
        hosted_zone_id=zone,
        layer4_verify=Layer4VerifySettings(tls=verify.tls, port=verify.port, server_name=server_name,
                                           token_secret_arn=verify.token_secret_arn,
                                           timeout_seconds=verify.timeout_seconds),
        layer4_timeout_seconds=_or(given.layer4_timeout_seconds, DEFAULT_LAYER4_TIMEOUT_SECONDS),
        alb_timeout_seconds=_or(given.alb_timeout_seconds, DEFAULT_ALB_TIMEOUT_SECONDS),
        layer7_drain_seconds=_or(given.layer7_drain_seconds, DEFAULT_LAYER7_DRAIN_SECONDS),
    )


def _or(value: int | None, default: int) -> int:
    return value if value is not None else default


def validate_undo(raw: Any, stack: FunctionEnvironment) -> UndoRequest:
    return resolve_undo(parse_undo_input(raw), stack)
