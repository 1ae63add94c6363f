"""Drift after a setup, found by the drift check (CheckDrift, docs/CONTRACT.md "Drift check") as an operator runs it
and as its schedule runs it.

The sandbox plays the drift (``Sandbox.helm_upgrade``, sandbox/kubernetes/helm.py); ``layer7ctl status`` invokes
the stack's CheckDrift function as it does on AWS; ``Sandbox.run_schedules`` fires the stack's drift schedule
(context driftCheckSchedule) as EventBridge Scheduler would (sandbox/aws/schedules.py).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from layer7ctl.executions import follow
from sandbox.cli.demo import SANDBOX_LAYER4_DRAIN_SECONDS
from sandbox.environment import HOST
from tests.e2e.operator_cli import run_layer7ctl

pytestmark = pytest.mark.e2e
DRIFT_EVENTS_GROUP = "/sandbox/milvus-layer7-drift-events"


def _deliver_drift_events_to_a_log_group(box: Any) -> None:
    """What an operator's rule on "Milvus Layer7 Drift Detected" would receive, kept in a log group to read."""
    logs, events = box.aws.client("logs"), box.aws.client("events")
    if not logs.describe_log_groups(logGroupNamePrefix=DRIFT_EVENTS_GROUP)["logGroups"]:
        logs.create_log_group(logGroupName=DRIFT_EVENTS_GROUP)
    events.put_rule(Name="sandbox-drift-detected", EventPattern=json.dumps(
        {"source": ["milvus.layer7"], "detail-type": ["Milvus Layer7 Drift Detected"]}))
    events.put_targets(Rule="sandbox-drift-detected", Targets=[
        {"Id": "logs", "Arn": f"arn:aws:logs:us-east-1:123456789012:log-group:{DRIFT_EVENTS_GROUP}"}])


def _scheduled_check(box: Any) -> tuple[Any, Any, list[dict[str, Any]], dict[str, float]]:
    """The schedule fired once: its execution and output, the drift events delivered, the DriftFindings sums by
    kind."""
    sfn, started = box.aws.client("stepfunctions"), time.time()
    [arn] = box.run_schedules()
    record = follow(sfn, arn, started, timeout_seconds=120)
    output = sfn.describe_execution(executionArn=arn).get("output")
    logs = box.aws.client("logs")
    delivered = [json.loads(event["message"]) for event in
                 logs.filter_log_events(logGroupName=DRIFT_EVENTS_GROUP).get("events", [])]
    cloudwatch = box.aws.client("cloudwatch")
    sums = {}
    now = datetime.now(timezone.utc)
    for metric in cloudwatch.list_metrics(Namespace="MilvusLayer7", MetricName="DriftFindings")["Metrics"]:
        points = cloudwatch.get_metric_statistics(
            Namespace="MilvusLayer7", MetricName="DriftFindings", Dimensions=metric["Dimensions"],
            StartTime=now - timedelta(hours=1), EndTime=now + timedelta(minutes=1), Period=3600,
            Statistics=["Sum"])["Datapoints"]
        kind = next(d["Value"] for d in metric["Dimensions"] if d["Name"] == "kind")
        sums[kind] = sum(point["Sum"] for point in points)
    return record, json.loads(output) if output else None, delivered, sums


def test_helm_upgrade_after_a_setup_is_reported_by_layer7ctl_status_and_the_scheduled_check(fresh_sandbox):
    """Journey: after a setup, someone runs `helm upgrade` of the Milvus release with its install's values; an
    operator's `layer7ctl status` says the Layer-4 load balancer is back and what to do, and the hourly check
    publishes it, where before the upgrade it published nothing."""
    # Given a successful setup, which turned the chart's Service ClusterIP
    box = fresh_sandbox()
    _deliver_drift_events_to_a_log_group(box)
    sfn = box.aws.client("stepfunctions")
    run = {"host": HOST, "certificate": {"secretArn": box.secret_arn},
           "layer4DrainSeconds": SANDBOX_LAYER4_DRAIN_SECONDS}
    arn = sfn.start_execution(stateMachineArn=box.state_machine_arn, input=json.dumps(run))["executionArn"]
    record = follow(sfn, arn, sfn.describe_execution(executionArn=arn)["startDate"].timestamp(), timeout_seconds=180)
    assert record.status == "SUCCEEDED", (record.error, record.cause, record.states)
    # and the drift check finds the host as recorded
    quiet = run_layer7ctl(box, "status", "--json")
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert json.loads(quiet.stdout) == {"host": HOST, "matches": True, "findings": []}
    # and the scheduled check, fired now, checks the host and publishes nothing: no event, no metric
    record, output, delivered, sums = _scheduled_check(box)
    assert record.status == "SUCCEEDED", (record.error, record.cause, record.states)
    assert output == {"namespace": box.namespace, "hosts": [{"host": HOST, "matches": True, "findings": 0}]}
    assert "PublishDriftDetected" not in record.states
    assert (delivered, sums) == ([], {})
    # When the release is upgraded with its install's values (Helm 3's three-way merge)
    upgraded = box.helm_upgrade()
    assert upgraded["spec"]["type"] == "LoadBalancer"
    # Then the check finds the Layer-4 load balancer back, and only that, with what to do; exit code 1
    found = run_layer7ctl(box, "status", "--json")
    assert found.returncode == 1, found.stdout + found.stderr
    report = json.loads(found.stdout)
    assert (report["host"], report["matches"]) == (HOST, False)
    assert [finding["kind"] for finding in report["findings"]] == ["Layer4Back"]
    finding = report["findings"][0]
    assert "loadBalancerSourceRanges" in finding["what"]
    assert finding["do"]
    # and the operator's plain view names it with what to do
    shown = run_layer7ctl(box, "status")
    assert shown.returncode == 1
    assert "Layer4Back" in shown.stdout and "do: set service.type=ClusterIP" in " ".join(shown.stdout.split())
    # and the scheduled check publishes one Drift Detected event for the host, with the same finding, and the metric
    record, output, delivered, sums = _scheduled_check(box)
    assert record.status == "SUCCEEDED", (record.error, record.cause, record.states)
    assert output == {"namespace": box.namespace, "hosts": [{"host": HOST, "matches": False, "findings": 1}]}
    [event] = delivered
    assert (event["source"], event["detail-type"]) == ("milvus.layer7", "Milvus Layer7 Drift Detected")
    assert event["detail"]["host"] == HOST
    # (the same finding as the operator's; its address may have come since: the cloud gives the NLB one a moment later)
    assert [(f["kind"], f["do"]) for f in event["detail"]["findings"]] == [("Layer4Back", finding["do"])]
    assert sums == {"Layer4Back": 1.0}
