"""The steps under the stack's own RBAC manifest: each role can do what its step does, and nothing more.

The stand-in authorizes as kube-apiserver's RBAC authorizer does
(sandbox/kubernetes/rbac.py); the Roles are the ones the stack ships
(stacks/rbac.py, output KubernetesRbacManifest), applied as the operator would.
"""

from __future__ import annotations

import copy

import pytest
from moto import mock_aws

from apply_ingress.logic import apply_ingress
from check_load_balancer.logic import check_load_balancer
from layer7.errors import KubernetesForbidden
from remove_layer4.logic import remove_layer4
from sandbox.aws.identities import role_credentials, session_username
from sandbox.kubernetes import rbac
from stacks import rbac as stack_rbac
from tests.sandbox.conftest import chart_service, connector, point_cluster_at
from tests.unit.kube_fakes import apply_event, check_event, step_event

WRITER_ROLE = "arn:aws:iam::123456789012:role/MilvusLayer7-StepsApplyIngressRole-ABC"
READER_ROLE = "arn:aws:iam::123456789012:role/MilvusLayer7-StepsCheckLoadBalancerRole-DEF"


def as_role(standin, role_arn: str, group: str, eks) -> object:
    """Map a role as its access entry does, and connect with its credentials."""
    credentials = role_credentials(role_arn)
    standin.add_identity(credentials.access_key_id, credentials.secret_access_key,
                         session_username(role_arn, "fn"), [group])
    return connector(eks, access_key=credentials.access_key_id, secret=credentials.secret_access_key)


def without_verb(manifest: dict, role_name: str, resource: str, verb: str) -> dict:
    trimmed = copy.deepcopy(manifest)
    for item in trimmed["items"]:
        if item["kind"] == "Role" and item["metadata"]["name"] == role_name:
            for rule in item["rules"]:
                if resource in rule["resources"]:
                    rule["verbs"] = [v for v in rule["verbs"] if v != verb]
    return trimmed


@mock_aws
def test_with_the_stacks_manifest_each_step_does_its_work(standin):
    # Given the chart's Service and the stack's Roles and RoleBindings
    standin.seed_service(chart_service())
    standin.apply_manifest(stack_rbac.manifest("milvus"))
    eks = point_cluster_at(standin)
    writer = as_role(standin, WRITER_ROLE, "milvus-layer7-writers", eks)
    reader = as_role(standin, READER_ROLE, "milvus-layer7-readers", eks)
    # When the writer applies the Ingress and the reader polls it
    apply_ingress(apply_event(), writer("milvus-eks"))
    status = check_load_balancer(check_event(), reader("milvus-eks"), elbv2=None)
    # Then both are allowed, and the writer turns the Service to ClusterIP
    assert status.ready is False
    assert remove_layer4(step_event(), writer("milvus-eks")).type == "ClusterIP"


@mock_aws
def test_the_reader_may_not_write(standin):
    standin.seed_service(chart_service())
    standin.apply_manifest(stack_rbac.manifest("milvus"))
    reader = as_role(standin, READER_ROLE, "milvus-layer7-readers", point_cluster_at(standin))
    with pytest.raises(KubernetesForbidden) as caught:
        remove_layer4(step_event(), reader("milvus-eks"))
    # The API server's own words (responsewriters.forbiddenMessage), then the remedy: readers may get the Service
    # (CheckDrift), never patch it
    assert ('services "milvus-demo" is forbidden: User "arn:aws:sts::123456789012:assumed-role/'
            'MilvusLayer7-StepsCheckLoadBalancerRole-DEF/fn" cannot patch resource "services" in API group "" '
            'in the namespace "milvus"') in str(caught.value)
    assert "KubernetesRbacManifest" in str(caught.value)


@mock_aws
def test_a_role_missing_a_verb_is_kubernetes_forbidden_and_layer4_stays(standin):
    # Given a writer Role without "patch" on services
    standin.seed_service(chart_service())
    standin.apply_manifest(without_verb(stack_rbac.manifest("milvus"), "milvus-layer7-writer", "services", "patch"))
    writer = as_role(standin, WRITER_ROLE, "milvus-layer7-writers", point_cluster_at(standin))
    # When RemoveLayer4 runs
    with pytest.raises(KubernetesForbidden, match='cannot patch resource "services"'):
        remove_layer4(step_event(), writer("milvus-eks"))
    # Then the Layer-4 load balancer is untouched
    assert standin.get("services", "milvus", "milvus-demo")["spec"]["type"] == "LoadBalancer"


@mock_aws
def test_a_role_in_no_bound_group_may_do_nothing(standin):
    standin.seed_service(chart_service())
    standin.apply_manifest(stack_rbac.manifest("milvus"))
    stranger = as_role(standin, WRITER_ROLE, "some-other-group", point_cluster_at(standin))
    with pytest.raises(KubernetesForbidden, match="403"):
        apply_ingress(apply_event(), stranger("milvus-eks"))
    assert standin.get("ingresses", "milvus", "milvus-demo") is None


@pytest.mark.parametrize("rule, attributes, allowed", [
    ({"apiGroups": [""], "resources": ["services"], "verbs": ["get"]},
     rbac.Attributes("get", "", "services", "milvus", "a"), True),
    ({"apiGroups": [""], "resources": ["services"], "verbs": ["get"]},
     rbac.Attributes("patch", "", "services", "milvus", "a"), False),
    ({"apiGroups": ["networking.k8s.io"], "resources": ["ingresses"], "verbs": ["*"]},
     rbac.Attributes("delete", "", "ingresses", "milvus", "a"), False),  # another API group
    ({"apiGroups": ["*"], "resources": ["*/status"], "verbs": ["patch"]},
     rbac.Attributes("patch", "", "services", "milvus", "a", "status"), True),
    ({"apiGroups": [""], "resources": ["services"], "verbs": ["patch"]},
     rbac.Attributes("patch", "", "services", "milvus", "a", "status"), False),  # status is its own resource
    ({"apiGroups": [""], "resources": ["services"], "verbs": ["get"], "resourceNames": ["b"]},
     rbac.Attributes("get", "", "services", "milvus", "a"), False),
])
def test_rule_matching_follows_the_rbac_helpers(rule, attributes, allowed):
    assert rbac.rule_allows(rule, attributes) is allowed
