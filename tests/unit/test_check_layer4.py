"""CheckLayer4: ready once the Service's Layer-4 load balancer accepts a TCP connection; past
layer4TimeoutSeconds, why it did not and the service controller's own words end the run."""

from __future__ import annotations

import socket

import pytest

from check_layer4 import handler
from check_layer4.logic import check_layer4, tcp_probe
from layer7 import kube as k8s
from layer7.errors import LoadBalancerTimeout
from layer7.undo_models import CheckLayer4Event
from tests.unit.kube_fakes import FakeKube, milvus_service
from tests.unit.undo_events import NEW_NLB, restore, undo_request, wire

SERVICE = k8s.service_path("milvus", "milvus-demo")
T0 = 1_800_000_000.0


def event(timeout: int = 900) -> CheckLayer4Event:
    return CheckLayer4Event.model_validate(wire(undo_request(layer4TimeoutSeconds=timeout),
                                                restore=restore(restored_at=T0)))


def service(address: str | None) -> dict:
    restored = milvus_service("LoadBalancer")
    restored["status"] = {"loadBalancer": {"ingress": [{"hostname": address}]} if address else {}}
    return restored


def serves(address: str, port: int) -> str | None:
    return None


def refused(address: str, port: int) -> str | None:
    return f"{address}:{port} refused the connection"


def test_an_address_that_accepts_a_connection_is_ready() -> None:
    kube = FakeKube({SERVICE: service(NEW_NLB)})
    dialled: list[tuple[str, int]] = []

    def probe(address: str, port: int) -> str | None:
        dialled.append((address, port))
        return None

    status = check_layer4(event(), kube, now=lambda: T0 + 12, probe=probe)
    assert status.to_wire() == {"ready": True, "address": NEW_NLB, "port": 19530, "reason": None,
                                "waitSeconds": 0, "elapsedSeconds": 12.0}
    assert dialled == [(NEW_NLB, 19530)]


def test_an_address_that_does_not_serve_yet_is_not_ready_and_says_why():
    # Given the NLB's name in the Service's status while it is still provisioning (connections refused)
    kube = FakeKube({SERVICE: service(NEW_NLB)})
    status = check_layer4(event(), kube, now=lambda: T0 + 40, probe=refused)
    assert (status.ready, status.address, status.reason, status.wait_seconds) == (
        False, NEW_NLB, f"{NEW_NLB}:19530 refused the connection", 10)


def test_no_address_yet_waits_a_quarter_of_the_time_so_far():
    kube = FakeKube({SERVICE: service(None)})
    status = check_layer4(event(), kube, now=lambda: T0 + 40, probe=serves)
    assert (status.ready, status.address, status.wait_seconds) == (False, None, 10)
    assert status.reason == "the Service has no Layer-4 address yet"


def test_past_the_timeout_a_load_balancer_that_never_served_ends_the_run_saying_why():
    kube = FakeKube({SERVICE: service(NEW_NLB)})
    with pytest.raises(LoadBalancerTimeout) as caught:
        check_layer4(event(timeout=60), kube, now=lambda: T0 + 61, probe=refused)
    assert str(caught.value).startswith(
        "Service milvus/milvus-demo's Layer-4 load balancer did not serve within 60 s of the undo restoring it "
        f"(LoadBalancer): {NEW_NLB}:19530 refused the connection; the service controller said nothing")


def test_the_tcp_probe_names_each_way_of_not_serving():
    # a name that does not resolve, a port that refuses, and one that accepts
    assert tcp_probe("nlb.invalid", 19530) == "nlb.invalid does not resolve (Name or service not known)"
    with socket.socket() as closed:  # bound, not listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        assert tcp_probe("127.0.0.1", port) == f"127.0.0.1:{port} refused the connection"
    with socket.create_server(("127.0.0.1", 0)) as listening:
        assert tcp_probe("127.0.0.1", listening.getsockname()[1]) is None


def test_past_the_timeout_the_service_controllers_complaint_ends_the_run():
    # Given no address 60 s after the restore, and the service controller's Warning on the Service
    failed = {"type": "Warning", "reason": "SyncLoadBalancerFailed", "lastTimestamp": "2027-01-15T08:00:00Z",
              "message": "Error syncing load balancer: failed to ensure load balancer: AccessDenied",
              "involvedObject": {"kind": "Service", "name": "milvus-demo"}}
    kube = FakeKube({SERVICE: service(None)}, events=[failed])
    # Then the run ends with LoadBalancerTimeout, quoting it, and saying the ALB still serves
    with pytest.raises(LoadBalancerTimeout) as caught:
        check_layer4(event(timeout=60), kube, now=lambda: T0 + 61)
    assert str(caught.value) == (
        "Service milvus/milvus-demo's Layer-4 load balancer did not serve within 60 s of the undo restoring it "
        "(LoadBalancer): the Service has no Layer-4 address yet; the service controller said SyncLoadBalancerFailed: "
        "Error syncing load balancer: failed "
        "to ensure load balancer: AccessDenied. The ALB still serves Milvus; fix the cause (kubectl -n NS describe "
        "svc NAME) and start the undo again")


def test_the_handler_returns_the_wire_dict(lambda_context, monkeypatch):
    def unknown(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)  # the handler dials for real: a name nobody resolves
    kube = FakeKube({SERVICE: service(NEW_NLB)})
    out = handler.lambda_handler(wire(restore=restore()), lambda_context, connect=lambda name: kube)
    assert (out["ready"], out["address"], out["reason"]) == (
        False, NEW_NLB, f"{NEW_NLB} does not resolve (Name or service not known)") and kube.closed
