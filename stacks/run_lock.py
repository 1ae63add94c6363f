"""One run per host: the lock's table and the states that give the lock back (lambdas/layer7/run_lock.py takes it,
and says why a DynamoDB item rather than a Kubernetes Lease).

The table: one item per host, paid per request (a few writes per run), with
``expiresAt`` as its TTL attribute so locks left by runs that never released
them are deleted in the end (the takeover rule does not wait for that). Its
removal policy is DESTROY and it has no point-in-time recovery: it holds
nothing worth keeping, and a restored lock would only name executions that
have ended.

The release is a direct ``dynamodb:deleteItem`` task (no Lambda) conditional
on ``holder`` being this execution, so a run refused at Validate never frees
the lock of the run that holds it. It is the last state before Succeed and
before Failed; when it fails (the condition, or DynamoDB itself) the run
still ends as it would have (its catcher goes on to Succeed or Failed), and
the next run takes the lock over from this ended one.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks import retries, timeouts
from stacks.runtime import run_lock_table as run_lock

HOST_PATH = "$.request.host"


class RunLockTable(Construct):
    """The table Validate and ValidateUndo write the host's lock into."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self, "Table",
            partition_key=dynamodb.Attribute(name=run_lock.HOST, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=run_lock.EXPIRES_AT,
            removal_policy=RemovalPolicy.DESTROY,
        )

    def release(self, scope: Construct, name: str, *, next_state: sfn.IChainable,
                host_path: str = HOST_PATH) -> sfn.IChainable:
        """``name``: give the lock back if this execution holds it, then ``next_state`` whatever happened."""
        task = tasks.DynamoDeleteItem(
            scope, name,
            table=self.table,
            key={run_lock.HOST: tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at(host_path))},
            condition_expression="#holder = :me",
            expression_attribute_names={"#holder": run_lock.HOLDER},
            expression_attribute_values={":me": tasks.DynamoAttributeValue.from_string(
                sfn.JsonPath.string_at("$$.Execution.Id"))},
            result_path=sfn.JsonPath.DISCARD,
            task_timeout=sfn.Timeout.duration(Duration.seconds(timeouts.RUN_LOCK_RELEASE_TIMEOUT_SECONDS)),
        )
        retries.RUN_LOCK_RELEASE.add_to(task)
        task.add_catch(next_state, errors=["States.ALL"], result_path=sfn.JsonPath.DISCARD)
        return task.next(next_state)
