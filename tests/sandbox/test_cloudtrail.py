"""The sandbox's CloudTrail feed, unnamed executions and the re-import watcher, without the whole sandbox.

The certificate-rotation rules only fire if the sandbox's Secrets Manager
writes reach the default bus as CloudTrail would put them there, and never
with the secret's value; a rotation only reaches clients if the data plane
follows a re-import into the same ACM ARN.
"""

from __future__ import annotations

import json
import time

import pytest

from sandbox.reimport import ReimportWatcher
from tests.polling import holds_for

GROUP = "/sandbox/cloudtrail-test"


@pytest.fixture(scope="module")
def secret(sandbox):
    """A secret, and every event its writes cause, collected in a log group."""
    arn = sandbox.client("secretsmanager").create_secret(Name="milvus-layer7/ct-test", SecretString="first")["ARN"]
    sandbox.client("logs").create_log_group(logGroupName=GROUP)
    events = sandbox.client("events")
    events.put_rule(Name="ct-test", EventPattern=json.dumps({
        "source": ["aws.secretsmanager"], "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["secretsmanager.amazonaws.com"], "eventName": ["PutSecretValue", "UpdateSecret"],
                   "requestParameters": {"secretId": [arn, "milvus-layer7/ct-test"]}}}))
    events.put_targets(Rule="ct-test", Targets=[{"Id": "logs", "Arn": f"arn:aws:logs:us-east-1:123456789012:"
                                                                      f"log-group:{GROUP}"}])
    return arn


def _delivered(sandbox, count: int) -> list[dict]:
    deadline = time.time() + 5
    while True:
        found = sandbox.client("logs").filter_log_events(logGroupName=GROUP).get("events", [])
        if len(found) >= count or time.time() > deadline:
            return [json.loads(e["message"]) for e in found]
        time.sleep(0.1)


def test_secret_writes_reach_the_bus_as_cloudtrail_events_without_the_value(sandbox, secret):
    # Given a secret, when it gets a new value by ARN and then by name
    secrets = sandbox.client("secretsmanager")
    put = secrets.put_secret_value(SecretId=secret, SecretString="NEW-PEM-1")
    secrets.update_secret(SecretId="milvus-layer7/ct-test", SecretString="NEW-PEM-2")
    # Then two events arrive, shaped as CloudTrail's, naming the secret as the caller did
    events = _delivered(sandbox, 2)
    assert [e["detail"]["eventName"] for e in events] == ["PutSecretValue", "UpdateSecret"]
    first, second = (e["detail"] for e in events)
    assert events[0]["source"] == "aws.secretsmanager" and events[0]["detail-type"] == "AWS API Call via CloudTrail"
    assert first["eventSource"] == "secretsmanager.amazonaws.com" and first["awsRegion"] == "us-east-1"
    assert first["requestParameters"]["secretId"] == secret
    assert first["responseElements"] == {"arn": secret, "name": "milvus-layer7/ct-test", "versionId": put["VersionId"],
                                         "versionStages": ["AWSCURRENT"]}
    assert second["requestParameters"]["secretId"] == "milvus-layer7/ct-test"
    assert second["responseElements"]["arn"] == secret
    assert all("NEW-PEM" not in json.dumps(e) for e in events)


def test_a_failed_write_delivers_nothing(sandbox, secret):
    before = len(_delivered(sandbox, 0))
    with pytest.raises(sandbox.client("secretsmanager").exceptions.ResourceNotFoundException):
        sandbox.client("secretsmanager").put_secret_value(SecretId="milvus-layer7/missing", SecretString="x")
    holds_for(lambda: len(_delivered(sandbox, 0)) == before, 0.5)


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


def test_a_rotations_finish_is_recorded_and_followed_by_rotation_succeeded(sandbox, secret):
    # Given a pending version, as a rotation function's createSecret leaves it
    secrets, events = sandbox.client("secretsmanager"), sandbox.client("events")
    events.put_rule(Name="ct-rotation", EventPattern=json.dumps({
        "source": ["aws.secretsmanager"], "detail": {"eventName": ["UpdateSecretVersionStage", "RotationSucceeded"]}}))
    events.put_targets(Rule="ct-rotation", Targets=[{"Id": "logs", "Arn": f"arn:aws:logs:us-east-1:123456789012:"
                                                                          f"log-group:{GROUP}-rotation"}])
    sandbox.client("logs").create_log_group(logGroupName=f"{GROUP}-rotation")
    pending = secrets.put_secret_value(SecretId=secret, SecretString="PENDING-PEM", VersionStages=["AWSPENDING"])
    current = next(v for v, s in secrets.describe_secret(SecretId=secret)["VersionIdsToStages"].items()
                   if "AWSCURRENT" in s)
    # When finishSecret moves AWSCURRENT to it
    secrets.update_secret_version_stage(SecretId=secret, VersionStage="AWSCURRENT", MoveToVersionId=pending["VersionId"],
                                        RemoveFromVersionId=current)
    # Then the API call is recorded, and the service event follows, naming the secret by its ARN
    deadline, found = time.time() + 5, []
    while len(found) < 2 and time.time() < deadline:
        found = [json.loads(e["message"]) for e in sandbox.client("logs").filter_log_events(
            logGroupName=f"{GROUP}-rotation").get("events", [])]
        time.sleep(0.1)
    stage_call, succeeded = found
    assert stage_call["detail-type"] == "AWS API Call via CloudTrail"
    assert stage_call["detail"]["requestParameters"] == {"secretId": secret, "versionStage": "AWSCURRENT",
                                                         "moveToVersionId": pending["VersionId"],
                                                         "removeFromVersionId": current}
    assert succeeded["detail-type"] == "AWS Service Event via CloudTrail"
    assert succeeded["detail"]["eventName"] == "RotationSucceeded"
    assert succeeded["detail"]["additionalEventData"] == {"SecretId": secret}
