"""One logger and metrics object for every step; no tracer.

The service name and metrics namespace come from the function's environment
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, set by the stack), so
an operator finds every step's lines under one service.

No function opens spans of its own: the X-Ray SDK Powertools' Tracer wraps is
in maintenance mode (end of support 25 February 2027), and the functions keep
Lambda's active tracing, whose segments Lambda writes itself, so the service
map still shows each function under its state machine (docs/DESIGN.md,
"Tracing"). Nothing here imports ``aws_xray_sdk`` (tests/unit/test_observability.py).

A handler whose step may add a metric is wrapped in ``publishing_metrics``;
one that never does has no metrics decorator at all.
"""

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="milvus-layer7")
metrics = Metrics(namespace="MilvusLayer7", service="milvus-layer7")

Handler = TypeVar("Handler", bound=Callable[..., Any])


def publishing_metrics(handler: Handler) -> Handler:
    """``handler`` that prints the metrics its invocation added as one CloudWatch embedded metric format line, when
    it ends, failed or not; and nothing when it added none (Powertools' ``log_metrics`` warns "No application
    metrics to publish" then, which a step that emits only on some invocations, as CheckLoadBalancer on the
    poll that finds the ALB ready, would log on all the others)."""

    @functools.wraps(handler)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        finally:
            if metrics.metric_set:
                metrics.flush_metrics()

    return wrapped  # type: ignore[return-value]
