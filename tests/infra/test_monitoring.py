"""Dashboard, alarms and notifications (stacks/monitoring.py)."""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk.assertions import Match

from stacks import names, steps
from tests.infra.conftest import ALARM_TOPIC_ARN, ROOT

SERVICE_DIMENSION = [{"Name": "service", "Value": "milvus-layer7"}]


def dashboard_body(synth) -> dict:
    """The dashboard JSON with every token replaced by "X"."""
    (dashboard,) = synth.of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    return json.loads("".join(part if isinstance(part, str) else "X" for part in parts))


def widget_metrics(synth) -> list[list]:
    return [metric for widget in dashboard_body(synth)["widgets"]
            for metric in widget["properties"].get("metrics", [])]


def alarms_by_metric(synth) -> dict[str, dict]:
    """Alarms on one metric by its name, the undo's and the one on a metric expression by their own names."""
    def key(alarm: dict) -> str:
        own = alarm["AlarmName"].split("-", 1)[1]
        return own if own.startswith("Undo") or "MetricName" not in alarm else alarm["MetricName"]
    return {key(alarm["Properties"]): alarm["Properties"] for alarm in synth.of_type("AWS::CloudWatch::Alarm").values()}


def test_metric_names_are_the_ones_the_lambdas_emit():
    """Given the handlers' add_metric calls, the dashboard and alarm watch exactly those names."""
    sources = "".join(path.read_text() for path in (ROOT / "lambdas").glob("*/*.py"))
    emitted = set(re.findall(r'add_metric\(name="(\w+)"', sources))
    assert emitted == {names.METRIC_ALB_WAIT, names.METRIC_VERIFICATION_LATENCY, names.METRIC_VERIFICATION_SECONDS,
                       names.METRIC_CERTIFICATE_DAYS, names.METRIC_REPLACED_CERTIFICATE_DAYS}
    observability = (ROOT / "lambdas" / "layer7" / "observability.py").read_text()
    assert 'Metrics(namespace="MilvusLayer7", service="milvus-layer7")' in observability


def test_dashboard_shows_executions_custom_metrics_and_lambda_errors(default_synth):
    metrics = widget_metrics(default_synth)
    states = {metric[1] for metric in metrics if metric[0] == "AWS/States"}
    assert states == {"ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut",
                      "ExecutionsAborted", "ExecutionTime"}
    assert all(metric[2] == "StateMachineArn" for metric in metrics if metric[0] == "AWS/States")
    custom = {metric[1] for metric in metrics if metric[0] == "MilvusLayer7"}
    assert custom == {"AlbWaitSeconds", "VerificationLatencyMs", "VerificationSeconds", "CertificateDaysUntilExpiry",
                      "ReplacedCertificateDaysLeft"}
    assert all(metric[2:4] == ["service", "milvus-layer7"] for metric in metrics if metric[0] == "MilvusLayer7")
    errors = [metric for metric in metrics if metric[:2] == ["AWS/Lambda", "Errors"]]
    assert sorted(metric[-1]["label"] for metric in errors) == sorted(steps.STEP_NAMES)
    alarm_widgets = [w for w in dashboard_body(default_synth)["widgets"] if "alarms" in w["properties"]]
    assert len(alarm_widgets) == 1 and len(alarm_widgets[0]["properties"]["alarms"]) == 13
    # both workflows' executions and run times are drawn
    assert len([metric for metric in metrics if metric[0] == "AWS/States"]) == 2 * 6


