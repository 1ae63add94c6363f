"""The entry point every Kubernetes-only step shares: parse, connect with the function's role, call, close.

Five steps (ApplyIngress, RemoveLayer4, RestoreLayer4, CheckLayer4,
DeleteIngress) need nothing but the cluster, so their handlers differ only in
the event model and the logic they call. ``connect`` stays a keyword of the
handler so tests hand in a fake cluster; the connection is closed whatever
the step raises, since a warm container would otherwise keep its socket.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from typing import Any, TypeVar

from pydantic import BaseModel

from layer7 import kube as k8s
from layer7.models import WireModel
from layer7.observability import logger, metrics, tracer

Event = TypeVar("Event", bound=BaseModel)
Handler = Callable[..., dict[str, Any]]


def kubernetes_step(model: type[Event], step: Callable[[Event, k8s.Kube], WireModel]) -> Handler:
    """The Lambda handler that validates the event as ``model`` and returns ``step``'s result as wire JSON."""

    @logger.inject_lambda_context(correlation_id_path="correlationId")
    @metrics.log_metrics
    @tracer.capture_lambda_handler(capture_response=False)
    def lambda_handler(
        event: dict[str, Any], context: Any, connect: Callable[..., k8s.Kube] = k8s.connect
    ) -> dict[str, Any]:
        parsed = model.model_validate(event)
        with closing(connect(parsed.request.cluster_name)) as kube:  # type: ignore[attr-defined]  # every step event has its request
            return step(parsed, kube).to_wire()

    return lambda_handler
