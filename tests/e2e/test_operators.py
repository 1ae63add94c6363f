"""The ways operators start the workflow, each run in the sandbox as a person would.

The console (StartExecution with examples/input.json), an event
(examples/event.json as ``aws events put-events --entries file://...`` sends
it), a parent state machine (examples/parent_pipeline, ``startExecution.sync:2``),
the operator CLI (``python -m layer7ctl``) and, with no person at all, a new
certificate in the secret (the stack's certificateRotation rule on Secrets
Manager's Secret Label Updated event, which starts a renewal of the recorded
setup). One sandbox serves the module: starting
one costs a cdk bootstrap and deploy. The example files' host and secret ARN
are placeholders for a real account; the sandbox's replace them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from layer7ctl.executions import follow
from layer7ctl.remedies import remedy_for
from sandbox.aws.deploy import deploy_stack
from sandbox.cli.demo import SANDBOX_LAYER4_DRAIN_SECONDS
from sandbox.environment import HOST, Sandbox
from testkit.certs import write_cert_dir
from tests.e2e.operator_cli import run_layer7ctl

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
STATES = ["Validate", "ReadSetupRecord", "ImportCertificate", "ApplyIngress", "CheckLoadBalancer", "VerifyGrpc",
          "RemoveLayer4", "BuildOutput", "PublishReady"]


@pytest.fixture(scope="module")
def sandbox(fresh_sandbox):
    return fresh_sandbox(certificate_rotation=True)


def _for_sandbox(data: dict, box: Sandbox) -> dict:
    """An example input with the sandbox's host and certificate secret in place of the placeholders (and the
    sandbox's short drain: nobody else dials its Layer-4 load balancer)."""
    return {"layer4DrainSeconds": SANDBOX_LAYER4_DRAIN_SECONDS, **data, "host": HOST,
            "certificate": {"secretArn": box.secret_arn}}


def _executions(box: Sandbox, state_machine_arn: str | None = None) -> set[str]:
    sfn = box.aws.client("stepfunctions")
    listed = sfn.list_executions(stateMachineArn=state_machine_arn or box.state_machine_arn, maxResults=1000)
    return {e["executionArn"] for e in listed["executions"]}


def _new_execution(box: Sandbox, known: set[str], timeout: float = 30.0) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        new = _executions(box) - known
        if new:
            assert len(new) == 1, new
            return new.pop()
        time.sleep(0.1)
    raise AssertionError("no execution started")


def _follow(box: Sandbox, arn: str):
    sfn = box.aws.client("stepfunctions")
    started = sfn.describe_execution(executionArn=arn)["startDate"].timestamp()
    return follow(sfn, arn, started, timeout_seconds=180)


def _succeeded(record) -> None:
    assert record.status == "SUCCEEDED", (record.error, record.cause, record.states)


def test_console_input_file_succeeds(sandbox):
    """Journey: an operator pastes examples/input.json into the console's "Start execution"."""
    # Given examples/input.json, pasted into the console's "Start execution"
    data = _for_sandbox(json.loads((EXAMPLES / "input.json").read_text()), sandbox)
    sfn = sandbox.aws.client("stepfunctions")
    # When it is started with StartExecution
    arn = sfn.start_execution(stateMachineArn=sandbox.state_machine_arn, input=json.dumps(data))["executionArn"]
    record = _follow(sandbox, arn)
    # Then Milvus is behind the ALB with the file's extra annotation, and the Layer-4 LB is gone
    _succeeded(record)
    assert record.states[0] == "Validate" and record.states[-3:] == ["PublishReady", "ReleaseRunLock", "Succeed"]
    assert record.output["verification"]["serverName"] == HOST
    service = record.output["service"]
    assert (service["name"], service["previousType"], service["type"]) == ("milvus-demo", "LoadBalancer", "ClusterIP")
    assert service["before"]["type"] == "LoadBalancer"  # what the undo puts back
    ingress = sandbox.cluster_view()["ingresses"][0]
    assert ingress["annotations"]["alb.ingress.kubernetes.io/tags"] == "team=data,environment=production"


def test_event_file_starts_an_execution_that_succeeds(sandbox):
    """Journey: an operator sends examples/event.json with `aws events put-events`."""
    # Given examples/event.json's entries as `aws events put-events --entries file://...` sends them
    entries = json.loads((EXAMPLES / "event.json").read_text())
    for entry in entries:
        entry["Detail"] = json.dumps(_for_sandbox(json.loads(entry["Detail"]), sandbox))
    known = _executions(sandbox)
    # When they are put on the default bus
    answer = sandbox.aws.client("events").put_events(Entries=entries)
    assert answer["FailedEntryCount"] == 0
    # Then the stack's rule starts one execution with the detail as input, and it succeeds
    arn = _new_execution(sandbox, known)
    started = sandbox.aws.client("stepfunctions").describe_execution(executionArn=arn)
    assert json.loads(started["input"]) == json.loads(entries[0]["Detail"])
    _succeeded(_follow(sandbox, arn))


