"""Lambda entry point of the CheckIngressDeleted state: parse, call the logic, return the wire dict."""

from __future__ import annotations

from contextlib import closing
from typing import TYPE_CHECKING, Any, Callable

from check_ingress_deleted.logic import check_ingress_deleted
from layer7 import aws
from layer7 import kube as k8s
from layer7.observability import logger, metrics, tracer
from layer7.undo_models import CheckIngressDeletedEvent

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_elbv2 import ElasticLoadBalancingv2Client


@logger.inject_lambda_context(correlation_id_path="correlationId")
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(
    event: dict[str, Any],
    context: Any,
    connect: Callable[..., k8s.Kube] = k8s.connect,
    elbv2: ElasticLoadBalancingv2Client | None = None,
) -> dict[str, Any]:
    step = CheckIngressDeletedEvent.model_validate(event)
    with closing(connect(step.request.cluster_name)) as kube:
        return check_ingress_deleted(step, kube, elbv2 or aws.client("elbv2")).to_wire()
