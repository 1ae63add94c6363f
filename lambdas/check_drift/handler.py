"""Lambda entry point of CheckDrift: invoked directly (``layer7ctl status``) and by the scheduled check's state
machine (stacks/drift_schedule.py), first with ``listHosts``, then once per host.

Not ``layer7.handlers.step_handler``: the input is the caller's, not a state's (no resolved request; the host
and namespace default to the stack's, the cluster is always the stack's), so it is parsed here and refused
with ``InvalidInput`` as Validate refuses a bad execution input.
"""

from __future__ import annotations

from contextlib import closing
from typing import Any, Callable

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from check_drift.logic import check_drift, recorded_hosts
from check_drift.models import DriftInput
from layer7 import aws
from layer7 import kube as k8s
from layer7.environment import FunctionEnvironment
from layer7.errors import InvalidInput
from layer7.observability import logger
from layer7.served_certificate import presented_certificate


def given_input(event: Any) -> DriftInput:
    try:
        return DriftInput.model_validate(event if event is not None else {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"{problems}. Nothing was read") from None


def parse(event: Any, stack: FunctionEnvironment) -> tuple[str, str, int]:
    """(host, namespace, certificate days) from the input, the stack's host and namespace filling the gaps."""
    given = given_input(event)
    host = (given.host or stack.host).strip().lower()
    if not host:
        raise InvalidInput("host: give the host to check (the stack has no default host). Nothing was read")
    return host, given.namespace or stack.namespace, given.certificate_days


@logger.inject_lambda_context(correlation_id_path="correlationId")
def lambda_handler(event: dict[str, Any], context: LambdaContext, connect: Callable[..., k8s.Kube] = k8s.connect,
                   **given: Any) -> dict[str, Any]:
    """``elbv2``, ``acm``, ``route53``, ``secrets``, ``present`` (the TLS handshake with the ALB) and ``connect``
    let a test hand in its own."""
    stack = FunctionEnvironment.from_environment()
    asked = given_input(event)
    if asked.list_hosts:
        if asked.host is not None:
            raise InvalidInput("listHosts: lists every recorded host; give it without host. Nothing was read")
        with closing(connect(stack.cluster_name)) as kube:
            return recorded_hosts(kube, asked.namespace or stack.namespace).to_wire()
    host, namespace, days = parse(event, stack)
    elbv2, acm = given.get("elbv2") or aws.client("elbv2"), given.get("acm") or aws.client("acm")
    route53 = given.get("route53") or aws.client("route53")
    secrets = given.get("secrets") or aws.client("secretsmanager")
    with closing(connect(stack.cluster_name)) as kube:
        return check_drift(host, namespace, kube, elbv2, acm, route53, certificate_days=days, secrets=secrets,
                           present=given.get("present") or presented_certificate).to_wire()
