"""CheckLayer4: ready once the Service has its Layer-4 address; past layer4TimeoutSeconds, the service
controller's own words end the run."""

from __future__ import annotations

import pytest

from check_layer4 import handler
from check_layer4.logic import check_layer4
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


def test_the_address_the_service_controller_wrote_is_ready():
    kube = FakeKube({SERVICE: service(NEW_NLB)})
    status = check_layer4(event(), kube, now=lambda: T0 + 12)
    assert status.to_wire() == {"ready": True, "address": NEW_NLB, "port": 19530, "waitSeconds": 0,
                                "elapsedSeconds": 12.0}


def test_no_address_yet_waits_a_quarter_of_the_time_so_far():
    kube = FakeKube({SERVICE: service(None)})
    status = check_layer4(event(), kube, now=lambda: T0 + 40)
    assert (status.ready, status.address, status.wait_seconds) == (False, None, 10)


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
        "Service milvus/milvus-demo got no Layer-4 load balancer address within 60 s of the undo restoring it "
        "(LoadBalancer); the service controller said SyncLoadBalancerFailed: Error syncing load balancer: failed "
        "to ensure load balancer: AccessDenied. The ALB still serves Milvus; fix the cause (kubectl -n NS describe "
        "svc NAME) and start the undo again")


def test_the_handler_returns_the_wire_dict(lambda_context):
    kube = FakeKube({SERVICE: service(NEW_NLB)})
    out = handler.lambda_handler(wire(restore=restore()), lambda_context, connect=lambda name: kube)
    assert out["ready"] is True and kube.closed
