"""One run per host against the sandbox's moto: Validate's lock with real executions, and the release state the
stack builds, run by moto's Step Functions interpreter (its ``dynamodb:deleteItem`` integration)."""

from __future__ import annotations

import json
import threading
import time

import pytest

from layer7.errors import RunInProgress
from tests.polling import wait_for

HOST = "milvus.example.test"
TABLE = "RunLock"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-cert-AbCdEf"
HOLD = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 600, "End": True}}}


@pytest.fixture(scope="module")
def role(sandbox):
    return sandbox.client("iam").create_role(RoleName="run-lock-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]


@pytest.fixture(scope="module")
def table(sandbox):
    dynamodb = sandbox.client("dynamodb")
    dynamodb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "host", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "host", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    return dynamodb


@pytest.fixture
def validate_environment(monkeypatch):
    for name, value in {"CLUSTER_NAME": "milvus-eks", "DEFAULT_NAMESPACE": "milvus", "DEFAULT_HOST": HOST,
                        "DEFAULT_CERTIFICATE_SECRET_ARN": SECRET, "HOSTED_ZONE_ID": "",
                        "RUN_LOCK_TABLE": TABLE, "RUN_LOCK_HOLD_SECONDS": "36000"}.items():
        monkeypatch.setenv(name, value)


def holder(table) -> str | None:
    item = table.get_item(TableName=TABLE, Key={"host": {"S": HOST}}, ConsistentRead=True).get("Item")
    return item["holder"]["S"] if item else None


def test_two_runs_started_50_ms_apart_one_goes_on_the_other_is_refused_changing_nothing(
        sandbox, role, table, validate_environment, lambda_context) -> None:
    from validate import handler

    sfn = sandbox.client("stepfunctions")
    machine = sfn.create_state_machine(name="Hold", definition=json.dumps(HOLD), roleArn=role)["stateMachineArn"]
    # Given two executions for the host started 50 ms apart, each running Validate as soon as it starts
    outcomes: dict[str, object] = {}

    def validate(arn: str) -> None:
        event = {"input": {}, "correlationId": arn, "stateMachineArn": machine}
        try:
            outcomes[arn] = handler.lambda_handler(event, lambda_context, sfn=sandbox.client("stepfunctions"),
                                                   dynamodb=sandbox.client("dynamodb"))
        except RunInProgress as exc:
            outcomes[arn] = exc

    threads = []
    for index in range(2):
        if index:
            time.sleep(0.05)
        arn = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
        threads.append(threading.Thread(target=validate, args=(arn,)))
        threads[-1].start()
    for thread in threads:
        thread.join(timeout=30)
    # Then exactly one holds the lock and goes on; the other is refused naming it, and the lock is the first's
    goes_on = [arn for arn, outcome in outcomes.items() if isinstance(outcome, dict)]
    refused = [outcome for outcome in outcomes.values() if isinstance(outcome, RunInProgress)]
    assert len(goes_on) == len(refused) == 1, outcomes
    assert holder(table) == goes_on[0]
    assert f"execution {goes_on[0]} is already running for host {HOST}; this execution changed nothing" \
        in str(refused[0])
    # And once the holder is aborted (no release ever ran), the next run takes the lock over
    sfn.stop_execution(executionArn=goes_on[0])
    wait_for(lambda: sfn.describe_execution(executionArn=goes_on[0])["status"] == "ABORTED")
    later = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    validate(later)
    assert isinstance(outcomes[later], dict) and holder(table) == later
    sfn.stop_execution(executionArn=later)
    table.delete_item(TableName=TABLE, Key={"host": {"S": HOST}})


def release_machine() -> dict:
    """Wait, then the stack's own release state (stacks/run_lock.py), then Succeed: its definition, synthesized."""
    import aws_cdk as cdk
    from aws_cdk import aws_stepfunctions as sfn
    from aws_cdk.assertions import Template

    from stacks.run_lock import RunLockTable

    stack = cdk.Stack(cdk.App(), "RunLockRelease")
    lock = RunLockTable(stack, "RunLock")
    done = sfn.Succeed(stack, "Succeed")
    wait = sfn.Wait(stack, "LetTheTestWrite", time=sfn.WaitTime.duration(cdk.Duration.seconds(1)))
    wait.next(lock.release(stack, "ReleaseRunLock", next_state=done))
    sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(wait))
    (machine,) = Template.from_stack(stack).find_resources("AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    tokens = {"AWS::Partition": "aws"}
    text = "".join(part if isinstance(part, str) else tokens.get(part.get("Ref"), TABLE) for part in parts)
    return json.loads(text)


@pytest.mark.parametrize("held_by_this_run", [True, False])
def test_the_release_state_gives_back_only_this_runs_lock_and_never_fails_the_run(sandbox, role, table,
                                                                                  held_by_this_run):
    sfn = sandbox.client("stepfunctions")
    machine = sfn.create_state_machine(name=f"Release{held_by_this_run}", definition=json.dumps(release_machine()),
                                       roleArn=role)["stateMachineArn"]
    # Given a run whose lock is its own, or another run's
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"request": {"host": HOST}}))["executionArn"]
    owner = arn if held_by_this_run else f"{arn}-other"
    table.put_item(TableName=TABLE, Item={"host": {"S": HOST}, "holder": {"S": owner}})
    # When it reaches the release
    result = wait_for(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d)
    # Then the run succeeds either way, and only its own lock is gone
    assert result["status"] == "SUCCEEDED", result
    assert holder(table) == (None if held_by_this_run else owner)
    table.delete_item(TableName=TABLE, Key={"host": {"S": HOST}})