def test_parent_pipeline_runs_the_workflow_and_reads_its_output(sandbox):
    """Journey: a team's own pipeline runs the workflow as a child (examples/parent_pipeline)."""
    # Given the example parent state machine, deployed next to the workflow
    outputs = deploy_stack(sandbox.aws, context={"childStateMachineArn": sandbox.state_machine_arn},
                           outdir=sandbox.workdir / "parent-cdk.out", app_dir=EXAMPLES / "parent_pipeline",
                           skip_bootstrap=True)
    parent_arn = outputs["Layer7ParentPipelineExample"]["ParentStateMachineArn"]
    sfn = sandbox.aws.client("stepfunctions")
    # When it runs with a host and a certificate
    arn = sfn.start_execution(stateMachineArn=parent_arn, input=json.dumps(_for_sandbox({}, sandbox)))["executionArn"]
    record = _follow(sandbox, arn)
    # Then it waited for the child (startExecution.sync:2) and passed on the child's output
    _succeeded(record)
    assert record.states == ["SetUpLayer7", "ReadEndpoint"]
    out = record.output
    child = sfn.describe_execution(executionArn=out["childExecutionArn"])
    assert child["stateMachineArn"] == sandbox.state_machine_arn and child["status"] == "SUCCEEDED"
    assert out["layer7"] == json.loads(child["output"])
    assert out["endpoint"] == out["layer7"]["loadBalancer"]["dnsName"]
    assert out["certificateArn"] == out["layer7"]["certificateArn"]
    assert out["serverName"] == HOST


def test_layer7ctl_starts_follows_and_lists(sandbox, tmp_path):
    """Journey: an operator starts a run with `python -m layer7ctl start --follow`, then lists the runs."""
    # Given an input file for the sandbox
    input_file = tmp_path / "input.json"
    input_file.write_text(json.dumps(_for_sandbox(json.loads((EXAMPLES / "input.json").read_text()), sandbox)))
    # When an operator starts it and follows it
    run = run_layer7ctl(sandbox, "start", "--input", str(input_file), "--follow")
    # Then each state is listed with its elapsed seconds, then SUCCEEDED and the output
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    entered = [m.group(2) for m in (re.match(r"^\s*(\d+\.\d) s  (\w+)$", line) for line in lines) if m]
    assert list(dict.fromkeys(s for s in entered if s in STATES)) == STATES, run.stdout
    assert re.search(r"^SUCCEEDED in \d+\.\d s$", run.stdout, re.MULTILINE)
    output = json.loads(run.stdout[run.stdout.index("{"):])
    assert output["verification"]["serverName"] == HOST
    # And `list` shows the executions, newest first, with status and duration
    listed = run_layer7ctl(sandbox, "list")
    assert listed.returncode == 0, listed.stderr
    started = run.stdout.split("started ", 1)[1].split()[0]
    rows = [line for line in listed.stdout.splitlines() if "SUCCEEDED" in line]
    assert rows and started.rsplit(":", 1)[-1] in rows[0]
    assert all(re.search(r"\d+\.\d s", row) for row in rows)
    assert len(rows) >= 3  # the console, event and parent-pipeline runs, and this one
    # And describe and logs, as JSON, show that run: its output, and its functions' lines (and no other run's)
    described = run_layer7ctl(sandbox, "describe", started, "--output", "json")
    assert described.returncode == 0, described.stderr
    assert json.loads(described.stdout)["output"]["verification"]["serverName"] == HOST
    logged = run_layer7ctl(sandbox, "logs", started, "--output", "json")
    assert logged.returncode == 0, logged.stderr
    lines = json.loads(logged.stdout)
    assert {line.get("record", {}).get("correlation_id") for line in lines} == {started}, logged.stdout[:2000]
    assert any("Validate" in line["function"] for line in lines), sorted({line["function"] for line in lines})


