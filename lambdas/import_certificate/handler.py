"""ImportCertificate's Lambda entry point: parse the step event, ensure the certificate, report its expiry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from import_certificate.logic import ensure_certificate
from layer7.aws import client
from layer7.models import StepEvent
from layer7.observability import logger, metrics, publishing_metrics

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_acm import ACMClient
    from types_boto3_secretsmanager import SecretsManagerClient


@logger.inject_lambda_context(correlation_id_path="correlationId")
@publishing_metrics
def lambda_handler(
    event: dict[str, Any],
    context: LambdaContext,
    *,
    acm: ACMClient | None = None,
    secretsmanager: SecretsManagerClient | None = None,
) -> dict[str, Any]:
    """``acm`` and ``secretsmanager`` let a test hand in its own clients instead of patching."""
    step = StepEvent.model_validate(event)
    result = ensure_certificate(
        step.request,
        execution=step.correlation_id,
        acm=acm or client("acm"),
        secretsmanager=secretsmanager or client("secretsmanager"),
    )
    # An imported certificate is never renewed by ACM: this is what an alarm watches.
    metrics.add_metric(name="CertificateDaysUntilExpiry", unit=MetricUnit.Count, value=result.days_until_expiry)
    return result.to_wire()
