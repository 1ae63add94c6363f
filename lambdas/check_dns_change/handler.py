"""Lambda entry point of the CheckDnsChange state: parse, call the logic, return the wire dict."""

from __future__ import annotations

from typing import Any

from check_dns_change.logic import check_change
from layer7.aws import client
from layer7.models import CheckDnsChangeEvent
from layer7.observability import logger, metrics, tracer


@logger.inject_lambda_context(correlation_id_path="correlationId")
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: Any, route53: Any = None) -> dict[str, Any]:
    step = CheckDnsChangeEvent.model_validate(event)
    return check_change(step, route53=route53 or client("route53")).to_wire()
