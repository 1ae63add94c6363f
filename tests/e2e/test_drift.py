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
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from layer7.certificates import fingerprint_sha256
from layer7ctl.executions import follow
from sandbox.cli.demo import SANDBOX_LAYER4_DRAIN_SECONDS, undo_input
from sandbox.environment import HOST
from testkit.prober import Prober  # a client calling Milvus by name (through the ALB here) all along
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


def _scheduled_check(box: Any, repair: bool = False) -> tuple[Any, Any, list[dict[str, Any]], dict[str, float]]:
    """The schedule fired once (or, with ``repair``, the drift state machine started with {"repair": true}, what
    the schedule sends with context driftRepair): its execution and output, every drift event delivered so far,
    the DriftFindings sums by kind (over the last hour)."""
    sfn, started = box.aws.client("stepfunctions"), time.time()
    if repair:
        [machine] = [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]
                     if m["name"].endswith("-Drift")]
        arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"repair": True}))["executionArn"]
    else:
        [arn] = box.run_schedules()
    record = follow(sfn, arn, started, timeout_seconds=120)
    output = sfn.describe_execution(executionArn=arn).get("output")
    return record, json.loads(output) if output else None, _delivered(box), _drift_sums(box)


def _delivered(box: Any) -> list[dict[str, Any]]:
    logs = box.aws.client("logs")
    return [json.loads(event["message"]) for event in
            logs.filter_log_events(logGroupName=DRIFT_EVENTS_GROUP).get("events", [])]


def _drift_sums(box: Any) -> dict[str, float]:
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
    return sums


def _drift_found(box: Any, seen: tuple[int, dict[str, float]]) -> tuple[list[str], dict[str, Any],
                                                                        tuple[int, dict[str, float]]]:
    """The scheduled check fired once after a drift: the kinds of its one new event, the event, and what has been
    seen so far (events delivered, metric sums) for the next drift."""
    record, output, delivered, sums = _scheduled_check(box)
    assert record.status == "SUCCEEDED", (record.error, record.cause, record.states)
    [event] = delivered[seen[0]:]
    kinds = [finding["kind"] for finding in event["detail"]["findings"]]
    assert output["hosts"] == [{"host": HOST, "matches": False, "findings": len(kinds)}]
    added = {kind: total - seen[1].get(kind, 0.0) for kind, total in sums.items() if total != seen[1].get(kind, 0.0)}
    assert added == {kind: float(kinds.count(kind)) for kind in set(kinds)}
    return kinds, event, (len(delivered), sums)


def _matches(box: Any) -> None:
    quiet = run_layer7ctl(box, "status", "--json")
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr


