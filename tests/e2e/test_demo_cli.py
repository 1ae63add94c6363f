"""The sandbox's command line, end to end, as outside scripts use it (--json).

Each test starts its own sandbox through ``python -m sandbox demo``: local AWS
with the stack deployed by the real CDK CLI, the Kubernetes and controller
stand-ins, milvus-lite and nginx. They are the slowest tests in the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUT_KEYS = {"certificateArn", "certificateImported", "loadBalancer", "ingress", "service",
               "verification", "dnsRecord", "warnings"}
GUIDE_ANNOTATIONS = {
    "alb.ingress.kubernetes.io/scheme": "internet-facing",
    "alb.ingress.kubernetes.io/backend-protocol-version": "GRPC",
    "alb.ingress.kubernetes.io/target-type": "ip",
}

pytestmark = pytest.mark.e2e


def run_demo(*args: str, timeout: float = 900) -> tuple[subprocess.CompletedProcess, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "sandbox", "demo", "--json", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
    )
    assert proc.stdout.strip(), f"no JSON on stdout; stderr:\n{proc.stderr[-4000:]}"
    return proc, json.loads(proc.stdout)


def assert_no_key_material(*texts: str) -> None:
    for text in texts:
        assert "PRIVATE KEY" not in text


def test_two_runs_set_up_the_endpoint_and_reuse_the_certificate():
    # When the demo runs twice with the same input
    proc, report = run_demo("--runs", "2")

    # Then both runs succeeded and the process said so
    assert proc.returncode == 0, proc.stderr[-4000:]
    first, second = report["runs"]
    assert [first["status"], second["status"]] == ["SUCCEEDED", "SUCCEEDED"]
    # and the output is the contract's
    output = first["output"]
    assert set(output) == OUTPUT_KEYS
    assert output["certificateImported"] is True
    assert output["service"] == {"name": "milvus-demo", "previousType": "LoadBalancer", "type": "ClusterIP"}
    assert output["ingress"] == {"namespace": "milvus", "name": "milvus-demo"}
    assert output["verification"]["serverVersion"]
    assert output["verification"]["latencyMs"] > 0
    assert output["verification"]["endpoint"] == f"{output['loadBalancer']['dnsName']}:{output['loadBalancer']['listenPort']}"
    assert any("helm" in w.lower() for w in output["warnings"])
    # and the states ran in the contract's order
    states = first["states"]
    assert states[0] == "Validate" and "PublishReady" in states
    order = [states.index(s) for s in ("Validate", "ImportCertificate", "ApplyIngress", "CheckLoadBalancer",
                                        "VerifyGrpc", "RemoveLayer4", "PublishReady")]
    assert order == sorted(order)
    # and the second run reused the certificate: still one certificate and one Ingress
    assert second["output"]["certificateImported"] is False
    assert second["output"]["certificateArn"] == output["certificateArn"]
    assert report["acm"] == {"certificates": 1}
    assert report["cluster"]["service"]["type"] == "ClusterIP"
    [ingress] = report["cluster"]["ingresses"]
    assert ingress["name"] == "milvus-demo"
    for key, value in GUIDE_ANNOTATIONS.items():
        assert ingress["annotations"][key] == value
    assert ingress["annotations"]["alb.ingress.kubernetes.io/certificate-arn"] == output["certificateArn"]
    # and no key material anywhere in what the run printed
    assert_no_key_material(proc.stdout, proc.stderr)


def test_first_run_notices_the_ready_alb_within_its_chosen_wait():
    # When the demo runs once
    proc, report = run_demo()
    assert proc.returncode == 0, proc.stderr[-4000:]
    timings = report["timings"]
    # Then the ALB got an address, then turned ready, then the workflow noticed
    assert 0 < timings["albAddressAt"] <= timings["albReadyAt"] <= timings["detectedAt"]
    # no later than the wait it chose before that check, plus 2 s
    waits = [json.loads(e["stateExitedEventDetails"]["output"])["loadBalancer"]["waitSeconds"]
             for e in report["runs"][0]["historyEvents"]
             if (e.get("stateExitedEventDetails") or {}).get("name") == "CheckLoadBalancer"]
    assert timings["detectedAt"] - timings["albReadyAt"] <= max(waits) + 2


def test_rejected_ingress_fails_fast_and_keeps_layer4():
    proc, report = run_demo("--controller", "reject")
    assert proc.returncode == 1
    [run] = report["runs"]
    assert run["status"] == "FAILED"
    assert run["error"] == "IngressRejected"
    assert "FailedDeployModel" in run["cause"] or "Failed deploy model" in run["cause"]
    assert run["seconds"] < 60  # at once, not after albTimeoutSeconds (120 in the example)
    assert "PublishFailed" in run["states"]
    assert report["cluster"]["service"]["type"] == "LoadBalancer"


def test_controller_that_never_answers_times_out(tmp_path):
    request = tmp_path / "input.json"
    request.write_text(json.dumps({"albTimeoutSeconds": 10}))
    proc, report = run_demo("--controller", "never", "--input", str(request))
    assert proc.returncode == 1
    [run] = report["runs"]
    assert run["error"] == "LoadBalancerTimeout"
    assert report["cluster"]["service"]["type"] == "LoadBalancer"


def test_milvus_down_fails_verification_and_keeps_layer4():
    proc, report = run_demo("--milvus", "down")
    assert proc.returncode == 1
    [run] = report["runs"]
    assert run["error"] == "VerificationFailed"
    assert "RemoveLayer4" not in run["states"]
    assert report["cluster"]["service"]["type"] == "LoadBalancer"
