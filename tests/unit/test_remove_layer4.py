"""RemoveLayer4: the Service becomes ClusterIP in one patch that also deletes every LoadBalancer-only field,
and records what it had on the Service itself."""

import json

import pytest

from layer7 import kube as k8s
from layer7.errors import KubernetesForbidden, ServiceNotFound, TransientError
from remove_layer4 import handler
from remove_layer4.logic import LAYER4_RECORD_ANNOTATION, remove_layer4
from tests.unit.kube_fakes import FakeKube, milvus_service, step_event

SERVICE = k8s.service_path("milvus", "milvus-demo")
SOURCE_RANGES = "service.beta.kubernetes.io/load-balancer-source-ranges"
NLB = "a0123456789abcdef0123456789abcde-0123456789abcdef.elb.us-east-1.amazonaws.com"


def chart_like_service() -> dict:
    """A LoadBalancer Service as the Milvus chart renders it and the API server defaults it."""
    service = milvus_service("LoadBalancer", helm_release="milvus-demo")
    service["spec"].update(loadBalancerSourceRanges=["0.0.0.0/0"], allocateLoadBalancerNodePorts=True,
                           externalTrafficPolicy="Cluster", sessionAffinity="None")
    service["status"] = {"loadBalancer": {"ingress": [{"hostname": NLB}]}}
    return service


def test_chart_service_becomes_cluster_ip_in_one_patch_that_deletes_the_load_balancer_fields():
    # Given the chart's Service: LoadBalancer with source ranges, node ports, the defaulted fields and its NLB
    kube = FakeKube({SERVICE: chart_like_service()})
    # When RemoveLayer4 runs
    result = remove_layer4(step_event(), kube)
    # Then one strategic merge patch sets the type, nulls every LoadBalancer-only field and node port,
    [patch] = kube.patches()
    assert patch["contentType"] == "application/strategic-merge-patch+json"
    assert patch["query"] == {"fieldManager": "milvus-layer7"}
    before = {"type": "LoadBalancer", "spec": {"loadBalancerSourceRanges": ["0.0.0.0/0"],
                                               "allocateLoadBalancerNodePorts": True,
                                               "externalTrafficPolicy": "Cluster"}, "annotations": {},
              "address": NLB}
    assert patch["body"] == {
        "metadata": {"annotations": {LAYER4_RECORD_ANNOTATION: json.dumps(
            {**before, "recordedBy": "exec-1"}, separators=(",", ":"), sort_keys=True)}},
        "spec": {"type": "ClusterIP", "loadBalancerSourceRanges": None, "allocateLoadBalancerNodePorts": None,
                 "externalTrafficPolicy": None, "ports": [{"port": 19530, "nodePort": None}]},
    }
    # and what it removed, with the NLB's address, is in the output (the undo restores it from the annotation)
    assert result.to_wire() == {"name": "milvus-demo", "previousType": "LoadBalancer", "type": "ClusterIP",
                                "before": before}
    assert "loadBalancerSourceRanges" not in kube.objects[SERVICE]["spec"]


def test_the_source_ranges_annotation_is_removed_and_recorded():
    service = chart_like_service()
    del service["spec"]["loadBalancerSourceRanges"]
    service["metadata"]["annotations"][SOURCE_RANGES] = "10.0.0.0/8,192.168.0.0/16"
    kube = FakeKube({SERVICE: service})
    result = remove_layer4(step_event(), kube)
    [patch] = kube.patches()
    assert patch["body"]["metadata"]["annotations"][SOURCE_RANGES] is None
    assert result.before is not None and result.before.annotations == {SOURCE_RANGES: "10.0.0.0/8,192.168.0.0/16"}
    # the Helm annotations stay: only LoadBalancer-only ones go
    assert kube.objects[SERVICE]["metadata"]["annotations"]["meta.helm.sh/release-name"] == "milvus-demo"


def test_a_cluster_ip_service_with_external_ips_keeps_its_traffic_policy():
    # Given a LoadBalancer Service that also has externalIPs (a ClusterIP with them may keep the policy)
    service = chart_like_service()
    service["spec"]["externalIPs"] = ["203.0.113.7"]
    kube = FakeKube({SERVICE: service})
    remove_layer4(step_event(), kube)
    [patch] = kube.patches()
    assert "externalTrafficPolicy" not in patch["body"]["spec"]


def test_already_cluster_ip_is_left_alone_and_reports_the_earlier_record():
    # Given a Service an earlier run already changed: ClusterIP, with our record
    record = {"type": "LoadBalancer", "spec": {"loadBalancerSourceRanges": ["0.0.0.0/0"]}, "annotations": {}}
    service = milvus_service("ClusterIP")
    service["metadata"]["annotations"] = {LAYER4_RECORD_ANNOTATION: json.dumps(record)}
    kube = FakeKube({SERVICE: service})
    # When RemoveLayer4 runs again
    result = remove_layer4(step_event(), kube)
    # Then nothing is written; the record is reported as it stands
    assert kube.patches() == []
    assert result.to_wire() == {"name": "milvus-demo", "previousType": "ClusterIP", "type": "ClusterIP",
                                "before": {**record, "address": None}}


