"""The undo end to end, in one sandbox with DNS: set up and undone, then undone again after a failure half way.

A background prober plays a client that reaches Milvus by name, the way the
Milvus guide's users do: it resolves the host in Route 53 (a CNAME to the
Layer-4 load balancer, or the alias to the ALB), keeps the answer for its TTL
as a resolver may, and calls Milvus's GetVersion through that balancer every
half second. Setup and undo each move DNS and take a balancer away; neither
may leave a moment in which the balancer the client holds does not answer.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sandbox.cli.demo import DemoOptions, execution_input, run_once, run_undo_once, undo_input
from sandbox.environment import HOST, Sandbox

pytestmark = pytest.mark.e2e
QUIET = DemoOptions(json=True)
GET_VERSION = "/milvus.proto.milvus.MilvusService/GetVersion"
ALIAS_TTL_SECONDS = 60  # what Route 53 answers an alias to a load balancer with


@pytest.fixture(scope="module")
def sandbox(fresh_sandbox):
    return fresh_sandbox()  # the session's sandbox has the host's zone (tests/e2e/conftest.py)


def setup_detail(box: Sandbox) -> dict[str, Any]:
    detail = execution_input(QUIET, HOST, box.secret_arn, (box.namespace, box.service_name), box.hosted_zone_id)
    detail["layer4DrainSeconds"] = 0  # the old record's TTL (60 s) is waited out all the same
    return detail


def undo_detail(box: Sandbox) -> dict[str, Any]:
    return {**undo_input(setup_detail(box)), "layer7DrainSeconds": 0}


# --- the prober ------------------------------------------------------------------------------------------------


@dataclass
class Prober:
    """Calls Milvus through whatever the host resolves to, holding each answer for its TTL."""

    box: Sandbox
    ca_pem: bytes
    interval: float = 0.5
    failures: list[tuple[float, str, str]] = field(default_factory=list)
    answered: dict[str, int] = field(default_factory=dict)  # balancer kind -> calls Milvus answered
    _cached: tuple[str, str, float] | None = None  # (kind, name, until)
    _stop: threading.Event = field(default_factory=threading.Event)

    def resolve(self) -> tuple[str, str]:
        now = time.monotonic()
        if self._cached and now < self._cached[2]:
            return self._cached[0], self._cached[1]
        [record] = self.box.dns_records() or [{}]
        if record.get("Type") == "CNAME":
            kind, name = "layer4", record["ResourceRecords"][0]["Value"]
            ttl = int(record["TTL"])
        else:
            kind, name = "alb", str(record["AliasTarget"]["DNSName"]).removeprefix("dualstack.")
            ttl = ALIAS_TTL_SECONDS
        # a resolver keeps the answer for its TTL on the sandbox's clock, as the workflow's waits run on it
        self._cached = (kind, name.rstrip("."), now + ttl * self.box.settings.clock_scale)
        return self._cached[0], self._cached[1]

    def call(self, kind: str, name: str) -> None:
        import grpc

        if kind == "layer4":
            port = self.box.layer4.endpoint(name, 19530)
            if port is None:
                raise ConnectionError(f"no load balancer answers for {name}")
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        else:
            nginx = self.box.nginx
            if nginx is None or name not in {lb["DNSName"] for lb in self.box.load_balancers()}:
                raise ConnectionError(f"no ALB answers for {name}")
            channel = grpc.secure_channel(f"127.0.0.1:{nginx.listen_port}",
                                          grpc.ssl_channel_credentials(root_certificates=self.ca_pem),
                                          options=[("grpc.ssl_target_name_override", HOST),
                                                   ("grpc.default_authority", HOST)])
        try:
            channel.unary_unary(GET_VERSION, request_serializer=bytes, response_deserializer=bytes)(b"", timeout=3)
        finally:
            channel.close()

    def run(self) -> None:
        while not self._stop.is_set():
            kind, name = self.resolve()
            try:
                self.call(kind, name)
                self.answered[kind] = self.answered.get(kind, 0) + 1
            except Exception as exc:  # noqa: BLE001 - every failure is what the test counts
                self.failures.append((time.time(), name, repr(exc)[:300]))
            self._stop.wait(self.interval)

    def __enter__(self) -> Prober:
        self._thread = threading.Thread(target=self.run, name="undo-prober", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


# --- the scenarios, in the order a person meets them -------------------------------------------------------------


def test_setup_then_undo_keep_milvus_answering_and_leave_the_cluster_as_the_chart_left_it(sandbox):
    """Journey: a platform engineer sets up the ALB with DNS and then undoes it, while clients call Milvus by name."""
    # Given the chart's Service with its NLB, and the host a CNAME to it
    chart = sandbox.kube.get("services", sandbox.namespace, sandbox.service_name)
    [original_cname] = sandbox.dns_records() or []
    ca_pem = Path(sandbox.settings_cert_dir(), "chain.pem").read_bytes()
    # When setup and then the undo run, while a client calls Milvus by name all along
    with Prober(sandbox, ca_pem) as prober:
        setup = run_once(sandbox, QUIET, setup_detail(sandbox), run=1)
        assert setup.status == "SUCCEEDED", (setup.error, setup.cause)
        undo = run_undo_once(sandbox, QUIET, undo_detail(sandbox))
        assert undo.status == "SUCCEEDED", (undo.error, undo.cause)
        time.sleep(2 * prober.interval)
    # Then Milvus answered every call, through the NLB before and after and through the ALB between
    assert prober.failures == []
    assert prober.answered.get("layer4", 0) > 0 and prober.answered.get("alb", 0) > 0
    # and the undo ran in its order
    order = [undo.states.index(name) for name in ("ValidateUndo", "RestoreLayer4", "CheckLayer4", "VerifyLayer4",
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
    assert new_nlb != old_nlb and undo.output["service"] == {
        "name": "milvus-demo", "previousType": "ClusterIP", "type": "LoadBalancer", "restored": True,
        "address": new_nlb}
    # and the host is the CNAME it was, to the new NLB; no Ingress, no ALB, no certificate of ours is left
    assert sandbox.dns_records() == [{**original_cname, "ResourceRecords": [{"Value": new_nlb}]}]
    assert sandbox.kube.list("ingresses", sandbox.namespace) == []
    assert sandbox.load_balancers() == [] and sandbox.certificate_count() == 0
    assert undo.output["certificates"] == {"deleted": [setup.output["certificateArn"]], "kept": []}
    assert undo.output["verification"]["endpoint"] == f"{new_nlb}:19530"
    # and the Completed event carries the output (the undo's event on the default bus)
    assert undo.output["alreadyUndoneBy"] is None and undo.output["warnings"] == []


def test_an_undo_rerun_after_a_failure_at_verify_layer4_points_dns_at_the_live_nlb(sandbox):
    """Journey: an undo fails half way, and the operator runs it again with a corrected input."""
    # Given a setup, and an undo that fails at VerifyLayer4 (it asks TLS of the sandbox's plain-gRPC Milvus),
    # after RestoreLayer4 took the Service's record of the old NLB away
    ca_pem = Path(sandbox.settings_cert_dir(), "chain.pem").read_bytes()
    with Prober(sandbox, ca_pem) as prober:
        setup = run_once(sandbox, QUIET, setup_detail(sandbox), run=2)
        assert setup.status == "SUCCEEDED", (setup.error, setup.cause)
        wrong = {**undo_detail(sandbox), "layer4Verify": {"tls": True}}
        failed = run_undo_once(sandbox, QUIET, wrong)
        assert (failed.status, failed.error) == ("FAILED", "VerificationFailed"), failed.cause
        # When the undo runs again with a correct input
        undo = run_undo_once(sandbox, QUIET, undo_detail(sandbox))
        assert undo.status == "SUCCEEDED", (undo.error, undo.cause)
        time.sleep(2 * prober.interval)
    # Then Milvus answered every call, and the host names the NLB the Service has now, not the deleted one
    assert prober.failures == []
    service = sandbox.kube.get("services", sandbox.namespace, sandbox.service_name)
    live = service["status"]["loadBalancer"]["ingress"][0]["hostname"]
    [record] = sandbox.dns_records() or [{}]
    assert record["Type"] == "CNAME" and record["ResourceRecords"] == [{"Value": live}]
    assert undo.output["service"]["restored"] is False and undo.output["service"]["address"] == live
    # and the certificate is gone although ACM kept naming the deleted ALB for a while
    assert sandbox.load_balancers() == [] and sandbox.certificate_count() == 0
    assert undo.output["certificates"] == {"deleted": [setup.output["certificateArn"]], "kept": []}
