"""``follow`` reads only the history events it has not seen: its calls per poll stay the same as the run grows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from layer7ctl.executions import HISTORY_PAGE, follow
from tests.unit.test_layer7ctl import EXECUTION, T0, history_page


class GrowingRun:
    """An execution that adds `per_poll` history events between two polls, then ends after `total` of them.

    GetExecutionHistory is answered as AWS pages it (tests/unit/test_layer7ctl.py, history_page); every call
    and every event it returns is counted.
    """

    def __init__(self, total: int, per_poll: int) -> None:
        self.total, self.per_poll = total, per_poll
        self.events: list[dict[str, Any]] = []
        self.calls = {"describe_execution": 0, "get_execution_history": 0}
        self.events_returned = 0

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        self.calls["describe_execution"] += 1
        for _ in range(min(self.per_poll, self.total - len(self.events))):
            n = len(self.events) + 1
            self.events.append({"id": n, "timestamp": T0 + timedelta(seconds=n), "type": "TaskStateEntered",
                                "stateEnteredEventDetails": {"name": f"State{n}"}})
        ended = len(self.events) == self.total
        answer = {"executionArn": executionArn, "status": "SUCCEEDED" if ended else "RUNNING", "startDate": T0}
        if ended:
            answer.update(stopDate=T0 + timedelta(seconds=self.total), output="{}")
        return answer

    def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
        self.calls["get_execution_history"] += 1
        page = history_page(self.events, **kwargs)
        self.events_returned += len(page["events"])
        return page


def test_following_a_run_of_500_events_costs_the_same_calls_per_poll_at_its_end_as_at_its_start():
    # Given a run that grows by 5 events per poll to 500 (100 polls)
    run = GrowingRun(total=500, per_poll=5)
    seen: list[str] = []
    # When it is followed
    record = follow(run, EXECUTION, T0.timestamp(), on_state=lambda name, _: seen.append(name), poll_seconds=0)
    # Then each poll made one DescribeExecution and one GetExecutionHistory call, each history call returned at most
    # one small page (reading the whole history each poll would return 5 + 10 + ... + 500 = 25,250 events)
    assert run.calls == {"describe_execution": 100, "get_execution_history": 100}
    assert run.events_returned <= 100 * HISTORY_PAGE
    # And every state was reported once, in order, and the record holds the whole history
    expected = [f"State{n}" for n in range(1, 501)]
    assert seen == record.states == expected
    assert [event["id"] for event in record.history] == list(range(1, 501))
    assert record.status == "SUCCEEDED"


def test_a_long_history_is_read_in_one_call_and_later_bursts_page_by_page_in_order():
    # Given a run whose first poll finds 1000 events, and whose second adds two and a half small pages
    run = GrowingRun(total=1000 + HISTORY_PAGE * 5 // 2, per_poll=1000)
    # When it is followed
    record = follow(run, EXECUTION, T0.timestamp(), poll_seconds=0)
    # Then the first poll read the history in one call, the second in three pages, newest first
    assert run.calls == {"describe_execution": 2, "get_execution_history": 4}
    assert record.states == [f"State{n}" for n in range(1, run.total + 1)]
    assert [event["id"] for event in record.history] == list(range(1, run.total + 1))


class MotoLikeRun(GrowingRun):
    """As the sandbox's Step Functions (moto) answers: the whole history, oldest first, whatever was asked."""

    def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
        self.calls["get_execution_history"] += 1
        self.events_returned += len(self.events)
        return {"events": list(self.events)}


def test_a_history_answered_oldest_first_and_whole_is_still_read_once_each_and_in_order():
    # Given a server that ignores reverseOrder and maxResults
    run = MotoLikeRun(total=60, per_poll=7)
    seen: list[str] = []
    # When the run is followed
    record = follow(run, EXECUTION, T0.timestamp(), on_state=lambda name, _: seen.append(name), poll_seconds=0)
    # Then each state was reported once, in order, and the history is whole
    assert seen == record.states == [f"State{n}" for n in range(1, 61)]
    assert [event["id"] for event in record.history] == list(range(1, 61))
