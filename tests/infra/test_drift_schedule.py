"""The scheduled drift check (context driftCheckSchedule, stacks/drift_schedule.py): opt-in, least privilege, and
the state machine that publishes only for a host that drifted."""

from __future__ import annotations

import json
from typing import Any

from stacks import names


def _only(resources: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (item,) = resources.items()
    return item


def _statements(synth, role_id: str) -> list[dict[str, Any]]:
    return [statement for policy in synth.of_type("AWS::IAM::Policy").values()
            if {"Ref": role_id} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]]


def test_without_the_context_key_there_is_no_schedule_and_no_drift_state_machine(default_synth):
    assert not default_synth.of_type("AWS::Scheduler::Schedule")
    assert [m["Properties"]["StateMachineName"] for m in default_synth.of_type(
        "AWS::StepFunctions::StateMachine").values()] == ["MilvusLayer7-Setup", "MilvusLayer7-Undo"]


def test_the_schedule_starts_the_drift_state_machine_asking_for_repairs_with_the_rules_retries(full_synth):
    _, schedule = _only(full_synth.of_type("AWS::Scheduler::Schedule"))
    props = schedule["Properties"]
    assert (props["ScheduleExpression"], props["State"]) == ("rate(1 hour)", "ENABLED")
    target = props["Target"]
    assert target["Arn"] == {"Ref": full_synth.machine_id("Drift")}
    assert json.loads(target["Input"]) == {"repair": True}  # driftRepair; without it, {}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 8}
    assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0].startswith("RuleTargetsDeadLetterQueue")


