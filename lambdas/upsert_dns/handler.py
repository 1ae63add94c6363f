"""Lambda entry points of the UpsertDns and CheckDnsChange states: parse, call the logic, return the wire dict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from layer7.aws import client
from layer7.models import CheckDnsChangeEvent, UpsertDnsEvent
from layer7.observability import logger, metrics, tracer
from upsert_dns.logic import check_change, upsert_alias

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_elbv2 import ElasticLoadBalancingv2Client
    from types_boto3_route53 import Route53Client


@logger.inject_lambda_context(correlation_id_path="correlationId")
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(
    event: dict[str, Any],
    context: Any,
    route53: Route53Client | None = None,
    elbv2: ElasticLoadBalancingv2Client | None = None,
) -> dict[str, Any]:
    step = UpsertDnsEvent.model_validate(event)
    return upsert_alias(step, route53=route53 or client("route53"), elbv2=elbv2 or client("elbv2")).to_wire()


@logger.inject_lambda_context(correlation_id_path="correlationId")
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def check_change_handler(event: dict[str, Any], context: Any, route53: Route53Client | None = None) -> dict[str, Any]:
    step = CheckDnsChangeEvent.model_validate(event)
    return check_change(step, route53=route53 or client("route53")).to_wire()
