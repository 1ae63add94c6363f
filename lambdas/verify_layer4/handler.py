"""Lambda entry point of the VerifyLayer4 state: parse, call the logic, record the latency, return the wire dict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from layer7.aws import client
from layer7.observability import logger, metrics, tracer
from layer7.undo_models import VerifyLayer4Event
from verify_layer4.logic import verify_layer4

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_secretsmanager import SecretsManagerClient

_SAFETY_MARGIN_SECONDS = 5.0


def _budget(event: VerifyLayer4Event, context: Any) -> float:
    """layer4Verify.timeoutSeconds, cut to what the invocation has left (as VerifyGrpc does)."""
    wanted = float(event.request.layer4_verify.timeout_seconds)
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if remaining_ms is None:
        return wanted
    return max(1.0, min(wanted, remaining_ms() / 1000 - _SAFETY_MARGIN_SECONDS))


@logger.inject_lambda_context(correlation_id_path="correlationId")
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: Any, secrets: SecretsManagerClient | None = None) -> dict[str, Any]:
    step = VerifyLayer4Event.model_validate(event)
    result = verify_layer4(step, secrets=secrets or client("secretsmanager"), timeout_seconds=_budget(step, context))
    metrics.add_metric(name="VerificationLatencyMs", unit=MetricUnit.Milliseconds, value=result.latency_ms)
    logger.info("Milvus answered through the Layer-4 load balancer", extra={"verification": result.to_wire()})
    return result.to_wire()
