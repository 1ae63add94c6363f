"""The drift state machine's repairs of one host (input ``{"repair": true}``, or context ``driftRepair``).

CheckDrift says what may be repaired (``$.report.repairs``, lambdas/check_drift/repairs.py); these states do it,
with the setup's own steps and rights, and nothing else:

- ``Layer4Back`` (``repairs.layer4``): the host's run lock is taken (the item Validate and ValidateUndo write,
  lambdas/layer7/run_lock.py: a setup, an undo or another repair of the host running now leaves the drift as it
  is), VerifyGrpc checks Milvus through the ALB as the setup does, and only then RemoveLayer4, the setup's step,
  turns the Service ClusterIP again with the recorded request; the lock is given back on every path.
- ``CertificateExpiring`` with a newer value in the secret (``repairs.renew``): the setup workflow is started with
  ``{"renew": true, "host": H}``, the rotation rule's input (stacks/rotation.py); its own Validate takes the lock.

What was done goes to ``$.outcome.repaired.<kind>`` (RemoveLayer4's result; the renewal's execution ARN), what
was tried and not done to ``$.outcome.notRepaired.<kind>`` (the error and its cause); the Drift Detected event
carries both. The drift state machine's role gets only what these tasks need: invoking the two functions,
starting the setup state machine, and writing and deleting the lock's item.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks import retries, timeouts
from stacks.run_lock import RunLockTable
from stacks.runtime import run_lock_table as run_lock
from stacks.tasks import lambda_task

REPAIRS = "$.report.repairs"
HOST = "$.host"


def _not_repaired(scope: Construct, kind: str, suffix: str) -> sfn.Pass:
    return sfn.Pass(scope, f"{kind}NotRepaired{suffix}", result_path=f"$.outcome.notRepaired.{kind}",
                    parameters={"error.$": "$.caught.Error", "cause.$": "$.caught.Cause"})


def repair_states(scope: Construct, *, verify: lambda_.IFunction, remove_layer4: lambda_.IFunction,
                  setup_state_machine: sfn.IStateMachine, run_lock_table: RunLockTable,
                  next_state: sfn.IChainable) -> sfn.IChainable:
    """The repairs of ``$.report.repairs``, then ``next_state`` (the event), whatever happened."""
    start = sfn.Pass(scope, "StartRepairs", result_path="$.outcome",
                     parameters={"repaired": {}, "notRepaired": {}})
    # --- a certificate near its end, with a newer one in the secret: a renewal, as the rotation rule starts ---
    renew = tasks.StepFunctionsStartExecution(
        scope, "StartRenewal", state_machine=setup_state_machine,
        input=sfn.TaskInput.from_object({"renew": True, "host.$": HOST}),
        integration_pattern=sfn.IntegrationPattern.REQUEST_RESPONSE,
        result_selector={"renewal.$": "$.ExecutionArn"}, result_path="$.outcome.repaired.CertificateExpiring",
    )
    retries.PUBLISH.add_to(renew)
    renew.add_catch(_not_repaired(scope, "CertificateExpiring", "").next(next_state), errors=["States.ALL"],
                    result_path="$.caught")
    renew.next(next_state)
    renewal = (sfn.Choice(scope, "Renew?")
               .when(sfn.Condition.boolean_equals(f"{REPAIRS}.renew", True), renew)
               .otherwise(next_state))
    # --- the Service LoadBalancer again: verified through the ALB, then RemoveLayer4, under the host's lock ---
    take_lock = tasks.DynamoPutItem(
        scope, "TakeRunLock", table=run_lock_table.table,
        item={run_lock.HOST: tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at(HOST)),
              run_lock.HOLDER: tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at("$$.Execution.Id")),
              run_lock.ACQUIRED_AT: tasks.DynamoAttributeValue.from_string(
                  sfn.JsonPath.string_at("$$.State.EnteredTime"))},
        # Only a free lock: no expiresAt (no clock in a state), so Validate takes it over only once this execution
        # has ended (DescribeExecution), and the release below deletes it on every path.
        condition_expression="attribute_not_exists(#host)",
        expression_attribute_names={"#host": run_lock.HOST},
        result_path=sfn.JsonPath.DISCARD,
        task_timeout=sfn.Timeout.duration(Duration.seconds(timeouts.RUN_LOCK_RELEASE_TIMEOUT_SECONDS)),
    )
    retries.RUN_LOCK_RELEASE.add_to(take_lock)
    take_lock.add_catch(_not_repaired(scope, "Layer4Back", "HostBusy").next(renewal), errors=["States.ALL"],
                        result_path="$.caught")
    release = run_lock_table.release(scope, "ReleaseRepairRunLock", next_state=renewal, host_path=HOST)
    layer4 = f"{REPAIRS}.layer4"
    verify_grpc = lambda_task(scope, "VerifyGrpc", verify, {
        "request.$": f"{layer4}.request", "certificate.$": f"{layer4}.certificate",
        "loadBalancer.$": f"{layer4}.loadBalancer"}, result_path="$.verification")
    remove = lambda_task(scope, "RemoveLayer4", remove_layer4, {"request.$": f"{layer4}.request"},
                         result_path="$.outcome.repaired.Layer4Back")
    verify_grpc.add_catch(_not_repaired(scope, "Layer4Back", "Unverified").next(release), errors=["States.ALL"],
                          result_path="$.caught")
    remove.add_catch(_not_repaired(scope, "Layer4Back", "").next(release), errors=["States.ALL"],
                     result_path="$.caught")
    take_lock.next(verify_grpc).next(remove).next(release)
    return start.next(sfn.Choice(scope, "Layer4Back?")
                      .when(sfn.Condition.is_not_null(layer4), take_lock)
                      .otherwise(renewal))
