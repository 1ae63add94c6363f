"""``list``, ``describe`` and ``stop``: one or a few Step Functions calls, printed as text or as JSON.

With ``--output json`` every command prints one JSON document on stdout, dates in ISO 8601, the execution's
input and output as JSON (not as the strings Step Functions keeps them in).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from layer7ctl import views
from layer7ctl.executions import TERMINAL, ExecutionRecord
from layer7ctl.exits import OperatorError
from layer7ctl.remedies import remedy_for


def print_json(console: Console, document: Any) -> None:
    console.print(json.dumps(document, indent=2, default=_iso), soft_wrap=True)


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {value!r}")


def _seconds(execution: dict[str, Any]) -> float | None:
    stop = execution.get("stopDate")
    return round((stop - execution["startDate"]).total_seconds(), 3) if stop else None


def _parsed(text: str | None) -> Any:
    return json.loads(text) if text else None


def run_host(described: dict[str, Any]) -> str | None:
    """The host a run was for: its input's `host`, else the host its output verified (a run on the stack's host)."""
    given = _parsed(described.get("input"))
    if isinstance(given, dict) and isinstance(given.get("host"), str):
        return given["host"]
    output = _parsed(described.get("output"))
    verification = output.get("verification") if isinstance(output, dict) else None
    return verification.get("serverName") if isinstance(verification, dict) else None


def list_runs(sfn: Any, machines: dict[str, str], *, limit: int, status: str | None,
              host: str | None) -> list[dict[str, Any]]:
    """The `limit` newest executions of the workflows `machines` names (label -> ARN), newest first.

    `host` keeps those whose input (or verified output) names it, of the `limit` newest of each workflow.
    """
    runs: list[dict[str, Any]] = []
    for label, arn in machines.items():
        kwargs: dict[str, Any] = {"stateMachineArn": arn, "maxResults": limit}
        if status:
            kwargs["statusFilter"] = status
        runs.extend({**execution, "workflow": label} for execution in sfn.list_executions(**kwargs)["executions"])
    runs.sort(key=lambda e: e["startDate"], reverse=True)
    if host is not None:
        runs = [{**run, "host": host} for run in runs
                if run_host(sfn.describe_execution(executionArn=run["executionArn"])) == host]
    return runs[:limit]


def show_list(console: Console, runs: list[dict[str, Any]], *, as_json: bool, what: str) -> None:
    if as_json:
        keys = ("executionArn", "name", "workflow", "status", "startDate", "stopDate")
        print_json(console, [{**{key: run.get(key) for key in keys}, **({"host": run["host"]} if "host" in run else {}),
                              "seconds": _seconds(run)} for run in runs])
        return
    if not runs:
        views.say(console, f"no executions {what}")
        return
    table = Table("name", "workflow", "status", "started", "duration")
    for run in runs:
        seconds = _seconds(run)
        table.add_row(Text(run["name"]), Text(run["workflow"]), Text(run["status"]),
                      Text(run["startDate"].strftime("%Y-%m-%d %H:%M:%S")),
                      Text("running" if seconds is None else f"{seconds:.1f} s"))
    console.print(table)


def describe(console: Console, sfn: Any, execution_arn: str, *, as_json: bool) -> None:
    described = sfn.describe_execution(executionArn=execution_arn)
    document = {
        "executionArn": described["executionArn"], "name": described.get("name"),
        "stateMachineArn": described.get("stateMachineArn"), "status": described["status"],
        "startDate": described["startDate"], "stopDate": described.get("stopDate"),
        "seconds": _seconds(described), "input": _parsed(described.get("input")),
        "output": _parsed(described.get("output")), "error": described.get("error"),
        "cause": described.get("cause"), "whatToDo": remedy_for(described.get("error")),
    }
    if as_json:
        print_json(console, document)
        return
    for key in ("executionArn", "stateMachineArn", "status", "startDate", "stopDate", "seconds", "input",
                "output", "error", "cause", "whatToDo"):
        value = document[key]
        if value is None:
            continue
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, (dict, list)):
            value = json.dumps(value)
        views.say(console, (f"{key:<16}", "bold"), str(value))


def stop(console: Console, sfn: Any, execution_arn: str, cause: str | None, *, as_json: bool) -> None:
    """StopExecution, after checking it still runs: a run that ended is left as it ended."""
    status = sfn.describe_execution(executionArn=execution_arn)["status"]
    if status in TERMINAL:
        raise OperatorError(f"{execution_arn} already ended {status}: nothing to stop")
    kwargs = {"executionArn": execution_arn, **({"cause": cause} if cause else {})}
    stopped = sfn.stop_execution(**kwargs)
    if as_json:
        print_json(console, {"executionArn": execution_arn, "stopDate": stopped["stopDate"]})
    else:
        views.say(console, f"stopped {execution_arn}")


def followed_json(record: ExecutionRecord) -> dict[str, Any]:
    """What `follow --output json` prints: the record without its history (describe the run for that)."""
    document = record.to_json()
    del document["historyEvents"]
    return {**document, "whatToDo": remedy_for(record.error)}
