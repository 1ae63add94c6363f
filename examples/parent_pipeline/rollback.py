"""A parent pipeline with a rollback stage: when a stage after milvus-layer7 fails, its undo runs.

The pattern a release pipeline uses for the way back: SetUpLayer7 puts Milvus
behind the ALB (``startExecution.sync:2`` on the setup state machine), the
pipeline's own stages run inside a Parallel (so their failure can be caught;
a Fail state alone cannot be), and the catcher starts the milvus-layer7 undo
(``startExecution.sync:2`` on the ``UndoStateMachineArn`` output) with the
same host, namespace and Service, then fails the pipeline with the error that
started it all. The undo puts the Layer-4 load balancer back and takes the ALB
away with Milvus reachable throughout (docs/CONTRACT.md "The undo workflow").

Here the pipeline's own stage is a stand-in: it fails when the input says
``"simulateFailure": true``. Copy the construct and put your stages in
``release_stages``.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from construct import CHILD_TIMEOUT_SECONDS, MARGIN

# The undo's longest run with the stack's default configuration: its "UndoTimeoutSeconds" stack output.
UNDO_TIMEOUT_SECONDS = 43990


class RollbackPipeline(Construct):
    """Standard state machine: SetUpLayer7 -> Release (Parallel) -> Released; a failed release -> RollBackLayer7
    (the undo, startExecution.sync:2) -> ReleaseRolledBack (Fail).

    Input: ``{"host": ..., "certificate": {"secretArn": ...}, "namespace": ..., "serviceName": ...,
    "simulateFailure": false}``; the undo is started with the same ``host``, ``namespace`` and ``serviceName``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, child_state_machine_arn: str,
                 undo_state_machine_arn: str, release_stages: sfn.IChainable | None = None,
                 child_timeout: Duration = Duration.seconds(CHILD_TIMEOUT_SECONDS),
                 undo_timeout: Duration = Duration.seconds(UNDO_TIMEOUT_SECONDS)) -> None:
        super().__init__(scope, construct_id)
        setup = sfn.StateMachine.from_state_machine_arn(self, "Layer7", child_state_machine_arn)
        undo = sfn.StateMachine.from_state_machine_arn(self, "Layer7Undo", undo_state_machine_arn)
        identity = {"host": sfn.JsonPath.string_at("$.host"),
                    "namespace": sfn.JsonPath.string_at("$.namespace"),
                    "serviceName": sfn.JsonPath.string_at("$.serviceName")}
        set_up = tasks.StepFunctionsStartExecution(
            self, "SetUpLayer7", state_machine=setup, integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            input=sfn.TaskInput.from_object({**identity, "certificate": sfn.JsonPath.object_at("$.certificate")}),
            associate_with_parent=False,  # milvus-layer7 refuses unknown fields (InvalidInput)
            task_timeout=sfn.Timeout.duration(child_timeout.plus(MARGIN)),
            result_path="$.layer7",
        )
        release = sfn.Parallel(self, "Release", result_path=sfn.JsonPath.DISCARD)
        release.branch(release_stages or self._stand_in_stage())
        roll_back = tasks.StepFunctionsStartExecution(
            self, "RollBackLayer7", state_machine=undo, integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            input=sfn.TaskInput.from_object(identity),
            associate_with_parent=False,
            task_timeout=sfn.Timeout.duration(undo_timeout.plus(MARGIN)),
            result_path="$.rollback",
        )
        rolled_back = sfn.Fail(self, "ReleaseRolledBack", error="ReleaseRolledBack",
                               cause="A release stage failed; milvus-layer7 was undone (the undo's output is in "
                                     "the RollBackLayer7 task's result)")
        release.add_catch(roll_back.next(rolled_back), errors=["States.ALL"], result_path="$.releaseError")
        released = sfn.Succeed(self, "Released")
        self.state_machine = sfn.StateMachine(
            self, "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(set_up.next(release).next(released)),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=child_timeout.plus(undo_timeout).plus(MARGIN).plus(MARGIN),
        )

    def _stand_in_stage(self) -> sfn.IChainable:
        """The pipeline's own stages, here one that fails on request."""
        fails = sfn.Fail(self, "ReleaseStageFailed", error="ReleaseStageFailed", cause="simulateFailure was true")
        return (sfn.Choice(self, "SimulateFailure?")
                .when(sfn.Condition.boolean_equals("$.simulateFailure", True), fails)
                .otherwise(sfn.Pass(self, "YourReleaseStages")))
