"""RemoveLayer4: the Service becomes ClusterIP; its type before and after is what the server says."""

import pytest
from moto import mock_aws

from layer7 import kube as k8s
from layer7.errors import KubernetesForbidden, ServiceNotFound, TransientError
from remove_layer4 import handler
from remove_layer4.logic import clear_node_ports, remove_layer4
from tests.unit.kube_fakes import (  # noqa: F401 - fixtures
    FakeKube,
    connector,
    milvus_service,
    point_cluster_at,
    standin,
    step_event,
)

SERVICE = k8s.service_path("milvus", "milvus-demo")


def test_load_balancer_service_becomes_cluster_ip():
    # Given the Milvus Service with its Layer-4 load balancer
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer")})
    # When RemoveLayer4 runs
    result = remove_layer4(step_event(), kube)
    # Then one strategic-merge patch changes only the type (the server clears node ports)
    [patch] = kube.patches()
    assert patch["path"] == SERVICE
    assert patch["contentType"] == "application/strategic-merge-patch+json"
    assert patch["body"] == {"spec": {"type": "ClusterIP"}}
    assert result.to_wire() == {"name": "milvus-demo", "previousType": "LoadBalancer", "type": "ClusterIP"}
    assert "nodePort" not in kube.objects[SERVICE]["spec"]["ports"][0]


def test_already_cluster_ip_is_reported_and_left_alone():
    # Given a Service that is already ClusterIP (a re-run, or a chart with the new default)
    kube = FakeKube({SERVICE: milvus_service("ClusterIP")})
    # When RemoveLayer4 runs
    result = remove_layer4(step_event(), kube)
    # Then nothing is written and previous = new = ClusterIP
    assert kube.patches() == []
    assert (result.previous_type, result.type) == ("ClusterIP", "ClusterIP")


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


def test_old_api_server_refusing_node_ports_gets_them_cleared_explicitly():
    # Given an API server that answers 422 because node ports are still set
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer")})
    kube.errors[("PATCH", SERVICE)] = [
        k8s.KubeError("spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'", status=422)
    ]
    # When RemoveLayer4 runs
    result = remove_layer4(step_event(), kube)
    # Then the second patch sets each node port to null, merged on the port number
    first, second = kube.patches()
    assert first["body"] == {"spec": {"type": "ClusterIP"}}
    assert second["body"] == clear_node_ports(milvus_service("LoadBalancer"))
    assert second["body"]["spec"]["ports"] == [{"port": 19530, "protocol": "TCP", "nodePort": None}]
    assert result.type == "ClusterIP"


def test_other_refusals_are_not_retried():
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer")})
    kube.errors[("PATCH", SERVICE)] = [k8s.KubeError("admission webhook denied the request", status=400)]
    with pytest.raises(k8s.KubeError):
        remove_layer4(step_event(), kube)
    assert len(kube.patches()) == 1


@pytest.mark.parametrize("error", [KubernetesForbidden("no"), TransientError("busy")])
def test_contract_errors_pass_through(error):
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer")})
    kube.errors[("PATCH", SERVICE)] = [error]
    with pytest.raises(type(error)):
        remove_layer4(step_event(), kube)


def test_missing_service_is_service_not_found():
    # Given no Service in the namespace
    kube = FakeKube({})
    # Then ServiceNotFound names it
    with pytest.raises(ServiceNotFound, match="milvus-demo"):
        remove_layer4(step_event(), kube)


def test_service_deleted_between_read_and_patch_is_service_not_found():
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer")})
    kube.errors[("PATCH", SERVICE)] = [k8s.NotFound("gone", status=404)]
    with pytest.raises(ServiceNotFound):
        remove_layer4(step_event(), kube)


def test_handler_returns_the_wire_dict(lambda_context):
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer")})
    out = handler.lambda_handler(step_event().to_wire(), lambda_context, connect=lambda name: kube)
    assert out == {"name": "milvus-demo", "previousType": "LoadBalancer", "type": "ClusterIP"}
    assert kube.closed


# --- against the sandbox's Kubernetes API stand-in, reached through moto's EKS ---


@mock_aws
def test_stand_in_service_becomes_cluster_ip_and_loses_its_node_ports(standin, lambda_context):
    # Given the Helm-installed LoadBalancer Service with node ports and an NLB address
    standin.seed_milvus_service()
    assert all("nodePort" in p for p in standin.get("services", "milvus", "milvus-demo")["spec"]["ports"])
    connect = connector(point_cluster_at(standin))
    # When RemoveLayer4 runs, then runs again
    first = handler.lambda_handler(step_event().to_wire(), lambda_context, connect=connect)
    second = handler.lambda_handler(step_event().to_wire(), lambda_context, connect=connect)
    # Then the Service is ClusterIP without node ports, and the re-run changed nothing
    service = standin.get("services", "milvus", "milvus-demo")
    assert service["spec"]["type"] == "ClusterIP"
    assert not any("nodePort" in p for p in service["spec"]["ports"])
    assert first == {"name": "milvus-demo", "previousType": "LoadBalancer", "type": "ClusterIP"}
    assert second == {"name": "milvus-demo", "previousType": "ClusterIP", "type": "ClusterIP"}


@mock_aws
def test_stand_in_without_the_service_is_service_not_found(standin):
    standin.ensure_namespace("milvus")
    connect = connector(point_cluster_at(standin))
    with pytest.raises(ServiceNotFound, match="'milvus-demo'"):
        remove_layer4(step_event(), connect("milvus-eks"))


@mock_aws
def test_stand_in_rbac_refusal_keeps_the_layer4_load_balancer(standin):
    standin.seed_milvus_service()
    standin.deny("milvus")
    connect = connector(point_cluster_at(standin))
    with pytest.raises(KubernetesForbidden):
        remove_layer4(step_event(), connect("milvus-eks"))
    standin.allow()
    assert standin.get("services", "milvus", "milvus-demo")["spec"]["type"] == "LoadBalancer"
