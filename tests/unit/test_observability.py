"""Metrics only where a step emits one (layer7/observability.py publishing_metrics, handlers.py step_handler), and
no function that imports the X-Ray SDK."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from aws_lambda_powertools.metrics import MetricUnit

from layer7.handlers import step_handler
from layer7.models import WireModel
from layer7.observability import metrics, publishing_metrics
from stacks import steps

ROOT = Path(__file__).resolve().parents[2]


class Done(WireModel):
    done: bool = True


class Ping(WireModel):
    correlation_id: str


def emf_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"_aws"' in line]


def test_a_handler_that_added_a_metric_prints_it_in_embedded_metric_format(capsys):
    @publishing_metrics
    def handler() -> str:
        metrics.add_metric(name="AlbWaitSeconds", unit=MetricUnit.Seconds, value=12.5)
        return "answer"

    assert handler() == "answer"
    (line,) = emf_lines(capsys.readouterr().out)
    assert line["AlbWaitSeconds"] == [12.5] and line["service"] == "milvus-layer7"
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "MilvusLayer7"
    assert directive["Metrics"] == [{"Name": "AlbWaitSeconds", "Unit": "Seconds"}]


def test_metrics_added_before_a_failure_are_printed_too(capsys):
    @publishing_metrics
    def handler() -> None:
        metrics.add_metric(name="AlbWaitSeconds", unit=MetricUnit.Seconds, value=1)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        handler()
    assert [line["AlbWaitSeconds"] for line in emf_lines(capsys.readouterr().out)] == [[1]]


def test_a_handler_that_added_none_prints_nothing_and_warns_nothing(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Powertools' "No application metrics to publish" would raise here
        assert publishing_metrics(lambda: 7)() == 7
    assert emf_lines(capsys.readouterr().out) == []


EVENT = {"correlationId": "run-1"}


@pytest.mark.parametrize("emits", [True, False])
def test_a_step_publishes_what_it_added_only_when_declared_to_emit(capsys, lambda_context, emits):
    def step(event, **_):
        if emits:
            metrics.add_metric(name="AlbWaitSeconds", unit=MetricUnit.Seconds, value=3)
        return Done()

    handler = step_handler(Ping, step, emits_metrics=emits)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert handler(EVENT, lambda_context) == {"done": True}
    assert [line["AlbWaitSeconds"] for line in emf_lines(capsys.readouterr().out)] == ([[3]] if emits else [])


# A meta-path finder ahead of every other: any import of the X-Ray SDK, at module level or lazily when a handler
# module runs its top level (Powertools' Tracer loads it in its constructor), fails the import of that handler.
_GUARDED_IMPORT = """
import importlib, sys
class NoXRay:
    def find_spec(self, name, path=None, target=None):
        if name == "aws_xray_sdk" or name.startswith("aws_xray_sdk."):
            raise ImportError(f"{name} imported")
        return None
sys.meta_path.insert(0, NoXRay())
for module in sys.argv[1:]:
    importlib.import_module(module)
"""


def test_no_step_handler_imports_the_xray_sdk():
    """Given every step's handler module, imported as Lambda would (tracing not disabled), none reaches
    aws_xray_sdk: Lambda's own active tracing stays, the SDK in maintenance mode is gone."""
    modules = sorted({step.handler.rsplit(".", 1)[0] for step in steps.STEPS})
    environment = {key: value for key, value in os.environ.items() if not key.startswith("POWERTOOLS_TRACE")}
    done = subprocess.run([sys.executable, "-c", _GUARDED_IMPORT, *modules], cwd=ROOT / "lambdas",
                          env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(modules) == len(steps.STEPS) > 10


class Answered(WireModel):
    latency_ms: float


def test_a_verification_reports_its_seconds_and_the_answers_latency(capsys, lambda_context, monkeypatch):
    """Given a check that takes 2.5 s (the handler's clock) and whose gRPC answer took 40 ms, the handler prints
    both: the whole verification's seconds and the answer's latency."""
    from layer7 import handlers

    clock = iter([100.0, 102.5])
    monkeypatch.setattr(handlers.time, "monotonic", lambda: next(clock))
    handler = handlers.verification_handler(Ping, lambda event, timeout_seconds: Answered(latency_ms=40.0),
                                            clients={}, timeout_of=lambda event: 30, through="a test")
    assert handler(EVENT, lambda_context) == {"latencyMs": 40.0}
    (line,) = emf_lines(capsys.readouterr().out)
    assert (line["VerificationSeconds"], line["VerificationLatencyMs"]) == ([2.5], [40.0])
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert {"Name": "VerificationSeconds", "Unit": "Seconds"} in directive["Metrics"]