def test_a_retry_after_the_first_attempt_was_killed_past_its_patch_reports_what_an_undisturbed_run_does():
    # Given what an undisturbed run reports
    undisturbed = remove_layer4(step_event(), FakeKube({SERVICE: chart_like_service()})).to_wire()
    # and a first attempt that patched the Service and died before it answered (its result is lost)
    kube = FakeKube({SERVICE: chart_like_service()})
    remove_layer4(step_event(), kube)
    # When Step Functions runs the step again in the same execution
    retried = remove_layer4(step_event(), kube)
    # Then nothing more is written, and the answer is the undisturbed one: previousType LoadBalancer
    assert len(kube.patches()) == 1
    assert retried.to_wire() == undisturbed and undisturbed["previousType"] == "LoadBalancer"
    # while another execution (a rerun) reports the Service as it found it
    rerun = remove_layer4(step_event().model_copy(update={"correlation_id": "exec-2"}), kube)
    assert rerun.to_wire() == {**undisturbed, "previousType": "ClusterIP"}


def test_a_rerun_after_the_service_was_made_node_port_by_hand_keeps_the_load_balancer_record():
    # Given a setup that recorded the chart's LoadBalancer Service and made it ClusterIP
    kube = FakeKube({SERVICE: chart_like_service()})
    setup = remove_layer4(step_event(), kube).to_wire()
    # and a person who made it NodePort since (the API server allocates a node port)
    spec = kube.objects[SERVICE]["spec"]
    spec.update(type="NodePort", externalTrafficPolicy="Cluster")
    spec["ports"] = [{**port, "nodePort": 31000} for port in spec["ports"]]
    # When the setup runs again
    rerun = remove_layer4(step_event().model_copy(update={"correlation_id": "exec-2"}), kube)
    # Then the Service is ClusterIP again, without the NodePort's fields
    patch = kube.patches()[-1]["body"]
    assert patch["spec"] == {"type": "ClusterIP", "externalTrafficPolicy": None,
                             "ports": [{"port": 19530, "nodePort": None}]}
    # and the record still holds the LoadBalancer setup removed, which the undo restores (a NodePort record it
    # would refuse: its node ports were never recorded)
    written = json.loads(patch["metadata"]["annotations"][LAYER4_RECORD_ANNOTATION])
    assert {key: value for key, value in written.items() if key != "recordedBy"} == setup["before"]
    assert rerun.to_wire() == {"name": "milvus-demo", "previousType": "NodePort", "type": "ClusterIP",
                               "before": setup["before"]}

def test_a_service_that_was_always_cluster_ip_has_no_record():
    kube = FakeKube({SERVICE: milvus_service("ClusterIP")})
    result = remove_layer4(step_event(), kube)
    assert kube.patches() == []
    assert result.before is None


def test_type_is_read_back_from_the_servers_answer():
    # Given a server (or a mutating webhook) that keeps NodePort
    kube = FakeKube({SERVICE: milvus_service("NodePort")})
    original_patch = kube.patch

    def patch(path, what, body, *, content_type, **query):
        answer = original_patch(path, what, body, content_type=content_type, **query)
        answer["spec"]["type"] = "NodePort"
        return answer

    kube.patch = patch
    # Then the result says what the server answered, not what was asked
    result = remove_layer4(step_event(), kube)
    assert (result.previous_type, result.type) == ("NodePort", "NodePort")


def test_other_refusals_are_not_retried():
    kube = FakeKube({SERVICE: chart_like_service()})
    kube.errors[("PATCH", SERVICE)] = [k8s.KubeError("admission webhook denied the request", status=400)]
    with pytest.raises(k8s.KubeError):
        remove_layer4(step_event(), kube)
    assert len(kube.patches()) == 1


@pytest.mark.parametrize("error", [KubernetesForbidden("no"), TransientError("busy")])
def test_contract_errors_pass_through(error):
    kube = FakeKube({SERVICE: chart_like_service()})
    kube.errors[("PATCH", SERVICE)] = [error]
    with pytest.raises(type(error)):
        remove_layer4(step_event(), kube)


def test_missing_service_is_service_not_found():
    with pytest.raises(ServiceNotFound, match="milvus-demo"):
        remove_layer4(step_event(), FakeKube({}))


def test_service_deleted_between_read_and_patch_is_service_not_found():
    kube = FakeKube({SERVICE: chart_like_service()})
    kube.errors[("PATCH", SERVICE)] = [k8s.NotFound("gone", status=404)]
    with pytest.raises(ServiceNotFound):
        remove_layer4(step_event(), kube)


def test_handler_returns_the_wire_dict(lambda_context):
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer")})
    out = handler.lambda_handler(step_event().to_wire(), lambda_context, connect=lambda name: kube)
    assert out == {"name": "milvus-demo", "previousType": "LoadBalancer", "type": "ClusterIP",
                   "before": {"type": "LoadBalancer", "spec": {}, "annotations": {}, "address": None}}
    assert kube.closed