def test_each_drift_after_a_setup_is_found_by_the_scheduled_check_and_the_helm_upgrade_is_repaired_when_asked(
        fresh_sandbox):
    """Journey: after a setup, someone runs `helm upgrade` of the Milvus release with its install's values; an
    operator's `layer7ctl status` says the Layer-4 load balancer is back and what to do, and the hourly check
    publishes it, where before the upgrade it published nothing. The check, asked to repair, removes it again while
    clients keep calling Milvus by name through the ALB. Then someone edits the Ingress, a certificate near its end
    is imported, and the host's record is changed by hand, one at a time: the hourly check finds each with its own
    finding (the operator's `layer7ctl status` the same), and each is put back before the next."""
    # Given a successful setup, which turned the chart's Service ClusterIP
    box = fresh_sandbox()
    _deliver_drift_events_to_a_log_group(box)
    sfn = box.aws.client("stepfunctions")
    run = {"host": HOST, "certificate": {"secretArn": box.secret_arn}, "dns": {"hostedZoneId": box.hosted_zone_id},
           "layer4DrainSeconds": SANDBOX_LAYER4_DRAIN_SECONDS}
    arn = sfn.start_execution(stateMachineArn=box.state_machine_arn, input=json.dumps(run))["executionArn"]
    record = follow(sfn, arn, sfn.describe_execution(executionArn=arn)["startDate"].timestamp(), timeout_seconds=180)
    assert record.status == "SUCCEEDED", (record.error, record.cause, record.states)
    # and the drift check finds the host as recorded
    quiet = run_layer7ctl(box, "status", "--json")
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    assert json.loads(quiet.stdout) == {"host": HOST, "matches": True, "findings": [], "repairs": None}
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
    seen = (len(delivered), sums)
    setup = json.loads(sfn.describe_execution(executionArn=arn)["output"])
    ingress_name, certificate_arn = setup["ingress"]["name"], setup["certificateArn"]

    # --- the helm upgrade's drift, repaired when asked, while a client calls Milvus by name (the ALB's alias) ---
    ca_pem = Path(box.settings_cert_dir(), "chain.pem").read_bytes()
    with Prober(box, ca_pem) as prober:
        record, output, delivered, sums = _scheduled_check(box, repair=True)
        time.sleep(2 * prober.interval)
    assert record.status == "SUCCEEDED", (record.error, record.cause, record.states)
    # Then the Service is ClusterIP again, through the setup's own VerifyGrpc and RemoveLayer4, under the host's lock
    service = box.kube.get("services", box.namespace, box.service_name)
    assert service["spec"]["type"] == "ClusterIP"
    order = [record.states.index(name) for name in ("TakeRunLock", "VerifyGrpc", "RemoveLayer4",
                                                    "ReleaseRepairRunLock", "PublishDriftDetected")]
    assert order == sorted(order)
    # and the event says what it found and what it repaired
    [event] = delivered[seen[0]:]
    assert [f["kind"] for f in event["detail"]["findings"]] == ["Layer4Back"]
    repaired = event["detail"]["repaired"]["Layer4Back"]
    assert (repaired["previousType"], repaired["type"]) == ("LoadBalancer", "ClusterIP")
    assert event["detail"]["notRepaired"] == {}
    seen = (len(delivered), sums)
    # and the client never failed, and went through the ALB
    assert prober.failures == []
    assert prober.answered.get("alb", 0) > 0 and "layer4" not in prober.answered
    _matches(box)

    # --- an Ingress annotation changed with kubectl (another field manager) ---
    interval = "alb.ingress.kubernetes.io/healthcheck-interval-seconds"
    recorded = box.kube.get("ingresses", box.namespace, ingress_name)["metadata"]["annotations"][interval]
    box.kubectl_annotate("ingresses", ingress_name, {interval: "30"})
    # the operator's status now, then the scheduled check on the same cluster: the same kinds
    found = run_layer7ctl(box, "status", "--json")
    assert found.returncode == 1, found.stdout + found.stderr
    kinds, event, seen = _drift_found(box, seen)
    assert kinds == ["IngressChanged"] == [f["kind"] for f in json.loads(found.stdout)["findings"]]
    assert interval in event["detail"]["findings"][0]["what"]
    assert event["detail"]["repaired"] == {}  # only reported
    box.kubectl_annotate("ingresses", ingress_name, {interval: recorded})
    _matches(box)

    # --- a certificate near its end re-imported into the ARN the ALB serves: not the one the setup imported ---
    before = box.reimport_expiring_certificate(certificate_arn, days_left=10)
    kinds, event, seen = _drift_found(box, seen)
    assert kinds == ["CertificateExpiring", "CertificateReplaced"]
    assert "(in 10 days; the threshold is 30)" in event["detail"]["findings"][0]["what"]
    assert event["detail"]["repaired"] == {}
    box.reimport_certificate(certificate_arn, before)
    _matches(box)

    # --- the host's A record changed by hand ---
    [alias] = [r for r in box.dns_records() or [] if r["Type"] == "A"]
    box.upsert_host_record({"Name": HOST, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.10"}]})
    kinds, event, seen = _drift_found(box, seen)
    assert kinds == ["DnsChanged"]
    box.upsert_host_record(alias)
    _matches(box)


def _run(box: Any, machine_arn: str, detail: dict[str, Any]) -> dict[str, Any]:
    """One execution of ``machine_arn`` with ``detail``, followed to its end: its output."""
    sfn = box.aws.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine_arn, input=json.dumps(detail))["executionArn"]
    record = follow(sfn, arn, sfn.describe_execution(executionArn=arn)["startDate"].timestamp(), timeout_seconds=180)
    assert record.status == "SUCCEEDED", (record.error, record.cause, record.states)
    return dict(record.output)


def test_a_setup_run_again_after_hand_changes_ends_as_the_first_did_and_the_undo_restores_what_it_replaced(
        fresh_sandbox):
    """Journey: after a setup with DNS, people change things by hand: another certificate re-imported into the ARN
    the ALB serves (ACM keeps the workflow's tags on it), the host's record pointed elsewhere, an Ingress annotation
    edited, the Service made NodePort. The operator runs the same setup again, as the guide says a rerun is safe:
    it ends where the first setup ended. Then the undo puts back what the first setup replaced."""
    # Given a setup with DNS over the chart's Service and the host's CNAME to its NLB
    box = fresh_sandbox()
    [original_cname] = box.dns_records() or []
    old_nlb = original_cname["ResourceRecords"][0]["Value"]
    run = {"host": HOST, "certificate": {"secretArn": box.secret_arn}, "dns": {"hostedZoneId": box.hosted_zone_id},
           "layer4DrainSeconds": SANDBOX_LAYER4_DRAIN_SECONDS}
    first = _run(box, box.state_machine_arn, run)
    certificate_arn, ingress_name = first["certificateArn"], first["ingress"]["name"]
    annotations = box.kube.get("ingresses", box.namespace, ingress_name)["metadata"]["annotations"]
    alias = box.dns_records()
    acm = box.aws.client("acm")

    def held() -> str:
        pem = acm.get_certificate(CertificateArn=certificate_arn)["Certificate"]
        return fingerprint_sha256(x509.load_pem_x509_certificate(pem.encode()))
    secrets = held()
    # and, by hand since: a certificate near its end re-imported into that ARN, the host's record UPSERTed, an
    # Ingress annotation overwritten with kubectl, and the Service made NodePort
    box.reimport_expiring_certificate(certificate_arn, days_left=10)
    box.upsert_host_record({"Name": HOST, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.10"}]})
    interval = "alb.ingress.kubernetes.io/healthcheck-interval-seconds"
    box.kubectl_annotate("ingresses", ingress_name, {interval: "30"})
    box.kube.patch("services", box.namespace, box.service_name, {"spec": {"type": "NodePort"}},
                   content_type="application/strategic-merge-patch+json", manager="kubectl-patch")
    assert held() != secrets
    # When the same setup runs again
    again = _run(box, box.state_machine_arn, run)
    # Then it ends where the first setup ended: the secret's certificate back in the same ARN (this run imported it,
    # and says what it found there), the Ingress's annotations as applied, the host an alias to the ALB again,
    assert (again["certificateArn"], again["certificateImported"]) == (certificate_arn, True) and held() == secrets
    assert any(certificate_arn in warning for warning in again["warnings"])
    assert box.kube.get("ingresses", box.namespace, ingress_name)["metadata"]["annotations"] == annotations
    assert box.dns_records() == alias
    # the Service ClusterIP, still recording the LoadBalancer the first setup removed,
    service = box.kube.get("services", box.namespace, box.service_name)
    recorded = json.loads(service["metadata"]["annotations"]["milvus-layer7/layer4"])
    assert (service["spec"]["type"], again["service"]["previousType"], recorded["type"], recorded["address"]) == (
        "ClusterIP", "NodePort", "LoadBalancer", old_nlb)
    # and the drift check finds the host as recorded
    _matches(box)
    # When the undo runs
    undo = _run(box, box.undo_state_machine_arn, {**undo_input(run), "layer7DrainSeconds": 0})
    # Then it puts back what the first setup replaced: the Service LoadBalancer, the host a CNAME to its new NLB
    service = box.kube.get("services", box.namespace, box.service_name)
    new_nlb = service["status"]["loadBalancer"]["ingress"][0]["hostname"]
    assert service["spec"]["type"] == "LoadBalancer" and undo["service"]["restored"] is True
    assert box.dns_records() == [{**original_cname, "ResourceRecords": [{"Value": new_nlb}]}]
    assert box.load_balancers() == [] and box.certificate_count() == 0
