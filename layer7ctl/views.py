"""What the operator sees: rich tables and a live state list.

On a terminal the state list redraws in place (rich's Live) with a running
clock; piped into a file or a CI log it prints one line per state, so the
record reads the same afterwards.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from layer7ctl.executions import ExecutionRecord
from layer7ctl.remedies import remedy_for

# Piped output keeps whole lines: ARNs and execution names are long.
console = Console() if sys.stdout.isatty() else Console(width=200)


class LiveStates:
    """Each state as it is entered, with the time since the execution started."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float]] = []
        self._live: Live | None = None
        self._opened = time.time()

    def __enter__(self) -> LiveStates:
        if console.is_terminal:
            self._live = Live(self._render(), console=console, refresh_per_second=4)
            self._live.__enter__()
        return self

    def entered(self, name: str, elapsed: float) -> None:
        self.rows.append((name, elapsed))
        if self._live:
            self._live.update(self._render())
        else:
            console.print(f"{elapsed:7.1f} s  {name}", highlight=False)

    def _render(self) -> Table:
        table = Table("elapsed", "state", title="milvus-layer7", title_justify="left")
        for index, (name, elapsed) in enumerate(self.rows):
            marker = "[bold yellow]>[/]" if index == len(self.rows) - 1 else "[green]ok[/]"
            table.add_row(f"{elapsed:.1f} s", f"{marker} {name}")
        return table

    def __exit__(self, *exc: Any) -> None:
        if self._live:
            self._live.__exit__(*exc)


def print_result(record: ExecutionRecord) -> None:
    if record.status == "SUCCEEDED":
        console.print(f"[green]SUCCEEDED[/] in {record.seconds:.1f} s")
        console.print_json(json.dumps(record.output))
        return
    console.print(f"[red]{record.status}[/] in {record.seconds:.1f} s: [bold]{record.error}[/]")
    if record.cause:
        console.print(f"cause: {record.cause}", highlight=False)
    remedy = remedy_for(record.error)
    if remedy:
        console.print(f"what to do: {remedy}", highlight=False)


def latest_execution(sfn: Any, state_machine_arn: str) -> str:
    executions = sfn.list_executions(stateMachineArn=state_machine_arn, maxResults=1)["executions"]
    if not executions:
        raise SystemExit("no executions yet")
    return executions[0]["executionArn"]


def print_list(sfn: Any, state_machine_arn: str, limit: int) -> None:
    executions = sfn.list_executions(stateMachineArn=state_machine_arn, maxResults=limit)["executions"]
    executions.sort(key=lambda e: e["startDate"], reverse=True)
    table = Table("name", "status", "started", "duration")
    for execution in executions[:limit]:
        stop = execution.get("stopDate")
        duration = f"{(stop - execution['startDate']).total_seconds():.1f} s" if stop else "running"
        table.add_row(execution["name"], execution["status"],
                      execution["startDate"].strftime("%Y-%m-%d %H:%M:%S"), duration)
    console.print(table)
