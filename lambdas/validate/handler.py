"""Validate's Lambda entry point: it only reads (the input, the network) and, last, takes the host's run lock
(layer7/run_lock.py), so a refusal changed nothing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from layer7.aws import client
from layer7.environment import FunctionEnvironment
from layer7.errors import InvalidInput
from layer7.input_checks import check_budget
from layer7.models import ValidateEvent
from layer7.observability import logger
from layer7.run_lock import acquire_for_execution
from validate.dns import check_host_records
from validate.logic import validate
from validate.network import check_egress


@logger.inject_lambda_context(correlation_id_path="correlationId")
def lambda_handler(event: dict[str, Any], context: LambdaContext, *, sfn: Any = None,
                   ec2: Any = None, route53: Any = None, dynamodb: Any = None) -> dict[str, Any]:
    """``sfn``, ``ec2``, ``route53`` and ``dynamodb`` let a test hand in its own clients."""
    check_budget(event.get("input") if isinstance(event, dict) else event)
    try:
        parsed = ValidateEvent.model_validate(event)
    except ValidationError as exc:
        # The state machine always sends correlationId; only the caller's part can be wrong.
        if all(error["loc"][:1] == ("input",) for error in exc.errors()):
            raise InvalidInput("input: must be a JSON object") from None
        raise
    stack = FunctionEnvironment.from_environment()
    try:
        request = validate(parsed.input, stack)
    except InvalidInput as exc:
        logger.warning("input refused", extra={"reason": str(exc)})
        raise
    # In a VPC: can the functions reach the ALB at all? A renewal's scheme is the recorded one, checked when
    # it was set up; this request holds only defaults for it.
    if stack.subnet_ids and not request.renew:
        check_egress(ec2 or client("ec2"), list(stack.subnet_ids), scheme=request.scheme,
                     annotations=request.ingress_annotations)
    if request.hosted_zone_id:  # an AAAA record at the host stays only as an alias to a dualstack ALB
        check_host_records(route53 or client("route53"), request.hosted_zone_id, request.host,
                           request.ingress_annotations)
    taken_over = None
    if parsed.state_machine_arn:  # run by a state machine, whose ending states give the lock back
        taken_over = acquire_for_execution(request.host, parsed.correlation_id, dynamodb=dynamodb or client("dynamodb"),
                                           sfn=sfn or client("stepfunctions"))
    logger.info(
        "input accepted",
        extra={
            "host": request.host,
            "cluster": request.cluster_name,
            "namespace": request.namespace,
            "service": request.service_name,
            "ingress": request.ingress_name,
            "dns": request.hosted_zone_id is not None,
            "renew": request.renew,
            "runLockTakenOverFrom": taken_over,
        },
    )
    return request.to_wire()
