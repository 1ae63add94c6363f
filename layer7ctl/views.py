"""What the operator sees: rich tables and a live state list.

On a terminal the state list redraws in place (rich's Live); piped into a
file or a CI log it prints one line per state, so the record reads the same
afterwards. Causes, ARNs, hosts and outputs come from outside and are
printed as they are: the console interprets no markup, emoji codes or
highlighting (a Secrets Manager ARN's ``:secret:`` is not an emoji, a host
with ``[/x]`` in it is not a closing tag), and styles are set on Text.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from layer7ctl.executions import ExecutionRecord, failed_state_index
from layer7ctl.remedies import remedy_for

MARKS = {"ok": Text("ok", style="green"), "running": Text(">", style="bold yellow"),
         "failed": Text("failed", style="bold red")}


def make_console(file: IO[str] | None = None) -> Console:
    """A console that prints text literally; piped output keeps whole lines (ARNs are long)."""
    stream = file or sys.stdout
    width = None if stream.isatty() else 200
    return Console(file=file, width=width, markup=False, emoji=False, highlight=False)


def say(console: Console, *parts: str | tuple[str, str]) -> None:
    """One unwrapped line; (text, style) parts are styled, plain strings printed as they are."""
    console.print(Text.assemble(*parts), soft_wrap=True)


class LiveStates:
    """Each state as it is entered, with the time since the execution started; the failed one marked."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.rows: list[tuple[str, float]] = []
        self.failed: int | None = None
        self.ended = False
        self._live: Live | None = None

    def __enter__(self) -> LiveStates:
        if self.console.is_terminal:
            self._live = Live(self.table(), console=self.console, refresh_per_second=4)
            self._live.__enter__()
        return self

    def entered(self, name: str, elapsed: float) -> None:
        self.rows.append((name, elapsed))
        if self._live:
            self._live.update(self.table())
        else:
            say(self.console, f"{elapsed:7.1f} s  {name}")

    def finished(self, record: ExecutionRecord) -> None:
        """Mark the state the run failed in (a line of its own when piped)."""
        self.ended = True
        self.failed = failed_state_index(record)
        if self._live:
            self._live.update(self.table())
        elif self.failed is not None:
            name, elapsed = self.rows[self.failed]
            say(self.console, f"{elapsed:7.1f} s  {name}  ", ("failed", "bold red"))

    def mark(self, index: int) -> Text:
        if index == self.failed:
            return MARKS["failed"]
        if index == len(self.rows) - 1 and not self.ended:
            return MARKS["running"]
        return MARKS["ok"]

    def table(self) -> Table:
        table = Table("elapsed", "state", title="milvus-layer7", title_justify="left")
        for index, (name, elapsed) in enumerate(self.rows):
            table.add_row(Text(f"{elapsed:.1f} s"), Text.assemble(self.mark(index), " ", name))
        return table

    def __exit__(self, *exc: Any) -> None:
        if self._live:
            self._live.__exit__(*exc)


def print_result(console: Console, record: ExecutionRecord) -> None:
    if record.status == "SUCCEEDED":
        say(console, ("SUCCEEDED", "green"), f" in {record.seconds:.1f} s")
        console.print_json(json.dumps(record.output))
        return
    error = (": ", (record.error, "bold")) if record.error else ()
    say(console, (record.status, "red"), f" in {record.seconds:.1f} s", *error)
    if record.cause:
        say(console, f"cause: {record.cause}")
    remedy = remedy_for(record.error)
    if remedy:
        say(console, f"what to do: {remedy}")