def test_alarms_without_actions_by_default(default_synth):
    alarms = alarms_by_metric(default_synth)
    assert set(alarms) == {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted", "CertificateDaysUntilExpiry",
                           "TriggerFailed", "ApproximateNumberOfMessagesVisible", "UndoExecutionsFailed",
                           "UndoExecutionsTimedOut", "UndoExecutionsAborted", "AlbWaitSeconds", "VerificationSeconds",
                           "ExecutionTime", "ReplacedCertificateDaysLeft"}
    for name in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"):
        for workflow, alarm in (("Setup", alarms[name]), ("Undo", alarms[f"Undo{name}"])):
            assert (alarm["MetricName"], alarm["Namespace"], alarm["Statistic"], alarm["Period"]) == (
                name, "AWS/States", "Sum", 300)
            assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
            assert alarm["Dimensions"] == [{"Name": "StateMachineArn",
                                            "Value": {"Ref": default_synth.machine_id(workflow)}}]
    certificate = alarms["CertificateDaysUntilExpiry"]
    assert (certificate["Namespace"], certificate["Statistic"], certificate["Dimensions"]) == (
        "MilvusLayer7", "Minimum", SERVICE_DIMENSION)
    assert (certificate["Threshold"], certificate["ComparisonOperator"]) == (30, "LessThanThreshold")
    assert certificate["TreatMissingData"] == "notBreaching"
    assert all("AlarmActions" not in alarm for alarm in alarms.values())
    assert default_synth.of_type("AWS::SNS::Topic") == {}
    assert not any(rule["Properties"]["EventPattern"].get("source") == ["aws.acm"]
                   for rule in default_synth.of_type("AWS::Events::Rule").values())


@pytest.mark.parametrize(("metric", "statistic", "threshold", "comparison"), [
    ("AlbWaitSeconds", "Maximum", 600, "GreaterThanOrEqualToThreshold"),
    ("VerificationSeconds", "Maximum", 60, "GreaterThanOrEqualToThreshold"),
    ("ReplacedCertificateDaysLeft", "Minimum", 7, "LessThanThreshold"),
])
def test_a_run_that_came_close_to_a_limit_alarms_on_its_own_metric(default_synth, metric, statistic, threshold,
                                                                   comparison):
    """Given the steps' EMF metrics, each has an alarm on exactly the namespace and dimension Powertools writes
    (an alarm on another dimension set would watch a metric nobody writes), quiet between runs."""
    alarm = alarms_by_metric(default_synth)[metric]
    assert (alarm["Namespace"], alarm["Dimensions"], alarm["Statistic"]) == ("MilvusLayer7", SERVICE_DIMENSION,
                                                                            statistic)
    assert (alarm["Threshold"], alarm["ComparisonOperator"], alarm["TreatMissingData"]) == (
        threshold, comparison, "notBreaching")
    assert "Unit" not in alarm


def test_the_alarm_thresholds_sit_inside_the_defaults_they_warn_of():
    from layer7.input_checks import DEFAULT_ALB_TIMEOUT_SECONDS
    from layer7.models import VerifySettings
    from stacks import monitoring

    assert monitoring.ALB_WAIT_ALARM_SECONDS < DEFAULT_ALB_TIMEOUT_SECONDS
    assert monitoring.VERIFICATION_ALARM_SECONDS < VerifySettings().timeout_seconds


def test_a_setup_over_an_hour_end_to_end_alarms_on_step_functions_own_execution_time(default_synth):
    """No Lambda sees a run's end (its last states are EventBridge and DynamoDB tasks): the state machine's
    ExecutionTime (milliseconds) is the end-to-end measure."""
    alarm = alarms_by_metric(default_synth)["ExecutionTime"]
    assert (alarm["Namespace"], alarm["Statistic"], alarm["Threshold"]) == ("AWS/States", "Maximum", 3_600_000)
    assert alarm["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": default_synth.machine_id("Setup")}}]


def test_alarm_email_creates_an_encrypted_topic(full_synth):
    (topic_id, topic), = full_synth.of_type("AWS::SNS::Topic").items()
    (key_id,) = full_synth.of_type("AWS::KMS::Key")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    full_synth.template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    full_synth.template.has_resource_properties("AWS::SNS::Subscription", {
        "Protocol": "email", "Endpoint": "ops@example.com", "TopicArn": {"Ref": topic_id}})
    policy = json.dumps(full_synth.of_type("AWS::SNS::TopicPolicy"))
    assert '"aws:SecureTransport": "false"' in policy and "cloudwatch.amazonaws.com" in policy
    key_policy = json.dumps(full_synth.of_type("AWS::KMS::Key")[key_id]["Properties"]["KeyPolicy"])
    assert "cloudwatch.amazonaws.com" in key_policy and "events.amazonaws.com" in key_policy
    for alarm in alarms_by_metric(full_synth).values():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
    full_synth.template.has_resource_properties("AWS::Events::Rule", {
        "EventPattern": {"source": ["aws.acm"], "detail-type": ["ACM Certificate Approaching Expiration"]},
        "Targets": [Match.object_like({"Arn": {"Ref": topic_id},
                                       "InputTransformer": Match.object_like({"InputPathsMap": Match.object_like(
                                           {"detail-DaysToExpiry": "$.detail.DaysToExpiry"})})})],
    })


