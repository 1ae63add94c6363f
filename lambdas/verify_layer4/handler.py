"""Lambda entry point of the VerifyLayer4 state: parse, call the logic, record the latency, return the wire dict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from layer7.aws import client
from layer7.budget import invocation_budget
from layer7.observability import logger, metrics, tracer
from layer7.undo_models import VerifyLayer4Event
from verify_layer4.logic import verify_layer4

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_secretsmanager import SecretsManagerClient


@logger.inject_lambda_context(correlation_id_path="correlationId")
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: Any, secrets: SecretsManagerClient | None = None) -> dict[str, Any]:
    step = VerifyLayer4Event.model_validate(event)
    budget = invocation_budget(step.request.layer4_verify.timeout_seconds, context)
    result = verify_layer4(step, secrets=secrets or client("secretsmanager"), timeout_seconds=budget)
    metrics.add_metric(name="VerificationLatencyMs", unit=MetricUnit.Milliseconds, value=result.latency_ms)
    logger.info("Milvus answered through the Layer-4 load balancer", extra={"verification": result.to_wire()})
    return result.to_wire()