def test_the_schedules_role_may_only_start_the_drift_state_machine(full_synth):
    _, schedule = _only(full_synth.of_type("AWS::Scheduler::Schedule"))
    role_id = schedule["Properties"]["Target"]["RoleArn"]["Fn::GetAtt"][0]
    trust = full_synth.resources[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [(s["Principal"], sorted(s["Condition"]["StringEquals"])) for s in trust] == [
        ({"Service": "scheduler.amazonaws.com"}, ["aws:SourceAccount", "aws:SourceArn"])]
    statements = _statements(full_synth, role_id)
    assert [(s["Action"], s["Resource"]) for s in statements if s["Action"] != "sqs:SendMessage"] == [
        ("states:StartExecution", {"Ref": full_synth.machine_id("Drift")})]
    [dead_letters] = [s for s in statements if s["Action"] == "sqs:SendMessage"]
    assert dead_letters["Resource"]["Fn::GetAtt"][0].startswith("RuleTargetsDeadLetterQueue")


def test_the_check_stays_read_only_and_the_state_machine_publishes_only_into_the_products_namespace(full_synth):
    # Given the drift state machine's role and CheckDrift's
    machine_role = full_synth.resources[full_synth.machine_id("Drift")]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    [check_role] = [key for key in full_synth.of_type("AWS::IAM::Role") if key.startswith("StepsCheckDriftRole")]
    # Then only the state machine's may put events and metrics, the metrics only in MilvusLayer7
    actions = [action for s in _statements(full_synth, check_role)
               for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert not [action for action in actions if action.startswith(("events:", "cloudwatch:"))]
    [metrics] = [s for s in _statements(full_synth, machine_role) if s["Action"] == "cloudwatch:PutMetricData"]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": names.METRICS_NAMESPACE}}


def test_each_recorded_host_is_checked_and_only_a_drifted_one_publishes_an_event_and_its_metrics(full_synth):
    definition = full_synth.definition("Drift")
    # an input without a boolean repair only reports
    assert definition["StartAt"] == "RepairAsked?"
    assert definition["States"]["RepairAsked?"]["Default"] == "OnlyReport"
    assert (definition["States"]["OnlyReport"]["Result"], definition["States"]["OnlyReport"]["Next"]) == (
        False, "ListHosts")
    assert definition["States"]["ListHosts"]["Parameters"] == {"listHosts": True,
                                                                "correlationId.$": "$$.Execution.Id"}
    each = definition["States"]["CheckEachHost"]
    assert (each["ItemsPath"], each["ItemSelector"]) == ("$.recorded.hosts", {"host.$": "$$.Map.Item.Value",
                                                                              "repair.$": "$.repair"})
    states = each["ItemProcessor"]["States"]
    assert states["CheckHost"]["Parameters"] == {"host.$": "$.host", "correlationId.$": "$$.Execution.Id"}
    # a host that matches goes straight to HostChecked; one that drifted publishes first
    assert states["Drifted?"]["Default"] == "HostChecked"
    assert states["Drifted?"]["Choices"] == [{"Variable": "$.report.matches", "BooleanEquals": False,
                                             "Next": "Repair?"}]
    # (repairs only when asked and the report has some; else nothing repaired)
    assert states["Repair?"]["Default"] == "NothingRepaired"
    assert states["NothingRepaired"]["Next"] == "PublishDriftDetected"
    [entry] = states["PublishDriftDetected"]["Parameters"]["Entries"]
    assert (entry["DetailType"], entry["Source"]) == (names.DETAIL_TYPE_DRIFT, names.EVENT_SOURCE)
    assert entry["Detail"] == {"host.$": "$.report.host", "findings.$": "$.report.findings",
                               "repaired.$": "$.outcome.repaired", "notRepaired.$": "$.outcome.notRepaired",
                               "executionArn.$": "$$.Execution.Id", "stack": "MilvusLayer7"}
    assert states["PublishDriftDetected"]["Next"] == "CountFindings"
    assert states["CountFindings"]["ItemSelector"]["Dimensions"] == [
        {"Name": "service", "Value": "milvus-layer7"}, {"Name": "kind", "Value.$": "$$.Map.Item.Value.kind"}]
    put = states["PutDriftMetrics"]
    assert put["Resource"].endswith(":states:::aws-sdk:cloudwatch:putMetricData")
    assert put["Parameters"] == {"Namespace": "MilvusLayer7", "MetricData.$": "$.metricData"}
    # its answer goes beside the report, which HostChecked then reads (a Task's result replaces its input otherwise)
    assert (put["ResultPath"], put["Next"]) == ("$.metricsPut", "HostChecked")


def test_the_drift_alarms_add_up_every_kind_and_watch_failed_checks(full_synth):
    alarms = {props["Properties"]["AlarmName"]: props["Properties"]
              for props in full_synth.of_type("AWS::CloudWatch::Alarm").values()}
    [query] = alarms["MilvusLayer7-DriftDetected"]["Metrics"]
    assert query["Expression"] == 'SELECT SUM(DriftFindings) FROM SCHEMA("MilvusLayer7", kind, service)'
    assert alarms["MilvusLayer7-DriftDetected"]["AlarmActions"]
    failed = alarms["MilvusLayer7-DriftCheckFailed"]
    assert {m["MetricStat"]["Metric"]["MetricName"] for m in failed["Metrics"] if "MetricStat" in m} == {
        "ExecutionsFailed", "ExecutionsTimedOut"}


def test_a_repair_verifies_through_the_alb_then_runs_remove_layer4_under_the_hosts_run_lock(full_synth):
    states = full_synth.definition("Drift")["States"]["CheckEachHost"]["ItemProcessor"]["States"]
    # Given a drifted host whose report holds repairs, and the input asking for them
    assert states["Repair?"]["Choices"] == [{"And": [{"Variable": "$.repair", "BooleanEquals": True},
                                                     {"Variable": "$.report.repairs", "IsNull": False}],
                                             "Next": "StartRepairs"}]
    assert states["Layer4Back?"]["Choices"] == [{"Variable": "$.report.repairs.layer4", "IsNull": False,
                                                 "Next": "TakeRunLock"}]
    # Then the lock is taken only when free, Milvus verified through the ALB, and only then the Service changed
    lock = states["TakeRunLock"]
    assert lock["Parameters"]["ConditionExpression"] == "attribute_not_exists(#host)"
    assert lock["Next"] == "VerifyGrpc"
    assert [c["Next"] for c in lock["Catch"]] == ["Layer4BackNotRepairedHostBusy"]
    verify = states["VerifyGrpc"]
    assert verify["Parameters"] == {
        "request.$": "$.report.repairs.layer4.request", "certificate.$": "$.report.repairs.layer4.certificate",
        "loadBalancer.$": "$.report.repairs.layer4.loadBalancer", "correlationId.$": "$$.Execution.Id"}
    assert verify["Next"] == "RemoveLayer4"
    assert [c["Next"] for c in verify["Catch"]] == ["Layer4BackNotRepairedUnverified"]
    remove = states["RemoveLayer4"]
    assert remove["Parameters"] == {"request.$": "$.report.repairs.layer4.request",
                                               "correlationId.$": "$$.Execution.Id"}
    assert (remove["ResultPath"], remove["Next"]) == ("$.outcome.repaired.Layer4Back", "ReleaseRepairRunLock")
    # and the lock goes back on every path, then the renewal's turn
    for name in ("Layer4BackNotRepairedUnverified", "Layer4BackNotRepaired"):
        assert states[name]["Next"] == "ReleaseRepairRunLock"
    assert states["ReleaseRepairRunLock"]["Next"] == "Renew?"
    # and a renewal is the rotation rule's input for the host, started on the setup state machine
    start = states["StartRenewal"]
    assert start["Resource"].endswith(":states:::states:startExecution")
    assert start["Parameters"]["Input"] == {"renew": True, "host.$": "$.host"}
    assert start["Next"] == "PublishDriftDetected"


def test_the_drift_state_machine_may_invoke_only_its_three_steps_start_only_the_setup_and_write_only_the_lock(
        full_synth):
    machine_role = full_synth.resources[full_synth.machine_id("Drift")]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    statements = _statements(full_synth, machine_role)
    # one (action, resource) pair each, however the CDK merged statements (@aws-cdk/aws-iam:minimizePolicies)
    granted = [(action, resource) for s in statements
               for action in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
               for resource in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])]
    invoked = {resource["Fn::GetAtt"][0].removeprefix("Steps")[:-8] for action, resource in granted
               if action == "lambda:InvokeFunction" and isinstance(resource, dict) and "Fn::GetAtt" in resource}
    assert invoked == {"CheckDrift", "VerifyGrpc", "RemoveLayer4"}
    assert [r for a, r in granted if a == "states:StartExecution"] == [{"Ref": full_synth.machine_id("Setup")}]
    [table] = full_synth.of_type("AWS::DynamoDB::Table")
    dynamodb = [(action, resource["Fn::Join"][1][-1]["Ref"]) for action, resource in granted
                if action.startswith("dynamodb:")]
    assert sorted(dynamodb) == [("dynamodb:DeleteItem", table), ("dynamodb:PutItem", table)]
