"""One run per host: taking the host's lock, and taking it over from a run that ended without giving it back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from layer7 import run_lock
from layer7.errors import RunInProgress

HOST = "milvus.example.test"
MACHINE = "arn:aws:states:us-east-1:123456789012:execution:MilvusLayer7-Setup"
FIRST, SECOND, THIRD = f"{MACHINE}:first", f"{MACHINE}:second", f"{MACHINE}:third"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
HOLD = 36_000
TABLE = "RunLock"


class Sfn:
    """DescribeExecution over given statuses; an execution not among them does not exist."""

    def __init__(self, statuses: dict[str, str], on_describe=None):
        self.statuses, self.on_describe = statuses, on_describe
        self.described: list[str] = []

    def describe_execution(self, executionArn):
        self.described.append(executionArn)
        if self.on_describe:
            self.on_describe()
        if executionArn not in self.statuses:
            raise ClientError({"Error": {"Code": "ExecutionDoesNotExist", "Message": "not found"}},
                              "DescribeExecution")
        return {"executionArn": executionArn, "status": self.statuses[executionArn]}


@pytest.fixture
def dynamodb():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "host", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "host", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
        yield client


def take(dynamodb, sfn, execution_arn, *, now=NOW, host=HOST):
    return run_lock.acquire(dynamodb, sfn, table=TABLE, host=host, execution_arn=execution_arn, now=now,
                            hold_seconds=HOLD)


def holder(dynamodb, host=HOST):
    item = dynamodb.get_item(TableName=TABLE, Key={"host": {"S": host}}, ConsistentRead=True).get("Item")
    return item and item["holder"]["S"]


def test_a_free_lock_is_taken_with_its_expiry_without_asking_step_functions(dynamodb):
    sfn = Sfn({})
    assert take(dynamodb, sfn, FIRST) is None
    item = dynamodb.get_item(TableName=TABLE, Key={"host": {"S": HOST}})["Item"]
    assert item == {"host": {"S": HOST}, "holder": {"S": FIRST}, "acquiredAt": {"S": NOW.isoformat()},
                    "expiresAt": {"N": str(int(NOW.timestamp()) + HOLD)}}
    assert sfn.described == []


def test_a_run_for_a_host_whose_holder_runs_is_refused_naming_it_and_changes_nothing(dynamodb):
    take(dynamodb, Sfn({}), FIRST)
    before = dynamodb.get_item(TableName=TABLE, Key={"host": {"S": HOST}})["Item"]
    with pytest.raises(RunInProgress, match=f"execution {FIRST} is already running for host {HOST}; "
                                            "this execution changed nothing"):
        take(dynamodb, Sfn({FIRST: "RUNNING"}), SECOND, now=NOW + timedelta(seconds=1))
    assert dynamodb.get_item(TableName=TABLE, Key={"host": {"S": HOST}})["Item"] == before


def test_other_hosts_have_their_own_locks(dynamodb):
    take(dynamodb, Sfn({}), FIRST)
    assert take(dynamodb, Sfn({FIRST: "RUNNING"}), SECOND, host="other.example.test") is None
    assert (holder(dynamodb), holder(dynamodb, "other.example.test")) == (FIRST, SECOND)


def test_the_holder_taking_it_again_succeeds(dynamodb):
    # Given Validate took the lock, then failed transiently and is retried by the state machine
    take(dynamodb, Sfn({}), FIRST)
    assert take(dynamodb, Sfn({FIRST: "RUNNING"}), FIRST, now=NOW + timedelta(seconds=5)) is None
    assert holder(dynamodb) == FIRST


@pytest.mark.parametrize("status", ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"])
def test_a_lock_whose_holder_ended_is_taken_over(dynamodb, status):
    # Given a run that ended without giving the lock back (aborted, timed out, a release that failed)
    take(dynamodb, Sfn({}), FIRST)
    # Then the next run takes it over, and says from whom
    assert take(dynamodb, Sfn({FIRST: status}), SECOND, now=NOW + timedelta(minutes=1)) == FIRST
    assert holder(dynamodb) == SECOND


def test_a_holder_step_functions_does_not_know_is_treated_as_running(dynamodb):
    # DescribeExecution is eventually consistent: a just-started holder may not be found yet
    take(dynamodb, Sfn({}), FIRST)
    with pytest.raises(RunInProgress, match=FIRST):
        take(dynamodb, Sfn({}), SECOND, now=NOW + timedelta(seconds=1))
    assert holder(dynamodb) == FIRST


def test_an_expired_lock_is_free_whatever_its_holder(dynamodb):
    take(dynamodb, Sfn({}), FIRST)
    sfn = Sfn({FIRST: "RUNNING"})
    assert take(dynamodb, sfn, SECOND, now=NOW + timedelta(seconds=HOLD + 1)) is None
    assert holder(dynamodb) == SECOND and sfn.described == []


def test_of_two_runs_taking_over_one_ended_holder_only_one_succeeds(dynamodb):
    # Given a lock left by an ended run, and a third run that takes it over while the second one looks
    take(dynamodb, Sfn({}), FIRST)
    statuses = {FIRST: "ABORTED", THIRD: "RUNNING"}
    third_first = Sfn(statuses, on_describe=lambda: take(dynamodb, Sfn(statuses), THIRD))
    # Then the second one is refused, naming the third, which holds the lock
    with pytest.raises(RunInProgress, match=THIRD):
        take(dynamodb, third_first, SECOND, now=NOW + timedelta(minutes=1))
    assert holder(dynamodb) == THIRD


def test_a_lock_given_back_while_the_run_looked_is_taken(dynamodb):
    # Given the holder ended and gave the lock back between the first write and the look at it
    take(dynamodb, Sfn({}), FIRST)
    released = Sfn({FIRST: "SUCCEEDED"},
                   on_describe=lambda: dynamodb.delete_item(TableName=TABLE, Key={"host": {"S": HOST}}))
    take(dynamodb, released, SECOND, now=NOW + timedelta(minutes=1))
    assert holder(dynamodb) == SECOND


def test_the_stack_sets_the_table_and_hold_time():
    with pytest.raises(RuntimeError, match="RUN_LOCK_TABLE and RUN_LOCK_HOLD_SECONDS must be set"):
        run_lock.acquire_for_execution(HOST, FIRST, dynamodb=None, sfn=None, environ={"RUN_LOCK_TABLE": "t"})


@pytest.mark.parametrize(("status", "taken_over"), [("RUNNING", False), ("SUCCEEDED", True), ("ABORTED", True)])
def test_a_drift_repairs_lock_without_an_expiry_refuses_while_it_runs_and_is_taken_over_once_it_ended(
        dynamodb, status, taken_over):
    # Given the drift state machine's repair holding the host's lock: its own item, with no expiresAt (no clock in
    # a state, stacks/drift_repair.py)
    repair = "arn:aws:states:us-east-1:123456789012:execution:MilvusLayer7-Drift:hourly"
    dynamodb.put_item(TableName=TABLE, Item={"host": {"S": HOST}, "holder": {"S": repair},
                                             "acquiredAt": {"S": NOW.isoformat()}},
                      ConditionExpression="attribute_not_exists(#host)", ExpressionAttributeNames={"#host": "host"})
    # When a setup's Validate takes the lock a day later
    sfn = Sfn({repair: status})
    later = NOW + timedelta(days=1)
    if taken_over:
        # Then it takes it over once the repair ended
        assert take(dynamodb, sfn, FIRST, now=later) == repair
        assert holder(dynamodb) == FIRST
    else:
        # Then it is refused while the repair runs, however old the item
        with pytest.raises(RunInProgress, match=f"execution {repair} is already running"):
            take(dynamodb, sfn, FIRST, now=later)
        assert holder(dynamodb) == repair
    assert sfn.described == [repair]
