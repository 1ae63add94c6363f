"""The sandbox's ``helm upgrade`` (sandbox/kubernetes/helm.py) of a Service RemoveLayer4 turned ClusterIP."""

import json

import pytest
from kmock import KubernetesError
from moto import mock_aws

from remove_layer4.logic import remove_layer4
from sandbox.kubernetes import helm
from tests.sandbox.conftest import chart_service, connector, point_cluster_at
from tests.unit.kube_fakes import step_event


def _cluster_ip_by_the_workflow(standin) -> dict:
    standin.seed_service(chart_service())
    remove_layer4(step_event(), connector(point_cluster_at(standin))("milvus-eks"))
    service = standin.get("services", "milvus", "milvus-demo")
    assert service["spec"]["type"] == "ClusterIP"
    return service


@mock_aws
def test_client_side_upgrade_brings_back_the_load_balancer_and_keeps_what_helm_never_rendered(standin):
    # Given the chart's Service turned ClusterIP by RemoveLayer4 (its record annotation on it)
    before = _cluster_ip_by_the_workflow(standin)
    record = before["metadata"]["annotations"]["milvus-layer7/layer4"]
    # When helm upgrade runs with the install's values (Helm 3's three-way merge)
    after = helm.upgrade(standin, chart_service())
    # Then the Service is LoadBalancer again with the chart's LoadBalancer-only field and fresh node ports,
    assert after["spec"]["type"] == "LoadBalancer"
    assert after["spec"]["loadBalancerSourceRanges"] == ["0.0.0.0/0"]
    assert after["spec"]["allocateLoadBalancerNodePorts"] is True
    assert all("nodePort" in port for port in after["spec"]["ports"])
    # what Helm never owned stays (the workflow's record, the cluster IP), and helm now owns the type
    assert after["metadata"]["annotations"]["milvus-layer7/layer4"] == record
    assert json.loads(record)["type"] == "LoadBalancer"
    assert after["spec"]["clusterIP"] == before["spec"]["clusterIP"]
    owners = {entry["manager"] for entry in after["metadata"]["managedFields"] if "f:type" in
              json.dumps(entry["fieldsV1"])}
    assert "helm" in owners
    # and a second upgrade sends nothing
    assert helm.upgrade(standin, chart_service())["metadata"]["resourceVersion"] == after["metadata"]["resourceVersion"]


@mock_aws
def test_server_side_upgrade_conflicts_with_the_workflow_unless_forced(standin):
    # Given the chart's Service turned ClusterIP by RemoveLayer4
    _cluster_ip_by_the_workflow(standin)
    # When Helm 4 applies the rendering server-side without --force-conflicts, the API server refuses (409)
    with pytest.raises(KubernetesError) as refused:
        helm.upgrade(standin, chart_service(), server_side=True)
    assert refused.value.status == 409
    assert "spec.type" in str(refused.value.message)
    assert standin.get("services", "milvus", "milvus-demo")["spec"]["type"] == "ClusterIP"
    # When forced, the chart's fields win
    after = helm.upgrade(standin, chart_service(), server_side=True, force_conflicts=True)
    assert after["spec"]["type"] == "LoadBalancer"
    assert after["spec"]["loadBalancerSourceRanges"] == ["0.0.0.0/0"]
    assert "milvus-layer7/layer4" in after["metadata"]["annotations"]

