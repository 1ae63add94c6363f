"""``layer7ctl logs EXECUTION``: the log lines one run wrote, across its functions, from CloudWatch Logs.

Every step gets the execution ARN as its correlation id (stacks/tasks.py), and Powertools writes it into each
line (``correlation_id``), so one FilterLogEvents per function log group with the ARN as a quoted term, over the
run's time, finds that run's lines and no other's. The log groups are the stack's own (ListStackResources,
AWS::Logs::LogGroup), but for the state machines' (``/aws/vendedlogs/states/...``: every state's input and
output, which ``describe`` and ``follow`` already show).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from rich.console import Console

from layer7ctl import views

STATE_MACHINE_LOGS = "/aws/vendedlogs/states/"
LATE_LINES_MS = 60_000  # a function's last lines can reach CloudWatch Logs after the run ended


def function_log_groups(cfn: Any, stack: str) -> list[str]:
    groups: list[str] = []
    kwargs: dict[str, Any] = {"StackName": stack}
    while True:
        page = cfn.list_stack_resources(**kwargs)
        groups += [resource["PhysicalResourceId"] for resource in page["StackResourceSummaries"]
                   if resource["ResourceType"] == "AWS::Logs::LogGroup" and resource.get("PhysicalResourceId")
                   and not resource["PhysicalResourceId"].startswith(STATE_MACHINE_LOGS)]
        if not page.get("NextToken"):
            return sorted(groups)
        kwargs["NextToken"] = page["NextToken"]


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def run_lines(sfn: Any, cfn: Any, logs: Any, execution_arn: str, stack: str) -> list[dict[str, Any]]:
    """The run's lines, oldest first: {timestamp (ms), logGroupName, function, level, message}."""
    described = sfn.describe_execution(executionArn=execution_arn)
    start = _ms(described["startDate"])
    stop = described.get("stopDate")
    end = (_ms(stop) if stop else _ms(datetime.now(timezone.utc))) + LATE_LINES_MS
    lines: list[dict[str, Any]] = []
    for group in function_log_groups(cfn, stack):
        kwargs: dict[str, Any] = {"logGroupName": group, "filterPattern": json.dumps(execution_arn),
                                  "startTime": start, "endTime": end}
        while True:
            page = logs.filter_log_events(**kwargs)
            lines += [_line(group, event) for event in page.get("events", [])]
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
    return sorted(lines, key=lambda line: line["timestamp"])


def _line(group: str, event: dict[str, Any]) -> dict[str, Any]:
    text = event.get("message", "").rstrip("\n")
    try:
        record = json.loads(text)
    except ValueError:
        record = None
    fields = record if isinstance(record, dict) else {}
    return {"timestamp": event["timestamp"], "logGroupName": group,
            "function": fields.get("function_name") or group.rsplit("/", 1)[-1],
            "level": fields.get("level"), "message": fields.get("message", text) if fields else text,
            **({"record": record} if fields else {})}


def show(console: Console, lines: list[dict[str, Any]], *, as_json: bool, execution_arn: str) -> None:
    if as_json:
        console.print(json.dumps(lines, indent=2), soft_wrap=True)
        return
    if not lines:
        views.say(console, f"no log lines of {execution_arn} in the stack's function log groups")
        return
    for line in lines:
        at = datetime.fromtimestamp(line["timestamp"] / 1000, tz=timezone.utc).strftime("%H:%M:%S.%f")[:-3]
        views.say(console, f"{at}  {line['function']}  {line['level'] or '-'}  ", str(line["message"]))
