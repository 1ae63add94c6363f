"""The operator command line, against a scripted Step Functions client."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from layer7 import errors
from layer7ctl.__main__ import main
from layer7ctl.remedies import REMEDIES

README = Path(__file__).resolve().parents[2] / "README.md"
T0 = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:MilvusLayer7Workflow"


class ScriptedStepFunctions:
    """Answers like Step Functions for one execution that fails at ApplyIngress."""

    def __init__(self, status: str = "FAILED") -> None:
        self.started: list[dict] = []
        self.status = status

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
            answer.update(error="ServiceNotFound", cause="no Service milvus/milvus-demo")
        else:
            answer["output"] = json.dumps({"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"})
        return answer

    def get_execution_history(self, **kwargs):
        names = ["Validate", "ImportCertificate", "ApplyIngress"]
        return {"events": [{"timestamp": T0 + timedelta(seconds=i), "type": "TaskStateEntered",
                            "stateEnteredEventDetails": {"name": n}} for i, n in enumerate(names)]}

    def list_executions(self, **kwargs):
        return {"executions": [
            {"name": "old", "status": "SUCCEEDED", "startDate": T0 - timedelta(hours=1),
             "stopDate": T0 - timedelta(hours=1) + timedelta(seconds=95)},
            {"name": "run-1", "status": "FAILED", "startDate": T0, "stopDate": T0 + timedelta(seconds=12)}]}


def test_start_with_flags_finds_the_state_machine_and_follows(capsys):
    sfn = ScriptedStepFunctions()
    code = main(["start", "--host", "milvus.example.com", "--secret-arn", "arn:s", "--follow"], sfn=sfn)
    out = capsys.readouterr().out
    assert code == 1
    assert json.loads(sfn.started[0]["input"]) == {"host": "milvus.example.com", "certificate": {"secretArn": "arn:s"}}
    assert sfn.started[0]["stateMachineArn"] == MACHINE
    for name in ("Validate", "ImportCertificate", "ApplyIngress", "ServiceNotFound"):
        assert name in out
    assert "what to do:" in out and "kubectl -n NS get svc" in out


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
