"""ApplyIngress against the sandbox's Kubernetes API stand-in, reached through moto's EKS."""

import base64

import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.eks.models import eks_backends

from apply_ingress import handler
from apply_ingress.logic import apply_ingress
from layer7.errors import IngressRejected, KubernetesForbidden, NetworkMisconfigured, ServiceNotFound
from sandbox.controller.webhook import IngressValidator, alb_ingress_class
from sandbox.kubernetes import kubectl
from testkit.certs import make_ca
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
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"] == {
        "name": "milvus-demo", "port": {"number": 19530}}
    assert ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/certificate-arn"] == CERT_ARN
    assert any(m["manager"] == "milvus-layer7" and m["operation"] == "Apply"
               for m in ingress["metadata"]["managedFields"])
    # And the Service was only read
    assert standin.get("services", "milvus", "milvus-demo")["spec"]["type"] == "LoadBalancer"
    assert first["serviceType"] == second["serviceType"] == "LoadBalancer"
    assert len(first["warnings"]) == 1 and "milvus-demo" in first["warnings"][0] and \
        "helm upgrade" in first["warnings"][0]


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
        connect, name = connector(point_cluster_at(standin), access_key="AKIDOTHER", secret="other"), "milvus-eks"
    else:
        connect, name = connector(point_cluster_at(standin, name="other-cluster")), "other-cluster"
    # When the step talks to it
    with pytest.raises(KubernetesForbidden) as caught:
        apply_ingress(apply_event(), connect(name))
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


@mock_aws
def test_stand_in_webhook_denies_an_ingress_whose_class_does_not_exist(standin):
    # Given the controller's webhook registered, but no IngressClass "alb" (its chart did not create one)
    standin.seed_service(chart_service())
    standin.emulator.validating_webhooks.append(IngressValidator())
    connect = connector(point_cluster_at(standin))
    # When ApplyIngress applies the Ingress
    with pytest.raises(IngressRejected) as caught:
        apply_ingress(apply_event(), connect("milvus-eks"))
    # Then the webhook's own words are the cause, and nothing was stored
    assert ('admission webhook "vingress.elbv2.k8s.aws" denied the request: invalid ingress class: '
            'ingressclasses.networking.k8s.io "alb" not found') in str(caught.value)
    assert standin.get("ingresses", "milvus", "milvus-demo") is None
    # And once the class exists the same apply passes the webhook
    standin.create("ingressclasses", None, alb_ingress_class())
    apply_ingress(apply_event(), connect("milvus-eks"))
    assert standin.get("ingresses", "milvus", "milvus-demo") is not None


@mock_aws
def test_stand_in_reached_through_a_certificate_of_another_authority_is_network_misconfigured(standin):
    # Given DescribeCluster's CA is not the one the endpoint's certificate chains to (what a TLS proxy does)
    standin.seed_service(chart_service())
    eks = point_cluster_at(standin)
    other_ca = make_ca("someone else's CA").certificate_pem.encode()
    eks_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].clusters["milvus-eks"].certificate_authority = {
        "data": base64.b64encode(other_ca).decode()}
    # Then the step fails with NetworkMisconfigured, not a crash, and nothing was applied
    with pytest.raises(NetworkMisconfigured, match="did not present a certificate from the cluster's own"):
        apply_ingress(apply_event(), connector(eks)("milvus-eks"))
    assert standin.get("ingresses", "milvus", "milvus-demo") is None


@mock_aws
def test_stand_in_moves_a_managers_time_only_when_its_own_write_changed_the_ingress(standin, lambda_context,
                                                                                     monkeypatch):
    # Given the API server's clock at T0 when ApplyIngress first applies the Ingress
    standin.seed_service(chart_service())
    connect = connector(point_cluster_at(standin))
    clock = {"now": "2026-01-01T00:00:00Z"}
    monkeypatch.setattr("sandbox.kubernetes.store.now_iso", lambda: clock["now"])
    handler.lambda_handler(apply_event().to_wire(), lambda_context, connect=connect)
    # When the controller adds its finalizer later, and the same apply comes again later still
    clock["now"] = "2026-01-01T00:05:00Z"
    standin.patch("ingresses", "milvus", "milvus-demo", {"metadata": {"finalizers": ["ingress.k8s.aws/resources"]}},
                  manager="controller")
    clock["now"] = "2026-01-01T00:10:00Z"
    started_before = {**apply_event().to_wire(), "executionStartTime": "2025-12-31T23:59:59.500Z"}
    started_after = {**apply_event().to_wire(), "executionStartTime": "2026-01-01T00:00:01.000Z"}
    retried = handler.lambda_handler(started_before, lambda_context, connect=connect)
    rerun = handler.lambda_handler(started_after, lambda_context, connect=connect)
    # Then each manager's entry keeps the time of its own last change (managedfieldsupdater.go)
    times = {entry["manager"]: entry["time"]
             for entry in standin.get("ingresses", "milvus", "milvus-demo")["metadata"]["managedFields"]}
    assert times == {"milvus-layer7": "2026-01-01T00:00:00Z", "controller": "2026-01-01T00:05:00Z"}
    # and an execution that began before that apply reports it changed the Ingress, one that began after not
    assert (retried["changed"], rerun["changed"]) == (True, False)


@mock_aws
def test_stand_in_rerun_after_a_hand_edit_takes_the_workflows_fields_back_and_leaves_the_rest(standin,
                                                                                               lambda_context):
    # Given the Ingress a setup applied
    standin.seed_service(chart_service())
    connect = connector(point_cluster_at(standin))
    handler.lambda_handler(apply_event().to_wire(), lambda_context, connect=connect)
    applied = standin.get("ingresses", "milvus", "milvus-demo")["metadata"]["annotations"]
    # and a person's `kubectl annotate --overwrite`: a workflow annotation changed, another removed, one added
    kubectl.annotate(standin, "ingresses", "milvus", "milvus-demo", {
        "alb.ingress.kubernetes.io/scheme": "internal" if applied["alb.ingress.kubernetes.io/scheme"] != "internal"
        else "internet-facing", "alb.ingress.kubernetes.io/certificate-arn": None, "team": "search"})
    # When the setup runs again (another execution)
    rerun = {**apply_event().to_wire(), "correlationId": "exec-2", "executionStartTime": "2000-01-01T00:00:00Z"}
    result = handler.lambda_handler(rerun, lambda_context, connect=connect)
    # Then the workflow's annotations are what an undisturbed setup applied, the person's own one stays,
    after = standin.get("ingresses", "milvus", "milvus-demo")["metadata"]["annotations"]
    assert {key: value for key, value in after.items() if key != "team"} == applied and after["team"] == "search"
    # and the run says it changed the Ingress
    assert result["changed"] is True
