"""The drift check on a schedule (context ``driftCheckSchedule``): every recorded host checked, drift published.

EventBridge Scheduler starts the ``<stack>-Drift`` state machine with input ``{}``; it asks CheckDrift for the
hosts recorded in the stack's namespace (``listHosts``), then, in a Map, checks each host (CheckDrift with
``host``). A host whose check finds something gets one ``Milvus Layer7 Drift Detected`` event (its findings) and
one ``DriftFindings`` data point per finding (in the stack's namespace: its name, ``MilvusLayer7`` by default;
dimensions ``service`` and ``kind``);
a host that matches its record publishes nothing. The execution's output lists each host with ``matches`` and
how many findings it had.

Why a state machine around the Lambda, not the Lambda publishing itself: CheckDrift's role stays read-only
(it never gets ``events:PutEvents`` or ``cloudwatch:PutMetricData``; the state machine's role publishes, as the
setup's does, and only into its own metric namespace); each host is its own invocation, within the function's
timeout and with the fixed calls per host CheckDrift states, however many hosts the namespace holds; a transient
fault is retried by the state machine for that host alone (stacks/retries.py), as every step's is. A check that
fails after its retries fails the execution, which ``DriftCheckFailed`` alarms on (stacks/monitoring.py).

With input ``{"repair": true}`` (the schedule sends it with context ``driftRepair``; anyone allowed to start the
state machine may), a host whose report holds ``repairs`` is repaired first (stacks/drift_repair.py), and its
event says what was (``repaired``) and what was tried but not (``notRepaired``); any other input only reports.

The schedule's role may only start this state machine (and put an undeliverable start in the rules' dead-letter
queue, with the same retries as the rules' targets); it trusts ``scheduler.amazonaws.com`` for this account only.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks import names
from stacks.drift_repair import repair_states
from stacks.failure_path import EXECUTION_ID, publish
from stacks.run_lock import RunLockTable
from stacks.tasks import lambda_task, state_machine
from stacks.triggers import MAX_EVENT_AGE, RETRY_ATTEMPTS

# Hosts checked at once: each check is a few reads of the cluster's API and of ELBv2, ACM and Route 53.
MAX_CONCURRENT_CHECKS = 4
# A check is a 60 s function retried a few times (stacks/retries.py): room for many hosts, four at a time.
TIMEOUT_SECONDS = 3600


def drift_state_machine_name(stack_name: str) -> str:
    return f"{stack_name}-Drift"


class DriftSchedule(Construct):
    """The scheduled drift check: a schedule, the state machine it starts, and what that publishes."""

    def __init__(self, scope: Construct, construct_id: str, *, function: lambda_.IFunction, expression: str,
                 dead_letter_queue: sqs.IQueue, repair_functions: Mapping[str, lambda_.IFunction],
                 setup_state_machine: sfn.IStateMachine, run_lock: RunLockTable, repair: bool = False) -> None:
        """``repair_functions``: VerifyGrpc and RemoveLayer4, the setup's own; ``repair``: the schedule asks for
        repairs (context driftRepair)."""
        super().__init__(scope, construct_id)
        stack_name = Stack.of(self).stack_name
        self.machine_name = drift_state_machine_name(stack_name)
        self.timeout_seconds = TIMEOUT_SECONDS
        self._repair_functions, self._setup_state_machine, self._run_lock = (
            repair_functions, setup_state_machine, run_lock)
        self.state_machine, self.log_group = state_machine(
            self, name=drift_state_machine_name(stack_name), log_name=f"{stack_name}-Drift",
            definition=self._build_definition(function), timeout_seconds=TIMEOUT_SECONDS,
            comment="milvus-layer7: the drift check of every recorded host (docs/CONTRACT.md 'Drift check')",
        )
        # PutMetricData has no resource level; the namespace condition keeps it to the product's metrics.
        self.state_machine.add_to_role_policy(iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"], resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": names.metrics_namespace(stack_name)}}))
        self.schedule = scheduler.Schedule(
            self, "Schedule", schedule_name=f"{stack_name}-DriftCheck",
            description="milvus-layer7: check every recorded host for drift (docs/CONTRACT.md 'Drift check')",
            schedule=scheduler.ScheduleExpression.expression(expression),
            target=scheduler_targets.StepFunctionsStartExecution(
                self.state_machine, input=scheduler.ScheduleTargetInput.from_object({"repair": True} if repair else {}),
                dead_letter_queue=dead_letter_queue, retry_attempts=RETRY_ATTEMPTS, max_event_age=MAX_EVENT_AGE),
        )

    def _build_definition(self, function: lambda_.IFunction) -> sfn.IChainable:
        list_hosts = lambda_task(self, "ListHosts", function, {"listHosts": True}, result_path="$.recorded")
        check_host = lambda_task(self, "CheckHost", function, {"host.$": "$.host"}, result_path="$.report")
        publish_drift = publish(self, "PublishDriftDetected", names.DETAIL_TYPE_DRIFT, {
            "host.$": "$.report.host",
            "findings.$": "$.report.findings",
            "repaired.$": "$.outcome.repaired",
            "notRepaired.$": "$.outcome.notRepaired",
            "executionArn.$": EXECUTION_ID,
        })
        # One data point per finding; CloudWatch adds up those of one kind (Sum).
        count_findings = sfn.Map(self, "CountFindings", items_path="$.report.findings", result_path="$.metricData",
                                 item_selector={
                                     "MetricName": names.METRIC_DRIFT_FINDINGS,
                                     "Dimensions": [
                                         *({"Name": name, "Value": value}
                                           for name, value in names.METRIC_DIMENSIONS.items()),
                                         {"Name": names.METRIC_DRIFT_KIND_DIMENSION,
                                          "Value.$": "$$.Map.Item.Value.kind"},
                                     ],
                                     "Value": 1,
                                     "Unit": "Count",
                                 })
        count_findings.item_processor(sfn.Pass(self, "FindingDataPoint"))
        put_metrics = sfn.CustomState(self, "PutDriftMetrics", state_json={
            "Type": "Task",
            "Resource": f"arn:{Stack.of(self).partition}:states:::aws-sdk:cloudwatch:putMetricData",
            "Parameters": {"Namespace": names.metrics_namespace(Stack.of(self).stack_name),
                           "MetricData.$": "$.metricData"},
            "ResultPath": "$.metricsPut",  # its answer ({}) beside the state: HostChecked reads $.report
            "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 3,
                       "BackoffRate": 2}],
        })
        reported = sfn.Pass(self, "HostChecked", parameters={
            "host.$": "$.report.host",
            "matches.$": "$.report.matches",
            "findings.$": "States.ArrayLength($.report.findings)",
        })
        publish_drift.next(count_findings).next(put_metrics).next(reported)
        nothing_repaired = sfn.Pass(self, "NothingRepaired", result_path="$.outcome",
                                    parameters={"repaired": {}, "notRepaired": {}})
        nothing_repaired.next(publish_drift)
        repairs = repair_states(self, verify=self._repair_functions["VerifyGrpc"],
                                remove_layer4=self._repair_functions["RemoveLayer4"],
                                setup_state_machine=self._setup_state_machine, run_lock_table=self._run_lock,
                                next_state=publish_drift)
        repair = (sfn.Choice(self, "Repair?")
                  .when(sfn.Condition.and_(sfn.Condition.boolean_equals("$.repair", True),
                                           sfn.Condition.is_not_null("$.report.repairs")), repairs)
                  .otherwise(nothing_repaired))
        drifted = (sfn.Choice(self, "Drifted?")
                   .when(sfn.Condition.boolean_equals("$.report.matches", False), repair)
                   .otherwise(reported))
        each_host = sfn.Map(self, "CheckEachHost", items_path="$.recorded.hosts", result_path="$.checked",
                            max_concurrency=MAX_CONCURRENT_CHECKS,
                            item_selector={"host.$": "$$.Map.Item.Value", "repair.$": "$.repair"})
        each_host.item_processor(check_host.next(drifted))
        summary = sfn.Pass(self, "Summary", parameters={"namespace.$": "$.recorded.namespace",
                                                        "hosts.$": "$.checked"})
        # {"repair": true} repairs; any other input (the schedule's {} without driftRepair) only reports.
        no_repair = sfn.Pass(self, "OnlyReport", result_path="$.repair", result=sfn.Result.from_boolean(False))
        no_repair.next(list_hosts)
        asked = (sfn.Choice(self, "RepairAsked?")
                 .when(sfn.Condition.and_(sfn.Condition.is_present("$.repair"),
                                          sfn.Condition.is_boolean("$.repair")), list_hosts)
                 .otherwise(no_repair))
        list_hosts.next(each_host).next(summary)
        return asked
