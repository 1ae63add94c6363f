"""A parent workflow that runs milvus-layer7 as one of its steps and reads its result.

This is how another pipeline (a cluster bring-up, a release train) waits for
the Layer-7 endpoint: a Step Functions ``startExecution.sync:2`` task starts
the milvus-layer7 state machine, waits for it to end (Step Functions watches
the child through an EventBridge rule it manages,
``StepFunctionsGetEventsForStepFunctionsExecutionRule``) and receives its
output as JSON under ``$.Output`` (``.sync`` would give it as a string). A
failed child fails the task with the child's error (States.TaskFailed, the
contract's error name in the cause), which the parent may catch.

Not part of the product's stack: copy it into the stack that owns the parent
workflow. ``app.py`` next to this file deploys it alone.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

# The child's longest run with the stack's default configuration: its "SetupTimeoutSeconds" stack output.
# A parent that gives up sooner aborts the child part-way, and an aborted child publishes no event.
CHILD_TIMEOUT_SECONDS = 42977
# Time the parent needs around the child: starting it, noticing its end, its own other steps.
MARGIN = Duration.minutes(15)


class ParentPipeline(Construct):
    """Standard state machine: SetUpLayer7 (startExecution.sync:2) -> ReadEndpoint (Pass).

    Input: ``{"host": ..., "certificate": {"secretArn": ...}}`` (the rest of the
    child's input keeps its defaults). Output: ``endpoint`` (the ALB's DNS name),
    ``serverName``, ``certificateArn``, ``childExecutionArn`` and ``layer7``, the
    child's whole output.
    """

    def __init__(self, scope: Construct, construct_id: str, *, child_state_machine_arn: str,
                 child_timeout: Duration = Duration.seconds(CHILD_TIMEOUT_SECONDS)) -> None:
        """``child_timeout``: the milvus-layer7 stack's ``SetupTimeoutSeconds`` output, when its context
        changes the verify retries."""
        super().__init__(scope, construct_id)
        child = sfn.StateMachine.from_state_machine_arn(self, "Layer7", child_state_machine_arn)
        set_up = tasks.StepFunctionsStartExecution(
            self, "SetUpLayer7",
            state_machine=child,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,  # startExecution.sync:2
            input=sfn.TaskInput.from_object({
                "host": sfn.JsonPath.string_at("$.host"),
                "certificate": sfn.JsonPath.object_at("$.certificate"),
            }),
            # No AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID in the child's input:
            # milvus-layer7 refuses unknown fields (InvalidInput).
            associate_with_parent=False,
            # never give up on the child before it can have ended by itself
            task_timeout=sfn.Timeout.duration(child_timeout.plus(MARGIN)),
        )
        read = sfn.Pass(
            self, "ReadEndpoint",
            parameters={
                "endpoint.$": "$.Output.loadBalancer.dnsName",
                "serverName.$": "$.Output.verification.serverName",
                "certificateArn.$": "$.Output.certificateArn",
                "childExecutionArn.$": "$.ExecutionArn",
                "layer7.$": "$.Output",
            },
        )
        # RUN_JOB grants the state machine's role what the integration needs:
        # states:StartExecution on the child, DescribeExecution/StopExecution on
        # its executions, and the managed rule's events:PutTargets/PutRule/DescribeRule.
        self.state_machine = sfn.StateMachine(
            self, "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(set_up.next(read)),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=child_timeout.plus(MARGIN).plus(MARGIN),
        )
