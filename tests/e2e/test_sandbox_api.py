"""Two journeys through the sandbox's Python API: two runs for one host at once, and a reviewer's search for key
material in everything a run leaves behind.

The session's sandbox, reset once for the module. What a single step refuses (bad input, a certificate for another
host, a listen port the stack did not open, ...) is proven where that step is tested (tests/unit, tests/sandbox),
not here.
"""

from __future__ import annotations

import json
import time
from datetime import datetime

import pytest

from layer7ctl.executions import follow
from sandbox.cli.demo import DemoOptions, execution_input, run_once
from sandbox.environment import HOST, Sandbox
from testkit.certs import write_cert_dir

pytestmark = pytest.mark.e2e
QUIET = DemoOptions(json=True)
CATCH_ALL_GROUP = "/sandbox/milvus-layer7-events"


@pytest.fixture(scope="module")
def sandbox(fresh_sandbox):
    box = fresh_sandbox()
    _deliver_all_events_to_a_log_group(box)
    return box


def _deliver_all_events_to_a_log_group(box: Sandbox) -> None:
    logs, events = box.aws.client("logs"), box.aws.client("events")
    logs.create_log_group(logGroupName=CATCH_ALL_GROUP)
    group_arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{CATCH_ALL_GROUP}"
    events.put_rule(Name="catch-all-layer7", EventPattern=json.dumps({"source": ["milvus.layer7"]}))
    events.put_targets(Rule="catch-all-layer7", Targets=[{"Id": "logs", "Arn": group_arn}])


def test_two_runs_for_one_host_at_once_one_goes_on_the_other_changes_nothing(sandbox):
    """Journey: a rotation and a person start a run for the same host at the same moment."""
    # Given two executions for the same host started at the same moment (a rotation and a person, say)
    sfn = sandbox.aws.client("stepfunctions")
    detail = json.dumps(execution_input(QUIET, HOST, sandbox.secret_arn))
    started = time.time()
    arns = [sfn.start_execution(stateMachineArn=sandbox.state_machine_arn, input=detail)["executionArn"]
            for _ in range(2)]
    records = [follow(sfn, arn, started) for arn in arns]
    # Then exactly one went on; the other ended at Validate with RunInProgress, naming the first
    by_status = {record.status: record for record in records}
    assert set(by_status) == {"SUCCEEDED", "FAILED"}, [(r.status, r.error, r.cause) for r in records]
    refused = by_status["FAILED"]
    assert refused.error == "RunInProgress" and by_status["SUCCEEDED"].execution_arn in refused.cause
    assert "ImportCertificate" not in refused.states
    assert sandbox.certificate_count() == 1
    # and the host's run lock went back when the first one ended (the refused one never held it)
    dynamodb = sandbox.aws.client("dynamodb")
    assert [dynamodb.scan(TableName=name)["Items"] for name in dynamodb.list_tables()["TableNames"]] == [[]]


def test_no_private_key_in_history_logs_or_events(sandbox, tmp_path):
    """Journey: after a run that succeeds and one that fails on the secret's certificate, a security reviewer reads
    every execution history, every function's log and every event, and finds no private key."""
    sfn, logs = sandbox.aws.client("stepfunctions"), sandbox.aws.client("logs")
    # Given a run that succeeds, then one whose secret holds a certificate (and key) for another host
    succeeded = run_once(sandbox, QUIET, execution_input(QUIET, HOST, sandbox.secret_arn), run=1)
    assert succeeded.status == "SUCCEEDED", (succeeded.error, succeeded.cause)
    write_cert_dir(tmp_path, "other.example.org")
    sandbox.put_certificate(tmp_path)
    failed = run_once(sandbox, QUIET, execution_input(QUIET, HOST, sandbox.secret_arn), run=1)
    assert (failed.status, failed.error) == ("FAILED", "CertificateInvalid"), failed.cause
    # When every history, every function's log and every event delivered is read
    texts = []
    for execution in sfn.list_executions(stateMachineArn=sandbox.state_machine_arn)["executions"]:
        history = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)
        texts.append(json.dumps(history["events"], default=_iso))
    groups = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
    lambda_groups = [g for g in groups if "lambda" in g.lower() or "MilvusLayer7" in g]
    assert lambda_groups, groups
    delivered = _delivered_events(sandbox)
    for group in lambda_groups:
        texts.extend(event["message"] for event in logs.filter_log_events(logGroupName=group).get("events", []))
    texts.extend(delivered)
    # Then the events of both runs are there, and no text holds a private key
    assert any("Endpoint Ready" in m for m in delivered) and any("Setup Failed" in m for m in delivered)
    assert texts and all("PRIVATE KEY" not in t for t in texts)


def _delivered_events(box: Sandbox) -> list[str]:
    """What the catch-all rule delivered, once a Setup Failed event is among it (delivery is asynchronous)."""
    logs = box.aws.client("logs")
    deadline = time.monotonic() + 15
    while True:
        found = logs.filter_log_events(logGroupName=CATCH_ALL_GROUP).get("events", [])
        messages = [event["message"] for event in found]
        if any("Setup Failed" in m for m in messages) or time.monotonic() > deadline:
            return messages
        time.sleep(0.5)


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else str(value)
