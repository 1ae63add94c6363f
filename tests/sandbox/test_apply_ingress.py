"""ApplyIngress against the sandbox's Kubernetes API stand-in, reached through moto's EKS."""

import pytest
from moto import mock_aws

from apply_ingress import handler
from apply_ingress.logic import apply_ingress
from layer7.errors import KubernetesForbidden, ServiceNotFound
from tests.sandbox.conftest import chart_service, connector, point_cluster_at
from tests.unit.kube_fakes import CERT_ARN, apply_event


@mock_aws
def test_stand_in_gets_the_ingress_and_the_helm_warning(standin, lambda_context):
    # Given the cluster's API (EKS token auth) with Milvus installed by Helm as a LoadBalancer
    standin.seed_service(chart_service())
    connect = connector(point_cluster_at(standin))
    # When the handler runs twice with the same input
    first = handler.lambda_handler(apply_event().to_wire(), lambda_context, connect=connect)
    second = handler.lambda_handler(apply_event().to_wire(), lambda_context, connect=connect)
    # Then the Ingress is there as the guide has it, owned by milvus-layer7
    ingress = standin.get("ingresses", "milvus", "milvus-demo")
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"] == {"name": "milvus-demo", "port": {"number": 19530}}
    assert ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/certificate-arn"] == CERT_ARN
    assert any(m["manager"] == "milvus-layer7" and m["operation"] == "Apply" for m in ingress["metadata"]["managedFields"])
    # And the Service was only read
    assert standin.get("services", "milvus", "milvus-demo")["spec"]["type"] == "LoadBalancer"
    assert first["serviceType"] == second["serviceType"] == "LoadBalancer"
    assert len(first["warnings"]) == 1 and "milvus-demo" in first["warnings"][0] and "helm upgrade" in first["warnings"][0]


@mock_aws
def test_stand_in_without_the_service_is_service_not_found(standin):
    standin.ensure_namespace("milvus")
    connect = connector(point_cluster_at(standin))
    with pytest.raises(ServiceNotFound, match="milvus-demo"):
        apply_ingress(apply_event(), connect("milvus-eks"))
    assert standin.get("ingresses", "milvus", "milvus-demo") is None


@mock_aws
@pytest.mark.parametrize("cause", ["wrong key", "token for another cluster"])
def test_stand_in_refusing_the_token_is_kubernetes_forbidden(standin, cause):
    # Given a token the cluster cannot verify: signed with unknown keys, or minted for another cluster's name
    standin.seed_service(chart_service())
    if cause == "wrong key":
        connect = connector(point_cluster_at(standin), access_key="AKIDOTHER", secret="other")
    else:
        connect = connector(point_cluster_at(standin, name="other-cluster"))
        connect = (lambda inner: lambda _name: inner("other-cluster"))(connect)
    # When the step talks to it
    with pytest.raises(KubernetesForbidden) as caught:
        apply_ingress(apply_event(), connect("milvus-eks"))
    # Then the 401 becomes KubernetesForbidden, telling how to fix access
    assert "401" in str(caught.value) and "access entry" in str(caught.value)
    assert standin.auth_failures


@mock_aws
def test_stand_in_rbac_refusal_is_kubernetes_forbidden(standin):
    # Given the role is authenticated but has no rights in the namespace
    standin.seed_service(chart_service())
    standin.deny("milvus")
    connect = connector(point_cluster_at(standin))
    # Then the 403 names the refused request
    with pytest.raises(KubernetesForbidden) as caught:
        apply_ingress(apply_event(), connect("milvus-eks"))
    assert "403" in str(caught.value) and "forbidden" in str(caught.value)
