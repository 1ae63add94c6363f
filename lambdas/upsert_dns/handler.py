"""Lambda entry point of the UpsertDns state: parse, call the logic, return the wire dict."""

from __future__ import annotations

from contextlib import closing
from typing import Any, Callable

from layer7 import kube as k8s
from layer7.aws import client
from layer7.models import UpsertDnsEvent
from layer7.observability import logger, metrics, tracer
from upsert_dns.logic import upsert_alias


@logger.inject_lambda_context(correlation_id_path="correlationId")
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: Any, route53: Any = None, elbv2: Any = None,
                   connect: Callable[..., k8s.Kube] = k8s.connect) -> dict[str, Any]:
    step = UpsertDnsEvent.model_validate(event)
    with closing(connect(step.request.cluster_name)) as kube:
        return upsert_alias(step, route53=route53 or client("route53"), kube=kube,
                            elbv2=elbv2 or client("elbv2")).to_wire()