def test_layer7ctl_failure_prints_the_error_and_what_to_do(sandbox, tmp_path):
    """Journey: an operator's run fails, and layer7ctl shows the error, its cause and what to do.

    The renewal journeys below start from what this run leaves: without it, the first of them finds the ALB
    rebuilt under it (the controller stand-in rebuilds the ALB on any change of its annotations)."""
    # Given an input naming a Service that does not exist (through the host's Ingress: another would be refused
    # before anything is read, as a second ALB for the host)
    input_file = tmp_path / "input.json"
    input_file.write_text(json.dumps(_for_sandbox({"ingressName": sandbox.service_name}, sandbox)))
    # When it is started and followed
    run = run_layer7ctl(sandbox, "start", "--input", str(input_file), "--service-name", "no-such-milvus", "--follow")
    # Then the operator sees the contract's error, its cause and the README's remedy
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(r"^FAILED in \d+\.\d s: ServiceNotFound$", run.stdout, re.MULTILINE), run.stdout
    assert "cause: " in run.stdout and "no-such-milvus" in run.stdout
    remedy = remedy_for("ServiceNotFound")
    assert remedy and f"what to do: {remedy}" in run.stdout
    assert sandbox.cluster_view()["service"]["spec"]["type"] == "ClusterIP"  # the earlier runs' result stands


