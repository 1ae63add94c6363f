"""layer7ctl as someone used to the AWS CLI drives it: a named profile from the AWS CLI's own files, JSON out of
every command, and a run stopped part-way.

Its own module: the scenario slows the ALB so that the run is still going when it is stopped
(``fresh_sandbox(alb_delay=...)``), which the other modules' journeys must not inherit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.cli.demo import SANDBOX_LAYER4_DRAIN_SECONDS
from testkit.executions import wait_entered
from tests.e2e.operator_cli import run_layer7ctl

pytestmark = pytest.mark.e2e


def _profile_files(directory: Path) -> dict[str, str]:
    """An AWS CLI config and credentials file with the profile ``ops`` (its region and keys), as `aws configure
    --profile ops` writes them, and the environment that points at them and at the sandbox's endpoint only."""
    config, credentials = directory / "config", directory / "credentials"
    config.write_text("[profile ops]\nregion = us-east-1\n")
    credentials.write_text("[ops]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    return {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}


def test_a_profile_user_starts_a_run_stops_it_and_reads_every_answer_as_json(fresh_sandbox, tmp_path):
    """Journey: an operator with a named AWS profile starts a setup, sees it running, stops it with a cause, and
    scripts around every answer (``--output json``)."""
    # Given a sandbox whose ALB takes long to come up, and a profile `ops` in the AWS CLI's files
    box = fresh_sandbox(alb_delay=120.0)
    files = _profile_files(tmp_path)
    run_input = tmp_path / "input.json"
    run_input.write_text(json.dumps({"host": box.host, "certificate": {"secretArn": box.secret_arn},
                                     "layer4DrainSeconds": SANDBOX_LAYER4_DRAIN_SECONDS}))

    def answer(*args: str, code: int = 0) -> object:
        done = run_layer7ctl(box, "--profile", "ops", *args, "--output", "json", aws_files=files)
        assert done.returncode == code, (args, done.returncode, done.stdout, done.stderr)
        return json.loads(done.stdout)

    # When the operator starts a setup through the profile
    started = answer("start", "--input", str(run_input))
    assert isinstance(started, dict)
    arn = started["executionArn"]
    # Then it is listed as running, for its host
    running = answer("list", "--status", "RUNNING", "--host", box.host)
    assert isinstance(running, list) and [execution["executionArn"] for execution in running] == [arn]
    # When, once it waits for the ALB (its certificate imported and its Ingress applied), it is stopped with a cause
    wait_entered(box.aws.client("stepfunctions"), arn, "CheckLoadBalancer")
    stopped = answer("stop", arn, "--cause", "maintenance window closed")
    assert isinstance(stopped, dict) and stopped["executionArn"] == arn
    # Then describe and follow say ABORTED (follow's exit code 1: the run did not succeed), the history the cause
    described = answer("describe", arn)
    assert isinstance(described, dict) and described["status"] == "ABORTED", described
    history = box.aws.client("stepfunctions").get_execution_history(executionArn=arn, reverseOrder=True)["events"]
    [aborted] = [event for event in history if event["type"] == "ExecutionAborted"]
    assert aborted["executionAbortedEventDetails"]["cause"] == "maintenance window closed"
    followed = answer("follow", arn, code=1)
    assert isinstance(followed, dict) and followed["status"] == "ABORTED"
    aborted = answer("list", "--status", "ABORTED")
    assert isinstance(aborted, list) and [execution["executionArn"] for execution in aborted] == [arn]
    # and its functions' log lines are this run's alone, Validate's among them
    lines = answer("logs", arn)
    assert isinstance(lines, list) and lines
    assert {line.get("record", {}).get("correlation_id") for line in lines} == {arn}
    assert any("Validate" in line["function"] for line in lines)
    # and teardown counts it live: stopped at CheckLoadBalancer, it had imported the certificate and applied the
    # Ingress, which a destroy would leave; its undo names the host (exit 1: not ready to destroy)
    report = answer("teardown", code=1)
    assert isinstance(report, dict) and report["readyToDestroy"] is False and report["running"] == []
    [live] = [setup for setup in report["liveSetups"] if setup["setupExecutionArn"] == arn]
    assert live["status"] == "ABORTED" and live["undoInput"]["host"] == box.host
    assert box.certificate_count() == 1 and box.kube.list("ingresses", box.namespace)
