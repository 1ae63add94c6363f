"""Whether an undo for ``host`` already succeeded, with no setup for it since: read from Step Functions' history.

The cluster cannot say it: once an undo is done, the Service, DNS and ACM are
as they were before any setup, exactly as when no setup ever ran. The second
case must fail (``InvalidInput``: the undo never guesses), the first must
succeed and change nothing. Step Functions keeps a closed Standard
execution, its input included, for 90 days unless the account set a shorter
"Execution history retention time" (Step Functions developer guide, "Step
Functions service quotas"), and ListExecutions lists them newest first
("Results are sorted by time, with the most recent execution first",
botocore's stepfunctions model). So the newest successful undo for the host
is found, and it counts only when no setup for the host succeeded after it.

The look is bounded (``MAX_LOOKS`` DescribeExecution calls): with no answer in
that many, there is no proof of an earlier undo, and a run with nothing to
undo ends in ``InvalidInput``, which changes nothing either.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from layer7.aws import error_code, raise_if_transient

MAX_LOOKS = 100


def host_of(raw_input: str | None, default_host: str) -> str:
    """The host an execution's input names, with the stack's default (as Validate resolves it)."""
    try:
        value = json.loads(raw_input or "{}")
    except ValueError:
        return ""
    host = value.get("host") if isinstance(value, dict) else None
    return (host if isinstance(host, str) else default_host).strip().lower()


class _Budget:
    def __init__(self, looks: int) -> None:
        self.left = looks


def _newest_succeeded(sfn: Any, machine: str, host: str, default_host: str, budget: _Budget, *,
                      skip: str = "", after: datetime | None = None) -> dict[str, Any] | None:
    """The newest SUCCEEDED execution of ``machine`` for ``host`` (started after ``after``, when given)."""
    pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=machine, statusFilter="SUCCEEDED")
    for execution in (e for page in pages for e in page["executions"]):
        if after is not None and execution["startDate"] <= after:
            return None  # newest first: every later one is older still
        if execution["executionArn"] == skip:
            continue
        if budget.left <= 0:
            return None
        budget.left -= 1
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if host_of(described.get("input"), default_host) == host:
            return described
    return None


def previous_undo(host: str, *, sfn: Any, undo_machine: str, setup_machines: list[str], execution_arn: str,
                  default_host: str, looks: int = MAX_LOOKS) -> str | None:
    """The ARN of the newest undo for ``host`` that succeeded after every successful setup for it, else None."""
    budget = _Budget(looks)
    try:
        undo = _newest_succeeded(sfn, undo_machine, host, default_host, budget, skip=execution_arn)
        if undo is None:
            return None
        for machine in setup_machines:
            if _newest_succeeded(sfn, machine, host, default_host, budget, after=undo["stopDate"]) is not None:
                return None
    except ClientError as exc:
        raise_if_transient(exc, "reading the workflows' earlier executions")
        if error_code(exc) == "ExecutionDoesNotExist":
            return None  # expired between the listing and the look
        raise
    return str(undo["executionArn"])