def test_alarm_topic_arn_is_used_as_is(topic_synth):
    assert topic_synth.of_type("AWS::SNS::Topic") == {}
    for alarm in alarms_by_metric(topic_synth).values():
        assert alarm["AlarmActions"] == [ALARM_TOPIC_ARN]
    topic_synth.template.has_resource_properties("AWS::Events::Rule", {
        "EventPattern": {"source": ["aws.acm"], "detail-type": ["ACM Certificate Approaching Expiration"]},
        "Targets": [Match.object_like({"Arn": ALARM_TOPIC_ARN})],
    })


@pytest.mark.parametrize("fixture", ["full_synth", "topic_synth"])
def test_the_expiry_warning_has_the_rules_retries_and_dead_letter_queue(fixture, request):
    # A topic that refuses EventBridge (an alarmTopicArn's policy) must not drop ACM's warning unseen
    synth = request.getfixturevalue(fixture)
    [queue_id] = synth.of_type("AWS::SQS::Queue")
    [target] = [rule["Properties"]["Targets"][0] for rule in synth.of_type("AWS::Events::Rule").values()
                if rule["Properties"]["EventPattern"].get("source") == ["aws.acm"]]
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 3600}


@pytest.mark.parametrize("fixture", ["full_synth", "topic_synth"])
def test_cdk_nag_clean_with_notifications(fixture, request):
    assert request.getfixturevalue(fixture).validation_violations() == []


def test_dashboard_name_is_an_output(default_synth):
    (dashboard_id,) = default_synth.of_type("AWS::CloudWatch::Dashboard")
    assert default_synth.raw["Outputs"]["DashboardName"]["Value"] == {"Ref": dashboard_id}


def test_an_event_that_cannot_start_the_workflow_alarms(full_synth):
    alarms = alarms_by_metric(full_synth)
    # every rule's FailedInvocations, summed
    failed = alarms["TriggerFailed"]
    rule_metrics = [m["MetricStat"]["Metric"] for m in failed["Metrics"] if "MetricStat" in m]
    assert {(m["Namespace"], m["MetricName"]) for m in rule_metrics} == {("AWS/Events", "FailedInvocations")}
    rules = {key for key, rule in full_synth.of_type("AWS::Events::Rule").items()
             if rule["Properties"]["EventPattern"].get("source") != ["aws.acm"]}
    assert sorted(m["Dimensions"][0]["Value"]["Ref"] for m in rule_metrics) == sorted(rules)
    assert (failed["Threshold"], failed["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    # and anything waiting in the dead-letter queue
    (queue_id,) = full_synth.of_type("AWS::SQS::Queue")
    dead_letters = alarms["ApproximateNumberOfMessagesVisible"]
    assert dead_letters["Namespace"] == "AWS/SQS"
    assert dead_letters["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]


def test_the_failed_alarm_no_longer_promises_the_layer4_load_balancer(default_synth):
    failed = alarms_by_metric(default_synth)["ExecutionsFailed"]
    assert "still in place" not in failed["AlarmDescription"]
    assert "service.changedByThisRun" in failed["AlarmDescription"]


def test_tracing_is_the_services_own(full_synth):
    """Given every workflow (setup, undo, the drift check and its repair), each state machine traces and each
    function keeps Lambda's active tracing, which Lambda records without an SDK in the function: the service
    map stays, no X-Ray SDK (tests/unit/test_observability.py) and no OpenTelemetry layer or wrapper."""
    machines = full_synth.of_type("AWS::StepFunctions::StateMachine").values()
    assert len(machines) >= 3
    assert all(machine["Properties"]["TracingConfiguration"] == {"Enabled": True} for machine in machines)
    for function in full_synth.of_type("AWS::Lambda::Function").values():
        properties = function["Properties"]
        assert properties["TracingConfig"] == {"Mode": "Active"}
        assert "AWS_LAMBDA_EXEC_WRAPPER" not in properties["Environment"]["Variables"]
        assert "otel" not in json.dumps(properties.get("Layers", [])).lower()
