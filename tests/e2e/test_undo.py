"""The undo end to end, on the session's sandbox with DNS: set up and undone, then undone again after a failure
half way, with every function killed once after its first write (issue "Faults on purpose").

A background prober (testkit/prober.py) plays a client that reaches Milvus by
name; setup and undo each move DNS and take a balancer away, and neither may
leave a moment in which the balancer the client holds does not answer.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from layer7ctl.executions import ExecutionRecord
from sandbox.cli.demo import DemoOptions, execution_input, run_once, run_scenario, run_undo_once, undo_input
from sandbox.environment import HOST, Sandbox
from sandbox.faults import Faults
from testkit.prober import Prober

pytestmark = pytest.mark.e2e
QUIET = DemoOptions(json=True)
KILLS = Faults.parse("lambda:kill-after-write=1")


def setup_detail(box: Sandbox) -> dict[str, Any]:
    detail = execution_input(QUIET, HOST, box.secret_arn, (box.namespace, box.service_name), box.hosted_zone_id)
    detail["layer4DrainSeconds"] = 0  # the old record's TTL (60 s) is waited out all the same
    return detail


def undo_detail(box: Sandbox) -> dict[str, Any]:
    return {**undo_input(setup_detail(box)), "layer7DrainSeconds": 0}


# --- the scenarios, in the order a person meets them -------------------------------------------------------------


def test_setup_then_undo_keep_milvus_answering_and_leave_the_cluster_as_the_chart_left_it(fresh_sandbox, tmp_path):
    """Journey: a platform engineer sets up the ALB with DNS and then undoes it, while clients call Milvus by name
    (what ``python -m sandbox demo --dns --undo --input FILE`` plays and reports)."""
    sandbox = fresh_sandbox()  # the session's sandbox has the host's zone (tests/e2e/conftest.py)
    # Given the chart's Service with its NLB, and the host a CNAME to it
    chart = sandbox.kube.get("services", sandbox.namespace, sandbox.service_name)
    [original_cname] = sandbox.dns_records() or []
    ca_pem = Path(sandbox.settings_cert_dir(), "chain.pem").read_bytes()
    input_file = tmp_path / "input.json"
    input_file.write_text(json.dumps(setup_detail(sandbox)))
    # When the demo's setup and then its undo run, while a client calls Milvus by name all along
    with Prober(sandbox, ca_pem) as prober:
        report, succeeded = run_scenario(sandbox, DemoOptions(json=True, input_file=input_file, dns=True, undo=True))
        [setup], [undo] = report["runs"], report["undoRuns"]
        assert succeeded, (setup["error"], setup["cause"], undo["error"], undo["cause"])
        time.sleep(2 * prober.interval)
    # Then Milvus answered every call, through the NLB before and after and through the ALB between
    assert prober.failures == []
    assert prober.answered.get("layer4", 0) > 0 and prober.answered.get("alb", 0) > 0
    # and the undo ran in its order
    order = [undo["states"].index(name) for name in ("ValidateUndo", "RestoreLayer4", "CheckLayer4", "VerifyLayer4",
                                                     "RestoreDns", "WaitForDnsDrain", "DeleteIngress",
                                                     "CheckIngressDeleted", "DeleteCertificate",
                                                     "PublishUndoCompleted")]
    assert order == sorted(order)
    # and the Service is the chart's LoadBalancer again, with its source ranges and annotations and a new NLB
    service = sandbox.kube.get("services", sandbox.namespace, sandbox.service_name)
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["spec"]["loadBalancerSourceRanges"] == chart["spec"]["loadBalancerSourceRanges"] == ["0.0.0.0/0"]
    assert service["metadata"]["annotations"] == chart["metadata"]["annotations"]
    assert service["metadata"]["labels"] == chart["metadata"]["labels"]
    assert {k: v for k, v in service["spec"].items() if k != "ports"} == {
        k: v for k, v in chart["spec"].items() if k != "ports"}
    assert [{k: v for k, v in p.items() if k != "nodePort"} for p in service["spec"]["ports"]] == [
        {k: v for k, v in p.items() if k != "nodePort"} for p in chart["spec"]["ports"]]
    new_nlb = service["status"]["loadBalancer"]["ingress"][0]["hostname"]
    old_nlb = chart["status"]["loadBalancer"]["ingress"][0]["hostname"]
    assert new_nlb != old_nlb and undo["output"]["service"] == {
        "name": "milvus-demo", "previousType": "ClusterIP", "type": "LoadBalancer", "restored": True,
        "address": new_nlb}
    # and the host is the CNAME it was, to the new NLB; no Ingress, no ALB, no certificate of ours is left
    assert sandbox.dns_records() == [{**original_cname, "ResourceRecords": [{"Value": new_nlb}]}]
    assert sandbox.kube.list("ingresses", sandbox.namespace) == []
    assert sandbox.load_balancers() == [] and sandbox.certificate_count() == 0
    assert undo["output"]["certificates"] == {"deleted": [setup["output"]["certificateArn"]], "kept": []}
    assert undo["output"]["verification"]["endpoint"] == f"{new_nlb}:19530"
    assert undo["output"]["alreadyUndoneBy"] is None and undo["output"]["warnings"] == []
    # and the demo's report shows the cluster as it left it
    assert report["cluster"]["ingresses"] == [] and report["elbv2"] == {"loadBalancers": []}
    assert report["acm"] == {"certificates": 0} and "PRIVATE KEY" not in json.dumps(report)


def killed_states(record: ExecutionRecord) -> list[str]:
    """The states whose function was killed (``Runtime.ExitError``), in order, from the execution's history."""
    entered, killed = "", []
    for event in record.history:
        if event["type"] == "TaskStateEntered":
            entered = event["stateEnteredEventDetails"]["name"]
        for key in ("taskFailedEventDetails", "lambdaFunctionFailedEventDetails"):
            if event.get(key, {}).get("error") == "Runtime.ExitError":
                killed.append(entered)
    return killed


