"""The sandbox's Secrets Manager events, unnamed executions and the re-import watcher, without the whole sandbox.

The certificate-rotation rule fires on Secrets Manager's own ``Secret Label
Updated`` event: the sandbox must send it exactly when AWS does (a label
other than AWSPENDING and AWSPREVIOUS moved to another version), shaped as
the user guide shows it, never with the secret's value; a rotation only
reaches clients if the data plane follows a re-import into the same ACM ARN.
"""

from __future__ import annotations

import json
import time

import pytest

from sandbox.dataplane.reimport import ReimportWatcher
from tests.polling import holds_for

GROUP = "/sandbox/secret-events-test"


@pytest.fixture(scope="module")
def secret(sandbox):
    """A secret, and every Secret Label Updated event about it, collected in a log group."""
    arn = sandbox.client("secretsmanager").create_secret(Name="milvus-layer7/ev-test", SecretString="first")["ARN"]
    sandbox.client("logs").create_log_group(logGroupName=GROUP)
    events = sandbox.client("events")
    events.put_rule(Name="ev-test", EventPattern=json.dumps({
        "source": ["aws.secretsmanager"], "detail-type": ["Secret Label Updated"], "resources": [arn]}))
    events.put_targets(Rule="ev-test", Targets=[{"Id": "logs", "Arn": f"arn:aws:logs:us-east-1:123456789012:"
                                                                      f"log-group:{GROUP}"}])
    return arn


def _delivered(sandbox, count: int) -> list[dict]:
    deadline = time.time() + 5
    while True:
        found = sandbox.client("logs").filter_log_events(logGroupName=GROUP).get("events", [])
        if len(found) >= count or time.time() > deadline:
            return [json.loads(e["message"]) for e in found]
        time.sleep(0.1)


def test_each_new_current_value_sends_one_event_shaped_as_documented(sandbox, secret):
    # Given a secret, when it gets a new value by ARN and then by name
    secrets = sandbox.client("secretsmanager")
    put = secrets.put_secret_value(SecretId=secret, SecretString="NEW-PEM-1")
    updated = secrets.update_secret(SecretId="milvus-layer7/ev-test", SecretString="NEW-PEM-2")
    # Then one event each, with exactly the user guide's fields, naming the version AWSCURRENT moved to
    events = _delivered(sandbox, 2)
    assert [(e["source"], e["detail-type"], e["resources"]) for e in events] == \
        [("aws.secretsmanager", "Secret Label Updated", [secret])] * 2
    assert [e["detail"] for e in events] == [
        {"name": "milvus-layer7/ev-test", "labelUpdated": "AWSCURRENT", "versionId": put["VersionId"]},
        {"name": "milvus-layer7/ev-test", "labelUpdated": "AWSCURRENT", "versionId": updated["VersionId"]},
    ]
    assert all("NEW-PEM" not in json.dumps(e) for e in events)


def test_writes_that_move_no_label_send_nothing(sandbox, secret):
    secrets = sandbox.client("secretsmanager")
    before = len(_delivered(sandbox, 0))
    # A failed write, a description change, a value under AWSPENDING alone (a rotation's createSecret)
    with pytest.raises(secrets.exceptions.ResourceNotFoundException):
        secrets.put_secret_value(SecretId="milvus-layer7/missing", SecretString="x")
    secrets.update_secret(SecretId=secret, Description="the TLS certificate")
    secrets.put_secret_value(SecretId=secret, SecretString="PENDING-PEM", VersionStages=["AWSPENDING"])
    holds_for(lambda: len(_delivered(sandbox, 0)) == before, 0.5)


def test_a_rotations_finish_sends_the_event_for_the_promoted_version(sandbox, secret):
    # Given a pending version, as a rotation function's createSecret leaves it
    secrets = sandbox.client("secretsmanager")
    before = len(_delivered(sandbox, 0))
    pending = secrets.put_secret_value(SecretId=secret, SecretString="ROTATED-PEM", VersionStages=["AWSPENDING"])
    current = next(v for v, s in secrets.describe_secret(SecretId=secret)["VersionIdsToStages"].items()
                   if "AWSCURRENT" in s)
    # When finishSecret moves AWSCURRENT to it
    secrets.update_secret_version_stage(SecretId=secret, VersionStage="AWSCURRENT",
                                        MoveToVersionId=pending["VersionId"], RemoveFromVersionId=current)
    # Then exactly one event, for AWSCURRENT on that version (AWSPREVIOUS moving is not announced)
    events = _delivered(sandbox, before + 1)[before:]
    assert [e["detail"] for e in events] == [
        {"name": "milvus-layer7/ev-test", "labelUpdated": "AWSCURRENT", "versionId": pending["VersionId"]}]


def test_executions_started_without_a_name_get_distinct_names(sandbox):
    sfn = sandbox.client("stepfunctions")
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    arn = sfn.create_state_machine(name="ct-unnamed", definition=definition,
                                   roleArn="arn:aws:iam::123456789012:role/sandbox")["stateMachineArn"]
    first = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    second = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert first != second and not first.endswith(":None")


def test_reimport_watcher_reloads_once_per_change():
    store = {"arn:acm:1": ("CERT-A", "KEY-A", "CHAIN")}
    applied = []
    watcher = ReimportWatcher(lambda arn: store[arn], applied.append)
    assert watcher.check_once() is False  # nothing served yet
    watcher.serving("arn:acm:1", "CERT-A")
    assert watcher.check_once() is False
    store["arn:acm:1"] = ("CERT-B", "KEY-B", "CHAIN")  # re-imported into the same ARN
    assert watcher.check_once() is True and applied == [("CERT-B", "KEY-B", "CHAIN")]
    assert watcher.check_once() is False and watcher.reloads == 1
