"""One run per host at a time.

A certificate rotation can fire while a person's run is under way, and a
pipeline may retry while its first execution still runs; two executions for
the same host would then race on one Ingress, one certificate and one
Service. Every execution checks, at Validate and before it changes anything,
which other executions of this stack's workflows (setup and undo) are
running for the same host. The oldest one goes on; every later one ends
here with ``RunInProgress``. Two started in the same instant are ordered by
their ARNs, so exactly one goes on whatever the order of their checks.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from layer7.aws import error_code, raise_if_transient
from layer7.errors import RunInProgress


def host_of(raw_input: str | None, default_host: str) -> str:
    try:
        value = json.loads(raw_input or "{}")
    except ValueError:
        return ""
    host = value.get("host") if isinstance(value, dict) else None
    return (host if isinstance(host, str) else default_host).strip().lower()


def _started(sfn: Any, execution_arn: str) -> tuple[datetime, str | None]:
    described = sfn.describe_execution(executionArn=execution_arn)
    return described["startDate"], described.get("input")


def earlier_runs_for(host: str, *, sfn: Any, execution_arn: str, state_machine_arns: list[str],
                     default_host: str) -> list[str]:
    """The ARNs of running executions for ``host`` that started before this one."""
    try:
        mine, _ = _started(sfn, execution_arn)
        earlier = []
        for machine in dict.fromkeys(arn for arn in state_machine_arns if arn):
            pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=machine, statusFilter="RUNNING")
            for execution in (e for page in pages for e in page["executions"]):
                other = execution["executionArn"]
                if other == execution_arn or (execution["startDate"], other) > (mine, execution_arn):
                    continue
                _, raw_input = _started(sfn, other)
                if host_of(raw_input, default_host) == host:
                    earlier.append(other)
    except ClientError as exc:
        raise_if_transient(exc, "listing the workflow's running executions")
        if error_code(exc) == "ExecutionDoesNotExist":
            return []  # an execution that ended between the listing and the look is not running
        raise
    return earlier


def refuse_if_another_run(host: str, **kwargs: Any) -> None:
    earlier = earlier_runs_for(host, **kwargs)
    if earlier:
        raise RunInProgress(
            f"execution {earlier[0]} is already running for host {host}; this execution changed nothing. "
            "Wait for it to end (python -m layer7ctl list), then start again if it is still needed"
        )
