"""Metrics only where a step emits one (layer7/observability.py publishing_metrics, handlers.py step_handler)."""

from __future__ import annotations

import json
import warnings

import pytest
from aws_lambda_powertools.metrics import MetricUnit

from layer7.handlers import step_handler
from layer7.models import WireModel
from layer7.observability import metrics, publishing_metrics


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
