"""RestoreLayer4: the recorded Layer-4 fields come back in one patch, and nothing is guessed or changed
when there is no record to go by."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from layer7 import kube as k8s
from layer7.errors import InvalidInput
from layer7.undo_models import RestoreLayer4Event
from remove_layer4.logic import LAYER4_RECORD_ANNOTATION
from restore_layer4 import handler
from restore_layer4.logic import restore_layer4
from tests.unit.kube_fakes import FakeKube, milvus_service
from tests.unit.undo_events import OLD_NLB, wire

SERVICE = k8s.service_path("milvus", "milvus-demo")
INGRESS = k8s.ingress_path("milvus", "milvus-demo")
RECORD = {"type": "LoadBalancer", "annotations": {"service.beta.kubernetes.io/load-balancer-source-ranges":
                                                  "10.0.0.0/8"},
          "spec": {"loadBalancerSourceRanges": ["0.0.0.0/0"], "allocateLoadBalancerNodePorts": True,
                   "externalTrafficPolicy": "Local", "healthCheckNodePort": 31234}, "address": OLD_NLB}
OURS = {"metadata": {"name": "milvus-demo", "namespace": "milvus",
                     "labels": {"app.kubernetes.io/managed-by": "milvus-layer7"}}}


def after_setup() -> dict:
    service = milvus_service("ClusterIP")
    service["metadata"]["annotations"] = {LAYER4_RECORD_ANNOTATION: json.dumps(RECORD)}
    return service


def event(**parts) -> RestoreLayer4Event:
    return RestoreLayer4Event.model_validate(wire(**parts))


def test_the_recorded_load_balancer_comes_back_in_one_patch_that_removes_the_record():
    # Given the Service as setup left it: ClusterIP, with the record of what it had
    kube = FakeKube({SERVICE: after_setup(), INGRESS: OURS})
    # When RestoreLayer4 runs
    result = restore_layer4(event(), kube, now=lambda: 1000.0)
    # Then one strategic merge patch sets the type, the fields and annotations back and deletes the record,
    # leaving healthCheckNodePort for the API server to allocate again
    [patch] = kube.patches()
    assert patch["contentType"] == "application/strategic-merge-patch+json"
    assert patch["body"] == {
        "metadata": {"annotations": {"service.beta.kubernetes.io/load-balancer-source-ranges": "10.0.0.0/8",
                                     LAYER4_RECORD_ANNOTATION: None}},
        "spec": {"type": "LoadBalancer", "loadBalancerSourceRanges": ["0.0.0.0/0"],
                 "allocateLoadBalancerNodePorts": True, "externalTrafficPolicy": "Local"},
    }
    # and the result says so, with the old address for RestoreDns
    assert result.to_wire() == {"name": "milvus-demo", "previousType": "ClusterIP", "type": "LoadBalancer",
                                "restored": True, "previousAddress": OLD_NLB, "restoredAt": 1000.0,
                                "alreadyUndoneBy": None, "warnings": []}


def test_a_retry_after_the_first_attempt_was_killed_past_its_patch_says_this_execution_restored_it():
    # Given an undo that started at T, and a Service setup patched (as milvus-layer7) an hour before
    started = dt.datetime(2026, 12, 4, 17, 0, 0, 250_000, tzinfo=dt.UTC)
    service = after_setup()
    service["metadata"]["managedFields"] = [{"manager": "milvus-layer7", "operation": "Update",
                                             "time": "2026-12-04T16:00:00Z"}]
    kube = FakeKube({SERVICE: service, INGRESS: OURS})
    undisturbed = restore_layer4(event(executionStartTime=started.isoformat()),
                                 FakeKube({SERVICE: copy.deepcopy(service), INGRESS: OURS}), now=lambda: 1000.0)
    # and a first attempt that restored it (in the start's second, the API server's whole-second time) and died
    kube.clock = lambda: started.replace(microsecond=0)
    restore_layer4(event(executionStartTime=started.isoformat()), kube, now=lambda: 1000.0)
    # When Step Functions runs the step again in the same execution
    retried = restore_layer4(event(executionStartTime=started.isoformat()), kube, now=lambda: 1000.0)
    # Then nothing more is written, and it answers as the attempt that restored, but for the address, which
    # RestoreDns reads from the Ingress on any rerun
    assert len(kube.patches()) == 1
    assert retried.to_wire() == {**undisturbed.to_wire(), "previousAddress": None}
    assert (retried.restored, retried.previous_type) == (True, "ClusterIP")
    # while a later execution (started after the restore) restored nothing
    later = restore_layer4(event(executionStartTime=(started + dt.timedelta(minutes=5)).isoformat()), kube,
                           now=lambda: 1000.0)
    assert (later.restored, later.previous_type) == (False, "LoadBalancer")


def test_a_service_that_is_load_balancer_already_is_left_as_it_is():
    # Given a Service setup kept (layer4 keep), with our Ingress
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer"), INGRESS: OURS})
    result = restore_layer4(event(), kube, now=lambda: 1.0)
    assert kube.writes() == []
    assert (result.restored, result.type, result.already_undone_by) == (False, "LoadBalancer", None)


def test_a_record_left_on_a_load_balancer_service_is_removed_and_said():
    service = milvus_service("LoadBalancer")
    service["metadata"]["annotations"] = {LAYER4_RECORD_ANNOTATION: json.dumps(RECORD)}
    kube = FakeKube({SERVICE: service, INGRESS: OURS})
    result = restore_layer4(event(), kube)
    [patch] = kube.patches()
    assert patch["body"] == {"metadata": {"annotations": {LAYER4_RECORD_ANNOTATION: None}}}
    assert result.restored is False and "was LoadBalancer again already" in result.warnings[0]


def test_a_cluster_ip_service_without_a_record_is_refused_and_nothing_changes():
    kube = FakeKube({SERVICE: milvus_service("ClusterIP"), INGRESS: OURS})
    with pytest.raises(InvalidInput, match="is ClusterIP and carries no record .* the undo never guesses"):
        restore_layer4(event(), kube)
    assert kube.writes() == []


def test_a_service_that_was_node_port_is_refused():
    service = milvus_service("ClusterIP")
    service["metadata"]["annotations"] = {LAYER4_RECORD_ANNOTATION: json.dumps({**RECORD, "type": "NodePort"})}
    kube = FakeKube({SERVICE: service, INGRESS: OURS})
    with pytest.raises(InvalidInput, match="was NodePort before setup; its node ports were not recorded"):
        restore_layer4(event(), kube)
    assert kube.writes() == []


def test_an_ingress_someone_else_made_is_refused_before_any_change():
    foreign = {"metadata": {"name": "milvus-demo", "namespace": "milvus", "labels": {}}}
    kube = FakeKube({SERVICE: after_setup(), INGRESS: foreign})
    with pytest.raises(InvalidInput, match="was not created by this workflow"):
        restore_layer4(event(), kube)
    assert kube.writes() == []


def test_nothing_left_of_a_setup_and_no_earlier_undo_is_invalid_input():
    # Given the Service as the chart left it, no Ingress, no certificate, and no earlier undo
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer")})
    # Then there is nothing to undo: the run ends, having changed nothing
    with pytest.raises(InvalidInput, match="nothing to undo for host milvus.example.test"):
        restore_layer4(event(), kube)
    assert kube.writes() == []


def test_nothing_left_after_an_earlier_undo_succeeds_and_says_which():
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer")})
    result = restore_layer4(event(previousUndo="arn:aws:states:us-east-1:123456789012:execution:u:1"), kube)
    assert result.already_undone_by == "arn:aws:states:us-east-1:123456789012:execution:u:1"
    assert kube.writes() == []


def test_a_certificate_left_is_still_something_to_undo():
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer")})
    result = restore_layer4(event(managedCertificates=["arn:aws:acm:us-east-1:123456789012:certificate/c"]), kube)
    assert result.already_undone_by is None and kube.writes() == []


def test_the_handler_returns_the_wire_dict_and_closes_the_client(lambda_context):
    kube = FakeKube({SERVICE: after_setup(), INGRESS: OURS})
    out = handler.lambda_handler(wire(), lambda_context, connect=lambda name: kube)
    assert out["restored"] is True and out["type"] == "LoadBalancer"
    assert kube.closed