def test_new_certificate_in_the_secret_is_rolled_out_without_anyone_starting_it(sandbox, tmp_path):
    """Journey: a platform engineer renews the certificate in the secret and nobody starts anything."""
    # Given a successful run with the stack's defaults
    sfn = sandbox.aws.client("stepfunctions")
    first = _follow(sandbox, sfn.start_execution(stateMachineArn=sandbox.state_machine_arn,
                                                 input=json.dumps(_for_sandbox({}, sandbox)))["executionArn"])
    _succeeded(first)
    acm = sandbox.aws.client("acm")
    replaced_ends = acm.describe_certificate(CertificateArn=first.output["certificateArn"])["Certificate"]["NotAfter"]
    # When the secret gets a new certificate for the same host, valid for longer
    not_after = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=200)
    leaf = write_cert_dir(tmp_path / "rotated", HOST, not_after=not_after)
    known = _executions(sandbox)
    sandbox.put_certificate(tmp_path / "rotated")
    # Then the rotation rule starts a renewal by itself, and it succeeds
    arn = _new_execution(sandbox, known)
    assert json.loads(sfn.describe_execution(executionArn=arn)["input"]) == {"renew": True}
    second = _follow(sandbox, arn)
    _succeeded(second)
    # And the same ACM certificate now holds the new one
    assert second.output["certificateArn"] == first.output["certificateArn"]
    assert second.output["certificateImported"] is True
    described = sandbox.aws.client("acm").describe_certificate(CertificateArn=second.output["certificateArn"])
    assert int(described["Certificate"]["Serial"]) == leaf.certificate.serial_number  # moto: decimal text
    assert described["Certificate"]["NotAfter"].astimezone(dt.UTC) == not_after
    # And the ALB, not rebuilt, serves it (the re-import reached the data plane)
    assert second.output["loadBalancer"]["arn"] == first.output["loadBalancer"]["arn"]
    wanted = hashlib.sha256(leaf.certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
    deadline = time.time() + 10
    while sandbox.nginx.served_certificate_sha256() != wanted and time.time() < deadline:
        time.sleep(0.2)
    assert sandbox.nginx.served_certificate_sha256() == wanted
    assert sandbox.reimports.reloads >= 1  # by the re-import watcher, as the ALB would
    # And the functions' logs hold the runs' metrics in CloudWatch embedded metric format, the renewal's with the
    # days the replaced certificate had left
    emitted = _emf_metrics(sandbox)
    assert {"AlbWaitSeconds", "VerificationSeconds", "VerificationLatencyMs", "CertificateDaysUntilExpiry",
            "ReplacedCertificateDaysLeft"} <= set(emitted), emitted
    days_left = (replaced_ends - dt.datetime.now(dt.UTC)) // dt.timedelta(days=1)
    assert emitted["ReplacedCertificateDaysLeft"][-1] in (days_left, days_left + 1)


def _emf_metrics(box: Sandbox) -> dict[str, list[float]]:
    """Every metric value printed as CloudWatch embedded metric format in the functions' log groups, by name, in
    namespace MilvusLayer7 with the dimension service=milvus-layer7 (what the alarms watch)."""
    logs = box.aws.client("logs")
    found: dict[str, list[float]] = {}
    for group in [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]:
        for event in logs.filter_log_events(logGroupName=group).get("events", []):
            line = event["message"]
            if not (line.startswith("{") and '"_aws"' in line):
                continue
            emf = json.loads(line)
            for directive in emf["_aws"]["CloudWatchMetrics"]:
                assert directive["Namespace"] == "MilvusLayer7" and emf["service"] == "milvus-layer7", emf
                for metric in directive["Metrics"]:
                    value = emf[metric["Name"]]
                    found.setdefault(metric["Name"], []).extend(value if isinstance(value, list) else [value])
    return found


# --- renewals keep the setup's choices (issue 17) -------------------------------------------------------------


def _setup_state(box: Sandbox) -> dict:
    """What a run could change: the Ingress (resourceVersion too), the Service, DNS, ACM, ELBv2."""
    ingress = box.kube.get("ingresses", box.namespace, box.service_name)
    return {"ingress": {"resourceVersion": ingress["metadata"]["resourceVersion"],
                        "annotations": ingress["metadata"]["annotations"]},
            "service": box.kube.get("services", box.namespace, box.service_name)["metadata"]["resourceVersion"],
            "dns": box.dns_records(), "certificates": box.certificate_count(),
            "loadBalancers": [(lb["LoadBalancerArn"], lb["Scheme"]) for lb in box.load_balancers()]}


def test_a_renewal_keeps_an_internal_setup_and_a_rerun_changes_nothing(sandbox, tmp_path):
    """Journey: an internal setup with DNS is renewed by rotation, then its own input comes again."""
    sfn = sandbox.aws.client("stepfunctions")

    def run(data: dict):
        arn = sfn.start_execution(stateMachineArn=sandbox.state_machine_arn, input=json.dumps(data))["executionArn"]
        return _follow(sandbox, arn)

    # Given the host set up internet-facing, with the sandbox's defaults
    _succeeded(run(_for_sandbox({}, sandbox)))
    # When it is set up again internal, with DNS, the Layer-4 load balancer kept and a caller's annotation,
    # Then that is refused until the input says the ALB may be replaced
    internal = _for_sandbox({"scheme": "internal", "dns": {"hostedZoneId": sandbox.hosted_zone_id}, "layer4": "keep",
                             "ingressAnnotations": {"alb.ingress.kubernetes.io/tags": "team=search"}}, sandbox)
    refused = run(internal)
    assert (refused.status, refused.error) == ("FAILED", "InvalidInput"), refused.states
    assert "replaceLoadBalancer: true" in refused.cause and "ImportCertificate" not in refused.states
    setup = run({**internal, "replaceLoadBalancer": True})
    _succeeded(setup)
    [(alb_arn, scheme)] = [(lb["LoadBalancerArn"], lb["Scheme"]) for lb in sandbox.load_balancers()]
    assert scheme == "internal" and setup.output["loadBalancer"]["arn"] == alb_arn
    [alias] = sandbox.dns_records()
    assert alias["AliasTarget"]["DNSName"].rstrip(".") == f"dualstack.{setup.output['loadBalancer']['dnsName']}"
    # When the secret gets a new certificate, and the rotation rule renews by itself
    leaf = write_cert_dir(tmp_path / "renewed", HOST)
    known = _executions(sandbox)
    sandbox.put_certificate(tmp_path / "renewed")
    renewal = _follow(sandbox, _new_execution(sandbox, known))
    _succeeded(renewal)
    # Then the same internal ALB serves the new certificate, with the annotation, the record and DNS kept,
    # and the Layer-4 load balancer kept as the setup chose
    after_renewal = _setup_state(sandbox)
    assert after_renewal["loadBalancers"] == [(alb_arn, "internal")]
    assert after_renewal["ingress"]["annotations"]["alb.ingress.kubernetes.io/tags"] == "team=search"
    recorded = json.loads(after_renewal["ingress"]["annotations"]["milvus-layer7/setup"])["request"]
    assert (recorded["scheme"], recorded["layer4"], recorded["hostedZoneId"]) == ("internal", "keep",
                                                                                   sandbox.hosted_zone_id)
    assert after_renewal["dns"] == [alias]
    assert renewal.output["certificateImported"] is True
    assert renewal.output["certificateArn"] == setup.output["certificateArn"]
    assert renewal.output["service"] == setup.output["service"] and renewal.output["service"]["before"] is None
    wanted = hashlib.sha256(leaf.certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
    assert renewal.output["verification"]["certificateFingerprintSha256"] == wanted
    # When the setup's own input comes again
    again = run(internal)
    _succeeded(again)
    # Then nothing changed: same ALB, same certificate, the Ingress and DNS as they were, one look at the ALB
    assert _setup_state(sandbox) == after_renewal
    assert again.output["certificateImported"] is False, again.output
    assert again.output["ingress"]["changed"] is False, (again.output, _setup_state(sandbox)["ingress"])
    assert again.output["dnsRecord"]["changeId"] == "" and again.states.count("CheckLoadBalancer") == 1
    # When another scheme comes without the explicit word, Then it is refused and nothing changes
    public = run({**internal, "scheme": "internet-facing"})
    assert (public.status, public.error) == ("FAILED", "InvalidInput")
    assert _setup_state(sandbox) == after_renewal
