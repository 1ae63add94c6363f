"""The operator command line, against a scripted Step Functions client."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from layer7 import errors
from layer7ctl.__main__ import main
from layer7ctl.executions import ExecutionRecord, failed_state_index
from layer7ctl.remedies import REMEDIES
from layer7ctl.views import LiveStates, make_console, print_result

README = Path(__file__).resolve().parents[2] / "README.md"
T0 = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:MilvusLayer7Workflow"
EXECUTION = MACHINE.replace(":stateMachine:", ":execution:") + ":run-1"


def entered(*names: str) -> list[dict]:
    return [{"timestamp": T0 + timedelta(seconds=i), "type": "TaskStateEntered",
             "stateEnteredEventDetails": {"name": name}} for i, name in enumerate(names)]


class ScriptedStepFunctions:
    """Answers like Step Functions for one execution that fails at ApplyIngress."""

    def __init__(self, status: str = "FAILED", *, cause: str = "no Service milvus/milvus-demo",
                 output: dict | None = None, events: list[dict] | None = None) -> None:
        self.started: list[dict] = []
        self.status, self.cause = status, cause
        self.output = output or {"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}
        self.events = entered("Validate", "ImportCertificate", "ApplyIngress") if events is None else events

    def get_paginator(self, name):
        assert name == "list_state_machines"
        return type("P", (), {"paginate": lambda _self: [{"stateMachines": [
            {"name": "MilvusLayer7Workflow", "stateMachineArn": MACHINE}, {"name": "Other", "stateMachineArn": "x"}]}]})()

    def start_execution(self, **kwargs):
        self.started.append(kwargs)
        return {"executionArn": MACHINE.replace("stateMachine", "execution") + ":run-1"}

    def describe_execution(self, executionArn):
        answer = {"executionArn": executionArn, "status": self.status, "startDate": T0,
                  "stopDate": T0 + timedelta(seconds=12)}
        if self.status == "FAILED":
            answer.update(error="ServiceNotFound", cause=self.cause)
        else:
            answer["output"] = json.dumps(self.output)
        return answer

    def get_execution_history(self, **kwargs):
        return {"events": self.events}

    def list_executions(self, **kwargs):
        return {"executions": [
            {"name": "old", "status": "SUCCEEDED", "startDate": T0 - timedelta(hours=1),
             "stopDate": T0 - timedelta(hours=1) + timedelta(seconds=95)},
            {"name": "run-1", "status": "FAILED", "startDate": T0, "stopDate": T0 + timedelta(seconds=12)}]}


def test_start_with_flags_finds_the_state_machine_and_follows(capsys):
    sfn = ScriptedStepFunctions()
    code = main(["start", "--host", "milvus.example.com", "--secret-arn", "arn:s", "--follow"], sfn=sfn)
    assert code == 1
    assert json.loads(sfn.started[0]["input"]) == {"host": "milvus.example.com", "certificate": {"secretArn": "arn:s"}}
    assert sfn.started[0]["stateMachineArn"] == MACHINE
    assert capsys.readouterr().out.splitlines() == [
        "started arn:aws:states:us-east-1:123456789012:execution:MilvusLayer7Workflow:run-1",
        "    0.0 s  Validate", "    1.0 s  ImportCertificate", "    2.0 s  ApplyIngress",
        "    2.0 s  ApplyIngress  failed", "FAILED in 12.0 s: ServiceNotFound",
        "cause: no Service milvus/milvus-demo", "what to do: `kubectl -n NS get svc` and fix the input"]


def test_follow_success_prints_the_output(capsys):
    code = main(["follow", "arn:aws:states:us-east-1:123456789012:execution:MilvusLayer7Workflow:run-1"],
                sfn=ScriptedStepFunctions(status="SUCCEEDED"))
    out = capsys.readouterr().out
    assert code == 0
    assert "SUCCEEDED" in out and "certificateArn" in out


def test_list_shows_status_and_duration_newest_first(capsys):
    assert main(["list"], sfn=ScriptedStepFunctions()) == 0
    out = capsys.readouterr().out
    assert out.index("run-1") < out.index("old")
    assert "FAILED" in out and "12.0 s" in out and "95.0 s" in out


def _table_rows(text: str) -> list[list[str]]:
    """The cells of each body row of a table rich drew."""
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in text.splitlines() if line.startswith("│")]


def _rendered(live: LiveStates) -> list[list[str]]:
    out = io.StringIO()
    make_console(out).print(live.table())
    return _table_rows(out.getvalue())


# --- the failed state ---------------------------------------------------------------------------------


def test_the_live_table_marks_the_failed_state():
    # Given a live view that saw three states of a run that failed in the last one
    console = make_console(io.StringIO())
    live = LiveStates(console)
    for name, elapsed in (("Validate", 0.0), ("ImportCertificate", 1.0), ("ApplyIngress", 2.0)):
        live.entered(name, elapsed)
    running = _rendered(live)[-1]
    record = ExecutionRecord(EXECUTION, 0.0, status="FAILED", error="ServiceNotFound",
                             history=entered("Validate", "ImportCertificate", "ApplyIngress"))
    # When the run ends
    live.finished(record)
    # Then the running state was marked with >, and now the last one is marked failed, the others ok
    assert running == ["2.0 s", "> ApplyIngress"]
    assert _rendered(live) == [["0.0 s", "ok Validate"], ["1.0 s", "ok ImportCertificate"],
                               ["2.0 s", "failed ApplyIngress"]]


@pytest.mark.parametrize("status", ["TIMED_OUT", "ABORTED"])
def test_a_run_that_timed_out_or_was_aborted_failed_in_the_last_state_entered(status):
    record = ExecutionRecord(EXECUTION, 0.0, status=status, history=entered("Validate", "WaitForLoadBalancer"))
    assert failed_state_index(record) == 1


def test_a_caught_error_failed_in_the_state_that_raised_it_not_in_the_failure_path():
    # Given ApplyIngress raised ServiceNotFound, caught into ExplainFailure ... Failed
    events = entered("Validate", "ApplyIngress", "ExplainFailure", "PublishFailed", "Failed")
    events.insert(2, {"type": "LambdaFunctionFailed", "lambdaFunctionFailedEventDetails": {
        "error": "ServiceNotFound", "cause": "{}"}})
    events.append({"type": "ExecutionFailed", "executionFailedEventDetails": {"error": "ServiceNotFound"}})
    record = ExecutionRecord(EXECUTION, 0.0, status="FAILED", error="ServiceNotFound", history=events)
    # When the failed state is looked for
    # Then it is ApplyIngress
    assert failed_state_index(record) == 1


def test_a_succeeded_run_has_no_failed_state():
    assert failed_state_index(ExecutionRecord(EXECUTION, 0.0, status="SUCCEEDED", history=entered("Validate"))) is None


# --- printed as they are ------------------------------------------------------------------------------

UNTRUSTED = "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-layer7/x [red]a[/x]b.example.com :smile:"


def test_causes_are_printed_verbatim(capsys):
    # Given a cause with an ARN's :secret:, markup-like brackets and an emoji code
    sfn = ScriptedStepFunctions(cause=UNTRUSTED, events=entered("[red]Validate[/x]"))
    # When the run is followed
    assert main(["follow", EXECUTION], sfn=sfn) == 1
    # Then the cause and the state name are printed exactly as they came
    assert capsys.readouterr().out.splitlines()[:3] == [
        "    0.0 s  [red]Validate[/x]", "    0.0 s  [red]Validate[/x]  failed", "FAILED in 12.0 s: ServiceNotFound"]
    record = ExecutionRecord(EXECUTION, 0.0, status="FAILED", error="[bold]E:smile:", cause=UNTRUSTED)
    out = io.StringIO()
    print_result(make_console(out), record)
    assert out.getvalue().splitlines()[:2] == ["FAILED in 0.0 s: [bold]E:smile:", f"cause: {UNTRUSTED}"]


def test_outputs_and_hosts_are_printed_verbatim(capsys):
    # Given an output holding the same kind of text
    output = {"host": "a[/x]b.example.com", "secret": UNTRUSTED, "note": "[red]kept[/red] :smile:"}
    sfn = ScriptedStepFunctions(status="SUCCEEDED", output=output)
    # When it is followed
    assert main(["follow", EXECUTION], sfn=sfn) == 0
    # Then the JSON printed reads back to the same output
    out = capsys.readouterr().out
    assert json.loads(out[out.index("{"):]) == output


def test_the_live_table_shows_names_verbatim():
    live = LiveStates(make_console(io.StringIO()))
    live.entered("a[/x]b:smile:", 0.0)
    assert _rendered(live) == [["0.0 s", "> a[/x]b:smile:"]]


def _readme_section(title: str) -> str:
    return README.read_text().split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_error_table_says_what_the_code_says_row_for_row():
    rows = [m.groups() for m in re.finditer(r"^\| `(\w+)` \| .*? \| (.*) \|$", _readme_section(
        "Errors and what to do"), re.MULTILINE)]
    assert rows == list(REMEDIES.items())


def test_every_contract_error_and_TransientError_has_a_remedy():
    assert set(REMEDIES) >= {*errors.CONTRACT_ERROR_NAMES, "TransientError"}
    assert all(REMEDIES.values())


@pytest.mark.parametrize("command", ["start", "follow", "list"])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"], sfn=ScriptedStepFunctions())
    assert exit_info.value.code == 0
    assert "usage:" in capsys.readouterr().out
