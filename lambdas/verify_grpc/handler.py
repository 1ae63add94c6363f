"""Lambda entry point of the VerifyGrpc state: parse, call the logic, record the latency, return the wire dict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from layer7.aws import client
from layer7.budget import invocation_budget
from layer7.models import VerifyGrpcEvent
from layer7.observability import logger, metrics, tracer
from verify_grpc.logic import verify

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_acm import ACMClient
    from types_boto3_secretsmanager import SecretsManagerClient

@logger.inject_lambda_context(correlation_id_path="correlationId")
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(
    event: dict[str, Any],
    context: Any,
    acm: ACMClient | None = None,
    secrets: SecretsManagerClient | None = None,
) -> dict[str, Any]:
    step = VerifyGrpcEvent.model_validate(event)
    result = verify(
        step,
        acm=acm or client("acm"),
        secrets=secrets or client("secretsmanager"),
        timeout_seconds=invocation_budget(step.request.verify.timeout_seconds, context),
    )
    metrics.add_metric(name="VerificationLatencyMs", unit=MetricUnit.Milliseconds, value=result.latency_ms)
    logger.info("Milvus answered through the ALB", extra={"verification": result.to_wire()})
    return result.to_wire()
