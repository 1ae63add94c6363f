"""Waiting on a Step Functions execution the way a test must: on what its API says, up to a limit, never a sleep
of a guessed length."""

from __future__ import annotations

import time
from typing import Any


def wait_ended(sfn: Any, execution_arn: str, timeout: float = 60.0) -> dict[str, Any]:
    """DescribeExecution once the execution is no longer RUNNING; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.2)
    raise AssertionError(f"{execution_arn} still running after {timeout:.0f} s")


def wait_entered(sfn: Any, execution_arn: str, state: str, timeout: float = 60.0) -> None:
    """Once the execution's history shows it entered ``state``; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        if any((event.get("stateEnteredEventDetails") or {}).get("name") == state for event in events):
            return
        time.sleep(0.2)
    raise AssertionError(f"{execution_arn} did not reach {state} within {timeout:.0f} s")
