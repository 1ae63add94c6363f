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


def test_the_schedule_starts_the_drift_state_machine_with_an_empty_input_and_the_rules_retries(full_synth):
    _, schedule = _only(full_synth.of_type("AWS::Scheduler::Schedule"))
    props = schedule["Properties"]
    assert (props["ScheduleExpression"], props["State"]) == ("rate(1 hour)", "ENABLED")
    target = props["Target"]
    assert target["Arn"] == {"Ref": full_synth.machine_id("Drift")}
    assert json.loads(target["Input"]) == {}
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
    assert definition["StartAt"] == "ListHosts"
    assert definition["States"]["ListHosts"]["Parameters"] == {"listHosts": True,
                                                                "correlationId.$": "$$.Execution.Id"}
    each = definition["States"]["CheckEachHost"]
    assert (each["ItemsPath"], each["ItemSelector"]) == ("$.recorded.hosts", {"host.$": "$$.Map.Item.Value"})
    states = each["ItemProcessor"]["States"]
    assert states["CheckHost"]["Parameters"] == {"host.$": "$.host", "correlationId.$": "$$.Execution.Id"}
    # a host that matches goes straight to HostChecked; one that drifted publishes first
    assert states["Drifted?"]["Default"] == "HostChecked"
    assert states["Drifted?"]["Choices"] == [{"Variable": "$.report.matches", "BooleanEquals": False,
                                             "Next": "PublishDriftDetected"}]
    [entry] = states["PublishDriftDetected"]["Parameters"]["Entries"]
    assert (entry["DetailType"], entry["Source"]) == (names.DETAIL_TYPE_DRIFT, names.EVENT_SOURCE)
    assert entry["Detail"] == {"host.$": "$.report.host", "findings.$": "$.report.findings",
                               "executionArn.$": "$$.Execution.Id"}
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
