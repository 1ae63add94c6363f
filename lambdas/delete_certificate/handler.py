"""Lambda entry point of the DeleteCertificate state: parse, call the logic, return the wire dict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from delete_certificate.logic import delete_certificates
from layer7.aws import client
from layer7.observability import logger, metrics, tracer
from layer7.undo_models import DeleteCertificateEvent

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_acm import ACMClient


@logger.inject_lambda_context(correlation_id_path="correlationId")
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: Any, acm: ACMClient | None = None) -> dict[str, Any]:
    step = DeleteCertificateEvent.model_validate(event)
    return delete_certificates(step, acm=acm or client("acm")).to_wire()