def step_answer(record: ExecutionRecord, state: str) -> dict[str, Any]:
    """What ``state``'s function answered (its last attempt's result), from the execution's history."""
    entered, answers = "", []
    for event in record.history:
        if event["type"] == "TaskStateEntered":
            entered = event["stateEnteredEventDetails"]["name"]
        for key in ("taskSucceededEventDetails", "lambdaFunctionSucceededEventDetails"):
            if entered == state and key in event:
                answers.append(json.loads(event[key]["output"]))
    return answers[-1]


def lambda_states(record: ExecutionRecord) -> list[str]:
    """The Lambda task states the run went through, once each, in order (not the service integrations)."""
    tasks = [event["stateEnteredEventDetails"]["name"] for event in record.history
             if event["type"] == "TaskStateEntered"]
    return [name for name in dict.fromkeys(tasks)
            if not name.startswith(("Publish", "ReleaseRunLock", "AcquireRunLock"))]


def test_an_undo_rerun_after_a_failure_at_verify_layer4_points_dns_at_the_live_nlb(fresh_sandbox):
    """Journey: an undo fails half way, and the operator runs it again with a corrected input; all along, every
    function dies once after its first write (a Lambda killed at its timeout), and Step Functions runs it again."""
    # Given every function's first invocation dies at its first outbound call after its first write
    # (sandbox/aws/lambda_kills.py): the Ingress, the import, the record or the run lock is there, the answer not
    sandbox = fresh_sandbox(faults=KILLS)
    ca_pem = Path(sandbox.settings_cert_dir(), "chain.pem").read_bytes()
    with Prober(sandbox, ca_pem) as prober:
        setup = run_once(sandbox, QUIET, setup_detail(sandbox), run=2)
        assert setup.status == "SUCCEEDED", (setup.error, setup.cause)
        # Then every Lambda step of the setup was killed once and run again, and the setup left what an
        # undisturbed one leaves: one Ingress naming one certificate, one ALB, the alias to it, a ClusterIP Service
        assert killed_states(setup) == lambda_states(setup)
        [ingress] = sandbox.kube.list("ingresses", sandbox.namespace)
        certificate = ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/certificate-arn"]
        assert certificate == setup.output["certificateArn"] and sandbox.certificate_count() == 1
        [alb] = sandbox.load_balancers()
        [alias] = sandbox.dns_records() or [{}]
        assert alias["AliasTarget"]["DNSName"].removeprefix("dualstack.").rstrip(".") == alb["DNSName"]
        service = sandbox.kube.get("services", sandbox.namespace, sandbox.service_name)
        assert service["spec"]["type"] == "ClusterIP"
        # and its output tells what the run did, as an undisturbed run's does, not what each answering retry
        # found already done: the certificate imported, the Ingress changed, the Service was LoadBalancer
        assert (setup.output["certificateImported"], setup.output["ingress"]["changed"],
                setup.output["service"]["previousType"], setup.output["service"]["before"]["type"]) == (
            True, True, "LoadBalancer", "LoadBalancer")
        # Given an undo that fails at VerifyLayer4 (it asks TLS of the sandbox's plain-gRPC Milvus),
        # after RestoreLayer4 took the Service's record of the old NLB away
        wrong = {**undo_detail(sandbox), "layer4Verify": {"tls": True}}
        failed = run_undo_once(sandbox, QUIET, wrong)
        assert (failed.status, failed.error) == ("FAILED", "VerificationFailed"), failed.cause
        # and whose RestoreLayer4, killed after its patch, answered on its retry as an undisturbed one does
        assert "RestoreLayer4" in killed_states(failed)
        restore = step_answer(failed, "RestoreLayer4")
        assert (restore["restored"], restore["previousType"], restore["type"]) == (True, "ClusterIP", "LoadBalancer")
        # When the undo runs again with a correct input
        undo = run_undo_once(sandbox, QUIET, undo_detail(sandbox))
        assert undo.status == "SUCCEEDED", (undo.error, undo.cause)
        time.sleep(2 * prober.interval)
    # Then each undo step was killed once, in whichever undo run first called its function
    undo_only = set(lambda_states(failed)) | set(lambda_states(undo))
    assert set(killed_states(failed)) | set(killed_states(undo)) == undo_only - set(lambda_states(setup))
    # and Milvus answered every call, and the host names the NLB the Service has now, not the deleted one
    assert prober.failures == []
    service = sandbox.kube.get("services", sandbox.namespace, sandbox.service_name)
    live = service["status"]["loadBalancer"]["ingress"][0]["hostname"]
    [record] = sandbox.dns_records() or [{}]
    assert record["Type"] == "CNAME" and record["ResourceRecords"] == [{"Value": live}]
    assert undo.output["service"]["restored"] is False and undo.output["service"]["address"] == live
    # and the certificate is gone, none kept, and the output names it deleted, as an undisturbed undo's does,
    # though the attempt that answered found it gone (its killed attempt had deleted it)
    assert sandbox.load_balancers() == [] and sandbox.certificate_count() == 0
    assert "DeleteCertificate" in killed_states(undo)
    assert undo.output["certificates"] == {"deleted": [setup.output["certificateArn"]], "kept": []}
