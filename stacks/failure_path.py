"""Where every failed step goes: one error and one cause, the Service's state said truthfully, one event.

Catch puts Error/Cause at ``$.caught``. For the contract's errors the Cause
is the Lambda's error JSON; Amazon States Language cannot index into the
result of ``States.StringToJson`` within one state, so ``ExplainFailure``
parses it and ``TakeErrorMessage`` keeps only ``errorMessage`` (the stack
trace never reaches the event or the execution's cause). Anything else goes to
``RecordFailure`` with the raw Error and Cause. Both leave
``$.failure = {error, cause}``.

An ``Outcome`` then says what the run knows of what it changed; each workflow
has its own. Setup's ``ServiceState?`` says what became of the Milvus Service:
its type as RemoveLayer4 left it, else as ApplyIngress read it, else nothing
(the run failed before a step that read it finished; then its name, when
Validate got that far), and whether this run changed it. The Layer-4 load
balancer is gone only when this run (or an earlier one) made the Service
ClusterIP; the event says which, instead of promising it is "still in place".
The undo's says which load balancers serve (undo_workflow.py).

``PublishFailed`` sends the workflow's failure event (``Milvus Layer7 Setup
Failed``, ``Milvus Layer7 Undo Failed``); if EventBridge fails even after its
retries, the run still fails with the original error (its catcher keeps
``$.failure`` and notes the publishing error beside it). Then, when Validate
got as far as the request (``$.request.host``), ``ReleaseRunLockAfterFailure``
gives the host's run lock back if this run holds it (stacks/run_lock.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks import names, retries
from stacks.run_lock import HOST_PATH, RunLockTable

EXECUTION_ID = "$$.Execution.Id"  # correlationId and executionArn (a plain path: CDK would add a 2nd ".$" to a token)
EXECUTION_START_TIME = "$$.Execution.StartTime"  # ISO 8601, Step Functions' clock (the context object)
NULL = "States.StringToJson('null')"
PUBLISH_TIMEOUT_SECONDS = 30


def publish(scope: Construct, name: str, detail_type: str, detail: dict[str, object]) -> tasks.EventBridgePutEvents:
    """events:PutEvents on the default bus (no event_bus given), retried on EventBridge's own faults; the detail
    names the stack that sent it (``stack``), as a request names the stack it is for."""
    task = tasks.EventBridgePutEvents(
        scope, name,
        entries=[tasks.EventBridgePutEventsEntry(
            detail=sfn.TaskInput.from_object({**detail, names.REQUEST_STACK_FIELD: Stack.of(scope).stack_name}),
            detail_type=detail_type,
            source=names.EVENT_SOURCE,
        )],
        result_path=sfn.JsonPath.DISCARD,
        task_timeout=sfn.Timeout.duration(Duration.seconds(PUBLISH_TIMEOUT_SECONDS)),
    )
    retries.PUBLISH.add_to(task)
    return task


@dataclass(frozen=True)
class Outcome:
    """The states that describe, in ``$.failure.<key>``, what the failed run left: ``start`` is entered, every
    one of ``ends`` goes on to the failure event, which carries ``$.failure.<key>`` as ``key``."""

    start: sfn.IChainable
    ends: tuple[sfn.INextable, ...]
    key: str


class FailurePath(Construct):
    """The states after a failure, built once; ``catch`` wires a task into them."""

    def __init__(self, scope: Construct, construct_id: str, *, run_lock: RunLockTable,
                 detail_type: str = names.DETAIL_TYPE_FAILED,
                 outcome: Callable[[Construct], Outcome] | None = None) -> None:
        super().__init__(scope, construct_id)
        # The states keep their plain names in the definition (scope: the workflow, not this construct).
        parent = scope
        self.explain = sfn.Pass(parent, "ExplainFailure", result_path="$.failure", parameters={
            "error.$": "$.caught.Error",
            "lambdaError.$": "States.StringToJson($.caught.Cause)",
        })
        take_message = sfn.Pass(parent, "TakeErrorMessage", result_path="$.failure", parameters={
            "error.$": "$.failure.error",
            "cause.$": "$.failure.lambdaError.errorMessage",
        })
        self.record = sfn.Pass(parent, "RecordFailure", result_path="$.failure", parameters={
            "error.$": "$.caught.Error",
            "cause.$": "$.caught.Cause",
        })
        # Validate's catchers replace the state with {Error, Cause} (workflow.py docstring): put it where the
        # others put it.
        self.explain_validate = sfn.Pass(parent, "KeepValidateError", parameters={"caught.$": "$"})
        self.record_validate = sfn.Pass(parent, "KeepValidateFailure", parameters={"caught.$": "$"})
        self.explain_validate.next(self.explain)
        self.record_validate.next(self.record)

        described = (outcome or service_outcome)(parent)
        publish_failed = publish(parent, "PublishFailed", detail_type, {
            "error.$": "$.failure.error",
            "cause.$": "$.failure.cause",
            f"{described.key}.$": f"$.failure.{described.key}",
            "executionArn.$": EXECUTION_ID,
        })
        failed = sfn.Fail(parent, "Failed", error_path="$.failure.error", cause_path="$.failure.cause")
        # A run that failed before Validate's result has no request: it took no lock (layer7/run_lock.py).
        release = (sfn.Choice(parent, "RunLockTaken?")
                   .when(sfn.Condition.is_present(HOST_PATH),
                         run_lock.release(parent, "ReleaseRunLockAfterFailure", next_state=failed))
                   .otherwise(failed))
        publish_failed.add_catch(release, errors=["States.ALL"], result_path="$.publishError")
        self.explain.next(take_message).next(described.start)
        self.record.next(described.start)
        for end in described.ends:
            end.next(publish_failed)
        publish_failed.next(release)

    def catch(self, task: tasks.LambdaInvoke, *, keeps_input: bool = True) -> None:
        """Contract errors to ExplainFailure, anything else to RecordFailure; ``keeps_input=False`` for Validate."""
        result_path = "$.caught" if keeps_input else "$"
        explain, record = (self.explain, self.record) if keeps_input else (self.explain_validate,
                                                                              self.record_validate)
        task.add_catch(explain, errors=list(names.CONTRACT_ERROR_NAMES), result_path=result_path)
        task.add_catch(record, errors=["States.ALL"], result_path=result_path)


def service_outcome(parent: Construct) -> Outcome:
    """Setup's: what became of the Milvus Service (module docstring)."""
    removed = sfn.Pass(parent, "ServiceAfterRemoveLayer4", result_path="$.failure.service", parameters={
        "name.$": "$.service.name", "type.$": "$.service.type", "changedByThisRun": True})
    unchanged = sfn.Pass(parent, "ServiceUnchanged", result_path="$.failure.service", parameters={
        "name.$": "$.service.name", "type.$": "$.service.type", "changedByThisRun": False})
    as_read = sfn.Pass(parent, "ServiceAsRead", result_path="$.failure.service", parameters={
        "name.$": "$.request.serviceName", "type.$": "$.ingress.serviceType", "changedByThisRun": False})
    not_read = sfn.Pass(parent, "ServiceNotRead", result_path="$.failure.service", parameters={
        "name.$": "$.request.serviceName", "type.$": NULL, "changedByThisRun": False})
    unknown = sfn.Pass(parent, "ServiceUnknown", result_path="$.failure.service", parameters={
        "name.$": NULL, "type.$": NULL, "changedByThisRun": False})
    changed = sfn.Condition.and_(sfn.Condition.is_present("$.service.type"),
                                 sfn.Condition.not_(sfn.Condition.string_equals_json_path(
                                     "$.service.type", "$.service.previousType")))
    choice = (sfn.Choice(parent, "ServiceState?")
              .when(changed, removed)
              .when(sfn.Condition.is_present("$.service.type"), unchanged)
              .when(sfn.Condition.is_present("$.ingress.serviceType"), as_read)
              .when(sfn.Condition.is_present("$.request.serviceName"), not_read)
              .otherwise(unknown))
    return Outcome(start=choice, ends=(removed, unchanged, as_read, not_read, unknown), key="service")
