"""The demo's scenarios, as ``python -m sandbox demo --json`` reports them.

Each journey is a flag of the demo (``--milvus``, ``--dns``, ``--service``,
``--input``) played on the session's sandbox, reset to a fresh state with that
flag's setting (tests/e2e/conftest.py), and reported by the demo's own code
(``run_scenario``); ``--undo`` is the undo journey's (tests/e2e/test_undo.py).
One test, ``--runs 2``, goes through the command line itself, with a sandbox
of its own: the path ``make demo`` takes, started with the session beside its
journeys (tests/e2e/conftest.py).
What the controller's ``--controller`` modes make a single step do (a rejected
Ingress, a webhook's denial, no answer until the timeout, a failure it
recovers from) is proven where that step meets the stand-in (tests/sandbox).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sandbox.cli.demo import DemoOptions, run_scenario
from sandbox.environment import load_manifest

OUTPUT_KEYS = {"certificateArn", "certificateImported", "loadBalancer", "ingress", "service",
               "verification", "dnsRecord", "warnings"}
GUIDE_ANNOTATIONS = {
    "alb.ingress.kubernetes.io/scheme": "internet-facing",
    "alb.ingress.kubernetes.io/backend-protocol-version": "GRPC",
    "alb.ingress.kubernetes.io/target-type": "ip",
}

LOAD_BALANCER_ONLY = {"loadBalancerSourceRanges", "loadBalancerClass", "allocateLoadBalancerNodePorts",
                      "healthCheckNodePort", "externalTrafficPolicy"}

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo(fresh_sandbox):
    """``demo(options, **settings)``: the demo's runs on a fresh sandbox with those settings (the demo's flags)."""
    def scenario(options: DemoOptions = DemoOptions(json=True), **settings: Any) -> tuple[bool, dict[str, Any]]:
        report, succeeded = run_scenario(fresh_sandbox(**settings), options)
        return succeeded, report

    return scenario




def assert_no_key_material(*texts: str) -> None:
    for text in texts:
        assert "PRIVATE KEY" not in text


def test_milvus_down_fails_verification_and_keeps_layer4(demo):
    """Journey: Milvus is down when the setup runs; the run fails at VerifyGrpc and clients keep Layer 4."""
    succeeded, report = demo(milvus="down")
    assert not succeeded
    [run] = report["runs"]
    assert run["error"] == "VerificationFailed"
    assert "RemoveLayer4" not in run["states"]
    assert report["cluster"]["service"]["spec"]["type"] == "LoadBalancer"


def test_with_dns_the_record_moves_and_its_ttl_passes_before_layer4_goes(demo, tmp_path):
    """Journey: a platform engineer moves the host's DNS from the Layer-4 load balancer to the ALB."""
    # Given a Service of its own (with LoadBalancer-only fields the chart does not render), and host a CNAME
    # (TTL 60) to its Layer-4 load balancer
    service = tmp_path / "service.json"
    service.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "vectors", "namespace": "milvus", "annotations": {
            "service.beta.kubernetes.io/load-balancer-source-ranges": "10.0.0.0/8"}},
        "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "selector": {"app": "vectors"},
                 "ports": [{"name": "grpc", "port": 19530, "targetPort": 19530}]},
    }))
    request = tmp_path / "input.json"
    request.write_text(json.dumps({"layer4DrainSeconds": 0, "albTimeoutSeconds": 120, "verify": {"roundTrip": True}}))
    # When the demo runs with --dns (the session's sandbox has the zone)
    succeeded, report = demo(DemoOptions(json=True, input_file=request, dns=True),
                             service_manifest=load_manifest(service))
    [run] = report["runs"]
    assert run["status"] == "SUCCEEDED", (run["error"], run["cause"])
    # Then the host's CNAME to the NLB was replaced by an alias to the ALB
    [record] = report["dnsRecords"]
    assert record["Type"] == "A" and record["AliasTarget"]["DNSName"] == \
        f"dualstack.{run['output']['loadBalancer']['dnsName']}"
    [replaced] = run["output"]["dnsRecord"]["replaced"]
    assert replaced["Type"] == "CNAME" and replaced["TTL"] == 60
    # and the Layer-4 load balancer went only after Route 53 was INSYNC and the old TTL had passed
    states = run["states"]
    assert states.index("UpsertDns") < states.index("WaitForDrain") < states.index("RemoveLayer4")
    # (what the workflow asked of its Wait state, from the history: the sandbox plays waits at its clock scale)
    [drain] = [json.loads(event["stateEnteredEventDetails"]["input"]) for event in run["historyEvents"]
               if (event.get("stateEnteredEventDetails") or {}).get("name") == "WaitForDrain"]
    assert drain["dnsRecord"]["waitSeconds"] == 60 + 0  # the CNAME's TTL + layer4DrainSeconds
    # and this Service's own LoadBalancer-only fields were removed and recorded
    spec = report["cluster"]["service"]["spec"]
    assert spec["type"] == "ClusterIP" and not LOAD_BALANCER_ONLY & set(spec) and "healthCheckNodePort" not in spec
    before = run["output"]["service"]["before"]
    health_check_port = before["spec"].pop("healthCheckNodePort")  # allocated by the API server
    assert 30000 <= health_check_port <= 32767
    assert before.pop("address") == replaced["ResourceRecords"][0]["Value"]  # the NLB the CNAME named
    assert before == {
        "type": "LoadBalancer", "spec": {"allocateLoadBalancerNodePorts": True, "externalTrafficPolicy": "Local"},
        "annotations": {"service.beta.kubernetes.io/load-balancer-source-ranges": "10.0.0.0/8"}}


