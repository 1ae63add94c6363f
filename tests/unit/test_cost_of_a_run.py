"""The cost script counts transitions and GB-seconds the way AWS bills them."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "cost_of_a_run.py"
spec = importlib.util.spec_from_file_location("cost_of_a_run", SCRIPT)
assert spec is not None and spec.loader is not None  # a .py file's location always has both
cost = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cost)

FN = "arn:aws:lambda:us-east-1:123456789012:function:MilvusLayer7-Validate"


def _history():
    return [
        {"id": 1, "previousEventId": 0, "type": "ExecutionStarted", "timestamp": "2026-11-26T12:00:00+00:00"},
        {"id": 2, "previousEventId": 1, "type": "TaskStateEntered", "timestamp": "2026-11-26T12:00:00+00:00"},
        {"id": 3, "previousEventId": 2, "type": "LambdaFunctionScheduled", "timestamp": "2026-11-26T12:00:00+00:00",
         "lambdaFunctionScheduledEventDetails": {"resource": FN}},
        {"id": 4, "previousEventId": 3, "type": "LambdaFunctionStarted", "timestamp": "2026-11-26T12:00:00+00:00"},
        {"id": 5, "previousEventId": 4, "type": "LambdaFunctionSucceeded", "timestamp": "2026-11-26T12:00:02+00:00"},
        {"id": 6, "previousEventId": 5, "type": "TaskStateExited", "timestamp": "2026-11-26T12:00:02+00:00"},
        {"id": 7, "previousEventId": 6, "type": "ChoiceStateEntered", "timestamp": "2026-11-26T12:00:02+00:00"},
        {"id": 8, "previousEventId": 7, "type": "SucceedStateEntered", "timestamp": "2026-11-26T12:00:02+00:00"},
    ]


def test_every_state_entered_is_a_transition_and_duration_times_memory_is_gb_seconds():
    counts = cost.count(_history(), {"MilvusLayer7-Validate": 512})
    assert counts == {"stateTransitions": 3, "lambdaInvocations": 1, "gbSeconds": 1.0}


def test_price_adds_up_the_parts_at_the_written_rates():
    costs = cost.price({"stateTransitions": 1000, "lambdaInvocations": 0, "gbSeconds": 0.0}, events=0)
    assert costs["stepFunctions"] == 0.025
    assert costs["total"] == 0.025
