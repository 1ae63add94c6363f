"""Lambda entry point of the RestoreLayer4 state: parse, call the logic, return the wire dict."""

from __future__ import annotations

from contextlib import closing
from typing import Any, Callable

from layer7 import kube as k8s
from layer7.observability import logger, metrics, tracer
from layer7.undo_models import RestoreLayer4Event
from restore_layer4.logic import restore_layer4


@logger.inject_lambda_context(correlation_id_path="correlationId")
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(
    event: dict[str, Any], context: Any, connect: Callable[..., k8s.Kube] = k8s.connect
) -> dict[str, Any]:
    step = RestoreLayer4Event.model_validate(event)
    with closing(connect(step.request.cluster_name)) as kube:
        return restore_layer4(step, kube).to_wire()
