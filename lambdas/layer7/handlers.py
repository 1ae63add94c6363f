"""The one shape of a step's Lambda handler: parse, clients, call, result.

A step declares the event model it parses, the logic it calls and the
clients that logic takes (the cluster, AWS services by name); the handler
built here does the rest the same way for every step: Powertools' context,
metrics, the model's validation, each client made with the
function's own role (or handed in by a test as a keyword of the same name),
the cluster connection closed whatever the step raises (a warm environment
would otherwise keep its socket), and the result as wire JSON.

The two verifications (VerifyGrpc through the ALB, VerifyLayer4 through the
Layer-4 load balancer) share ``verification_handler``: the same shape, plus
the check's timeout cut to what the invocation has left, and two metrics:
the seconds the whole check took (``VerificationSeconds``: DNS, the presented
certificate, the gRPC call) and the gRPC answer's own latency
(``VerificationLatencyMs``). Steps whose handler does more than either (Validate and
ValidateUndo read the stack's environment, ImportCertificate reports its
import, RestoreDns makes Route 53 only when a record needs it, CheckDrift is
invoked directly with a caller's input) keep a handler of their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack, closing
from typing import Any, TypeVar

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel

from layer7 import aws
from layer7 import kube as k8s
from layer7.budget import invocation_budget
from layer7.models import WireModel
from layer7.observability import logger, metrics, publishing_metrics

Event = TypeVar("Event", bound=BaseModel)
Handler = Callable[..., dict[str, Any]]


def step_handler(model: type[Event], step: Callable[..., WireModel], *, kubernetes: bool = False,
                 services: tuple[aws.Service, ...] = (), emits_metrics: bool = False) -> Handler:
    """The Lambda handler that validates the event as ``model``, calls ``step(event, kube=..., <service>=...)``
    with the clients declared, and returns its result as wire JSON; with ``emits_metrics``, the metrics ``step``
    added are published (``publishing_metrics``)."""

    def lambda_handler(event: dict[str, Any], context: Any, connect: Callable[..., k8s.Kube] = k8s.connect,
                       **given: Any) -> dict[str, Any]:
        parsed = model.model_validate(event)
        clients: dict[str, Any] = {name: given.get(name) or aws.client(name) for name in services}
        with ExitStack() as resources:
            if kubernetes:
                cluster = parsed.request.cluster_name  # type: ignore[attr-defined]  # every step event has its request
                clients["kube"] = resources.enter_context(closing(connect(cluster)))
            return step(parsed, **clients).to_wire()

    published = publishing_metrics(lambda_handler) if emits_metrics else lambda_handler
    return logger.inject_lambda_context(published, correlation_id_path="correlationId")


def verification_handler(model: type[Event], verify: Callable[..., Any], *, clients: Mapping[str, aws.Service],
                         timeout_of: Callable[[Any], float], through: str) -> Handler:
    """The handler of a check of Milvus: ``verify(event, timeout_seconds=..., <keyword>=<client>)`` with each of
    ``clients`` (keyword -> service), the check's timeout (``timeout_of(event)``) cut to the invocation's time
    left, the check's seconds and the answer's latency recorded (metrics ``VerificationSeconds``,
    ``VerificationLatencyMs``) and logged. A check that fails records neither: the state machine retries it."""

    @logger.inject_lambda_context(correlation_id_path="correlationId")
    @publishing_metrics
    def lambda_handler(event: dict[str, Any], context: Any, **given: Any) -> dict[str, Any]:
        parsed = model.model_validate(event)
        made = {keyword: given.get(keyword) or aws.client(service) for keyword, service in clients.items()}
        started = time.monotonic()
        result = verify(parsed, timeout_seconds=invocation_budget(timeout_of(parsed), context), **made)
        seconds = round(time.monotonic() - started, 3)
        wire = dict(result.to_wire())
        metrics.add_metric(name="VerificationSeconds", unit=MetricUnit.Seconds, value=seconds)
        metrics.add_metric(name="VerificationLatencyMs", unit=MetricUnit.Milliseconds, value=result.latency_ms)
        logger.info(f"Milvus answered through {through}", extra={"verification": wire})
        return wire

    return lambda_handler
