"""RemoveLayer4 against the sandbox's Kubernetes API stand-in, reached through moto's EKS."""

import json

import pytest
from moto import mock_aws

from layer7.errors import KubernetesForbidden, ServiceNotFound
from remove_layer4 import handler
from remove_layer4.logic import remove_layer4
from tests.sandbox.conftest import chart_service, connector, point_cluster_at
from tests.unit.kube_fakes import step_event


@mock_aws
def test_stand_in_chart_service_becomes_valid_cluster_ip_with_its_record(standin, lambda_context):
    # Given the chart's LoadBalancer Service (source ranges 0.0.0.0/0) with node ports and an NLB address
    seeded = standin.seed_service(chart_service())
    nlb = seeded["status"]["loadBalancer"]["ingress"][0]["hostname"]
    assert all("nodePort" in p for p in standin.get("services", "milvus", "milvus-demo")["spec"]["ports"])
    connect = connector(point_cluster_at(standin))
    # When RemoveLayer4 runs, then runs again
    first = handler.lambda_handler(step_event().to_wire(), lambda_context, connect=connect)
    rerun = step_event().model_copy(update={"correlation_id": "exec-2"})  # another execution
    second = handler.lambda_handler(rerun.to_wire(), lambda_context, connect=connect)
    # Then the API server accepted a ClusterIP Service with no LoadBalancer-only field left,
    service = standin.get("services", "milvus", "milvus-demo")
    assert service["spec"]["type"] == "ClusterIP"
    assert not any("nodePort" in p for p in service["spec"]["ports"])
    assert not {"loadBalancerSourceRanges", "allocateLoadBalancerNodePorts", "externalTrafficPolicy",
                "healthCheckNodePort", "loadBalancerClass"} & set(service["spec"])
    assert service["status"]["loadBalancer"] == {}
    # the record of what it had is on the Service and in the output, and the re-run changed nothing
    before = {"type": "LoadBalancer", "annotations": {},
              "spec": {"loadBalancerSourceRanges": ["0.0.0.0/0"], "allocateLoadBalancerNodePorts": True,
                       "externalTrafficPolicy": "Cluster"}, "address": nlb}
    assert first == {"name": "milvus-demo", "previousType": "LoadBalancer", "type": "ClusterIP", "before": before}
    assert second == {"name": "milvus-demo", "previousType": "ClusterIP", "type": "ClusterIP", "before": before}
    assert json.loads(service["metadata"]["annotations"]["milvus-layer7/layer4"]) == {**before, "recordedBy": "exec-1"}


@mock_aws
def test_stand_in_without_the_service_is_service_not_found(standin):
    standin.ensure_namespace("milvus")
    connect = connector(point_cluster_at(standin))
    with pytest.raises(ServiceNotFound, match="'milvus-demo'"):
        remove_layer4(step_event(), connect("milvus-eks"))


@mock_aws
def test_stand_in_rbac_refusal_keeps_the_layer4_load_balancer(standin):
    standin.seed_service(chart_service())
    standin.deny("milvus")
    connect = connector(point_cluster_at(standin))
    with pytest.raises(KubernetesForbidden):
        remove_layer4(step_event(), connect("milvus-eks"))
    standin.allow()
    assert standin.get("services", "milvus", "milvus-demo")["spec"]["type"] == "LoadBalancer"