def test_two_runs_set_up_the_endpoint_and_reuse_the_certificate(demo_command):
    """Journey: someone trying the project runs ``python -m sandbox demo`` (what ``make demo`` does) with
    ``--runs 2``: the chart's Milvus goes behind the ALB, then the same input comes again."""
    # When the demo runs twice with the same input, through the command line, in a sandbox of its own (started
    # with the session, beside its journeys: tests/e2e/conftest.py)
    proc = demo_command.result()
    assert proc.stdout.strip(), f"no JSON on stdout; stderr:\n{proc.stderr[-4000:]}"
    report = json.loads(proc.stdout)

    # Then both runs succeeded and the process says so
    assert proc.returncode == 0, proc.stderr[-4000:]
    first, second = report["runs"]
    assert [first["status"], second["status"]] == ["SUCCEEDED", "SUCCEEDED"]
    # and the output is the contract's
    output = first["output"]
    assert set(output) == OUTPUT_KEYS
    assert output["certificateImported"] is True
    # and the chart's Service (source ranges 0.0.0.0/0) became a ClusterIP Service Kubernetes accepts,
    # with no LoadBalancer-only field left and what it had recorded on it and in the output
    before = {"type": "LoadBalancer", "annotations": {},
              "spec": {"loadBalancerSourceRanges": ["0.0.0.0/0"], "allocateLoadBalancerNodePorts": True,
                       "externalTrafficPolicy": "Cluster"}}
    assert output["service"]["before"].pop("address").endswith(".elb.us-east-1.amazonaws.com")
    assert output["service"] == {"name": "milvus-demo", "previousType": "LoadBalancer", "type": "ClusterIP",
                                 "before": before}
    service = report["cluster"]["service"]
    assert service["spec"]["type"] == "ClusterIP"
    assert not LOAD_BALANCER_ONLY & set(service["spec"])
    assert not any("nodePort" in port for port in service["spec"]["ports"])
    assert json.loads(service["metadata"]["annotations"]["milvus-layer7/layer4"]) == {
        **before, "address": second["output"]["service"]["before"]["address"], "recordedBy": first["executionArn"]}
    assert service["metadata"]["labels"]["helm.sh/chart"] == "milvus-5.0.19"
    assert output["ingress"] == {"namespace": "milvus", "name": "milvus-demo", "changed": True}
    assert output["verification"]["serverVersion"]
    assert output["verification"]["latencyMs"] > 0
    load_balancer = output["loadBalancer"]
    assert output["verification"]["endpoint"] == f"{load_balancer['dnsName']}:{load_balancer['listenPort']}"
    assert any("helm" in w.lower() for w in output["warnings"])
    # and the states ran in the contract's order
    states = first["states"]
    assert states[0] == "Validate" and "PublishReady" in states
    order = [states.index(s) for s in ("Validate", "ReadSetupRecord", "ImportCertificate", "ApplyIngress",
                                        "CheckLoadBalancer", "VerifyGrpc", "PublishEndpointAvailable",
                                        "WaitForLayer4Drain", "RemoveLayer4", "PublishReady")]
    assert order == sorted(order)
    # and the second run reused the certificate and left the Ingress as it was: still one certificate and one
    # Ingress, and no drain for a Service already ClusterIP
    assert second["output"]["certificateImported"] is False
    assert second["output"]["ingress"]["changed"] is False and "WaitForLayer4Drain" not in second["states"]
    assert second["output"]["certificateArn"] == output["certificateArn"]
    assert report["acm"] == {"certificates": 1}
    assert report["cluster"]["service"]["spec"]["type"] == "ClusterIP"
    [ingress] = report["cluster"]["ingresses"]
    assert ingress["name"] == "milvus-demo"
    for key, value in GUIDE_ANNOTATIONS.items():
        assert ingress["annotations"][key] == value
    assert ingress["annotations"]["alb.ingress.kubernetes.io/certificate-arn"] == output["certificateArn"]
    # and no key material anywhere in what the demo reports or logs
    assert_no_key_material(proc.stdout, proc.stderr)
