"""Following a Step Functions execution through its history.

Both the sandbox's human view and its ``--json`` report come from
GetExecutionHistory, the same record an operator reads in the console.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from layer7ctl.exits import OperatorError

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
ENDED_BADLY = TERMINAL - {"SUCCEEDED"}


@dataclass
class ExecutionRecord:
    execution_arn: str
    started_at: float  # epoch seconds when the run was started
    status: str = "RUNNING"
    output: Any = None
    error: str | None = None
    cause: str | None = None
    states: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "executionArn": self.execution_arn,
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "states": self.states,
            "historyEvents": self.history,
            "seconds": round(self.seconds, 3),
        }


FIRST_PAGE = 1000  # GetExecutionHistory's largest page: the history so far, when following starts
HISTORY_PAGE = 20  # newest first, after that: a poll (0.25 s) rarely sees more new events than this


def _history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    """The whole history, oldest first."""
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": FIRST_PAGE}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def _new_events(sfn: Any, arn: str, last_id: int) -> list[dict[str, Any]]:
    """The events after event `last_id`, oldest first: newest first in small pages, until a page reaches one seen.

    A forward read ends at its last page with no token to resume from, so reading forward each poll reads the
    whole history again (work that grows with the square of its length, and throttles); read backwards, a poll
    costs one call of at most HISTORY_PAGE events while fewer are new. Event ids count up from 1
    (GetExecutionHistory's HistoryEvent.id). A page is taken by id, not by position: moto's Step Functions
    (the sandbox's) ignores reverseOrder and maxResults and answers the whole history oldest first.
    """
    if last_id == 0:
        return _history(sfn, arn)
    newer: dict[int, dict[str, Any]] = {}
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": HISTORY_PAGE, "reverseOrder": True}
    while True:
        page = sfn.get_execution_history(**kwargs)
        newer.update((event["id"], event) for event in page["events"] if event["id"] > last_id)
        reached_seen = any(event["id"] <= last_id for event in page["events"])
        if reached_seen or not page.get("nextToken"):
            return [newer[key] for key in sorted(newer)]
        kwargs["nextToken"] = page["nextToken"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _epoch(value: Any) -> float:
    """History timestamps as boto3 returns them (datetime) or as kept in a report (ISO text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.timestamp() if isinstance(value, datetime) else float(value)


def entered_states(events: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """(state name, epoch seconds) for each state entered, in order."""
    found = []
    for event in events:
        details = event.get("stateEnteredEventDetails")
        if details:
            found.append((details["name"], _epoch(event["timestamp"])))
    return found


def first_ready_check(events: list[dict[str, Any]]) -> float | None:
    """When CheckLoadBalancer first returned ``ready: true`` (epoch seconds)."""
    for event in events:
        details = event.get("stateExitedEventDetails")
        if details and details.get("name") == "CheckLoadBalancer":
            state = json.loads(details.get("output") or "{}")
            if (state.get("loadBalancer") or {}).get("ready"):
                return _epoch(event["timestamp"])
    return None


def _raised_error(event: dict[str, Any]) -> str | None:
    """The error of a task's failure or time-out event (not the execution's own ending)."""
    for key, details in event.items():
        if key.endswith(("FailedEventDetails", "TimedOutEventDetails")) and not key.startswith("execution"):
            return (details or {}).get("error")
    return None


def failed_state_index(record: ExecutionRecord) -> int | None:
    """Which entered state (an index into ``record.states``) a run that ended badly failed in.

    The last state entered before the execution failed, timed out or was
    aborted -- unless a state raised the execution's own error earlier: a
    caught error runs the failure path (ExplainFailure ... Failed) first, and
    the state to look at is the one that raised it, not the Fail state.
    """
    if record.status not in ENDED_BADLY:
        return None
    entered, raised_in = -1, None
    for event in record.history:
        if event.get("stateEnteredEventDetails"):
            entered += 1
        elif entered >= 0 and record.error and _raised_error(event) == record.error:
            raised_in = entered
    if raised_in is not None:
        return raised_in
    return entered if entered >= 0 else None


def latest_execution(sfn: Any, state_machine_arn: str) -> str:
    executions = sfn.list_executions(stateMachineArn=state_machine_arn, maxResults=1)["executions"]
    if not executions:
        raise OperatorError(f"no executions yet of {state_machine_arn}: start one with "
                            "`python -m layer7ctl start`, or pass an execution ARN")
    return executions[0]["executionArn"]


def follow(
    sfn: Any,
    arn: str,
    started_at: float,
    on_state: Callable[[str, float], None] | None = None,
    poll_seconds: float = 0.25,
    timeout_seconds: float = 3600,
) -> ExecutionRecord:
    """Poll until the execution ends, reporting each state as it is entered."""
    record = ExecutionRecord(execution_arn=arn, started_at=started_at)
    events: list[dict[str, Any]] = []
    deadline = time.time() + timeout_seconds
    while True:
        described = sfn.describe_execution(executionArn=arn)
        new = _new_events(sfn, arn, events[-1]["id"] if events else 0)
        events.extend(new)
        for name, at in entered_states(new):
            record.states.append(name)
            if on_state:
                on_state(name, at - started_at)
        record.status = described["status"]
        if record.status in TERMINAL:
            break
        if time.time() > deadline:
            raise TimeoutError(f"execution {arn} still {record.status} after {timeout_seconds:.0f} s")
        time.sleep(poll_seconds)
    record.history = _jsonable(events)
    record.output = json.loads(described["output"]) if described.get("output") else None
    record.error = described.get("error")
    record.cause = described.get("cause")
    if record.status == "FAILED" and record.error is None:
        failed = next((e for e in reversed(events) if e.get("executionFailedEventDetails")), None)
        if failed:
            record.error = failed["executionFailedEventDetails"].get("error")
            record.cause = failed["executionFailedEventDetails"].get("cause")
    stop = _epoch(described.get("stopDate") or time.time())
    record.seconds = stop - started_at
    return record
