"""The Wait states and Retry intervals Step Functions plays run at the sandbox's clock scale; the history and the
definition keep what was asked."""

from __future__ import annotations

import json
import time

import pytest

from sandbox.aws import sfn_clock
from tests.polling import wait_for

ROLE = "arn:aws:iam::123456789012:role/sandbox"


@pytest.fixture
def fifth():
    sfn_clock.set_scale(0.2)
    yield
    sfn_clock.set_scale(1.0)


def _run(sandbox, name: str, definition: dict) -> tuple[dict, float]:
    sfn = sandbox.client("stepfunctions")
    arn = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    started = time.monotonic()
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"drain": 5}))["executionArn"]
    wait_for(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING", timeout=30, every=0.1)
    took = time.monotonic() - started
    return sfn.get_execution_history(executionArn=execution), took


def test_a_wait_state_runs_at_the_clock_scale_and_the_history_keeps_its_seconds(sandbox, fifth):
    # Given a Wait state that asks for 5 s by SecondsPath, and 2 s by Seconds
    history, took = _run(sandbox, "clock-wait", {"StartAt": "Drain", "States": {
        "Drain": {"Type": "Wait", "SecondsPath": "$.drain", "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 2, "End": True}}})
    # Then the run takes a fifth of the 7 s, and the history holds what the state was asked with
    assert 1.2 <= took < 4
    [entered] = [e for e in history["events"] if (e.get("stateEnteredEventDetails") or {}).get("name") == "Drain"]
    assert json.loads(entered["stateEnteredEventDetails"]["input"]) == {"drain": 5}


def test_a_retry_interval_runs_at_the_clock_scale_and_the_definition_keeps_its_seconds(sandbox, fifth):
    # Given a task that fails (no such function) and is retried twice, 3 s then 6 s apart
    history, took = _run(sandbox, "clock-retry", {"StartAt": "Fail", "States": {
        "Fail": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:nowhere"},
                 "End": True, "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "MaxAttempts": 2,
                                         "BackoffRate": 2}]}}})
    # Then it was tried three times, the 9 s of retries played in a fifth of that
    assert sum(e["type"] == "TaskScheduled" for e in history["events"]) == 3
    assert 1.8 <= took < 6


def test_the_scale_is_a_fraction():
    with pytest.raises(ValueError, match="must be above 0 and at most 1"):
        sfn_clock.set_scale(0)
