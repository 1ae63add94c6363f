"""Validate's Lambda entry point: no AWS call, so a refused input has changed nothing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from layer7.errors import InvalidInput
from layer7.models import ValidateEvent
from layer7.observability import logger, metrics, tracer
from validate.logic import StackDefaults, validate


@logger.inject_lambda_context(correlation_id_path="correlationId")
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        parsed = ValidateEvent.model_validate(event)
    except ValidationError as exc:
        # The state machine always sends correlationId; only the caller's part can be wrong.
        if all(error["loc"][:1] == ("input",) for error in exc.errors()):
            raise InvalidInput("input: must be a JSON object") from None
        raise
    try:
        request = validate(parsed.input, StackDefaults.from_environment())
    except InvalidInput as exc:
        logger.warning("input refused", extra={"reason": str(exc)})
        raise
    logger.info(
        "input accepted",
        extra={
            "host": request.host,
            "cluster": request.cluster_name,
            "namespace": request.namespace,
            "service": request.service_name,
            "ingress": request.ingress_name,
            "dns": request.hosted_zone_id is not None,
        },
    )
    return request.to_wire()
