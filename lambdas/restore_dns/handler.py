"""Lambda entry point of the RestoreDns state: parse, call the logic, return the wire dict (or null)."""

from __future__ import annotations

from contextlib import closing
from typing import Any, Callable

from layer7 import kube as k8s
from layer7.aws import client
from layer7.environment import FunctionEnvironment
from layer7.observability import logger
from layer7.undo_models import RestoreDnsEvent
from restore_dns.logic import restore_dns


@logger.inject_lambda_context(correlation_id_path="correlationId")
def lambda_handler(event: dict[str, Any], context: Any, route53: Any = None,
                   connect: Callable[..., k8s.Kube] = k8s.connect) -> dict[str, Any] | None:
    step = RestoreDnsEvent.model_validate(event)
    with closing(connect(step.request.cluster_name)) as kube:
        restored = restore_dns(step, kube=kube, route53_client=lambda: route53 or client("route53"),
                               stack_zone=FunctionEnvironment.from_environment().hosted_zone_id)
    return restored.to_wire() if restored is not None else None
