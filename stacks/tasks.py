"""What both workflows build the same way: a step's Lambda task with its retries and catchers, and the
state machine around a definition (its log group, tracing, timeout, a stable name).

Each Lambda task passes ``payload_response_only=True``: the function's return
value is the task result (placed at the state's ResultPath with no
``$.Payload`` unwrapping), and a function error surfaces with its
``errorType`` as the state's error, which is what Retry and Catch match.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks import retries
from stacks.failure_path import EXECUTION_ID, FailurePath

# The verification retries (VerificationFailed) never wait longer than this between two tries.
VERIFY_MAX_DELAY_SECONDS = 60


def lambda_task(scope: Construct, name: str, function: lambda_.IFunction, payload: dict[str, object], *,
                result_path: str, result_selector: dict[str, object] | None = None,
                extra_retry: retries.RetryPolicy | None = None) -> tasks.LambdaInvoke:
    """A step's Lambda task with the execution's id as correlation id and every workflow's retriers; the
    caller decides where its failures go."""
    task = tasks.LambdaInvoke(
        scope, name,
        lambda_function=function,
        payload=sfn.TaskInput.from_object({**payload, "correlationId.$": EXECUTION_ID}),
        payload_response_only=True,
        retry_on_service_exceptions=False,  # replaced by the retriers of stacks/retries.py
        result_selector=result_selector,
        result_path=result_path,
    )
    if extra_retry is not None and extra_retry.max_attempts > 0:
        extra_retry.add_to(task)
    for policy in retries.LAMBDA_POLICIES:
        policy.add_to(task)
    return task


def invoke(scope: Construct, name: str, function: lambda_.IFunction, payload: dict[str, object], *,
           result_path: str, failure: FailurePath, result_selector: dict[str, object] | None = None,
           extra_retry: retries.RetryPolicy | None = None, keeps_input: bool = True) -> tasks.LambdaInvoke:
    """``lambda_task`` whose failures go to the workflow's failure path."""
    task = lambda_task(scope, name, function, payload, result_path=result_path, result_selector=result_selector,
                       extra_retry=extra_retry)
    failure.catch(task, keeps_input=keeps_input)
    return task


def state_machine(scope: Construct, *, name: str, log_name: str, definition: sfn.IChainable, timeout_seconds: int,
                  comment: str) -> tuple[sfn.StateMachine, logs.LogGroup]:
    """A Standard state machine named ``name`` (the CLI, other pipelines and Validate's grants find it by that
    name, with no reference back), logging everything to its own log group ``log_name`` and traced."""
    log_group = logs.LogGroup(
        scope, "Logs",
        log_group_name=f"/aws/vendedlogs/states/{log_name}",
        retention=logs.RetentionDays.ONE_MONTH,
        removal_policy=RemovalPolicy.DESTROY,
    )
    machine = sfn.StateMachine(
        scope, "StateMachine",
        state_machine_name=name,
        state_machine_type=sfn.StateMachineType.STANDARD,
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        timeout=Duration.seconds(timeout_seconds),
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        comment=comment,
    )
    return machine, log_group


def setup_state_machine_name(stack_name: str) -> str:
    return f"{stack_name}-Setup"


def undo_state_machine_name(stack_name: str) -> str:
    return f"{stack_name}-Undo"
