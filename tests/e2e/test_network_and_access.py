"""Network, IAM and Lambda lifecycle as the deployed stack meets them (issue "Network, IAM and Lambda lifecycle").

The session's sandbox, reset once for the module: the stack deployed with albListenPorts 443,8443
and the cluster security group, each function running as its own role, mapped
by the stack's access entries and bound by its RBAC manifest.
"""

from __future__ import annotations

import copy
import re

import pytest

from sandbox.aws import lambda_runner
from sandbox.aws.eks import nat_public_ips
from sandbox.cli.demo import DemoOptions, execution_input, run_once
from sandbox.environment import HOST, Sandbox

pytestmark = pytest.mark.e2e
QUIET = DemoOptions(json=True)
WRITER = "milvus-layer7-writer"


@pytest.fixture(scope="module")
def sandbox(fresh_sandbox):
    return fresh_sandbox()


def _run(box: Sandbox, **overrides):
    detail = execution_input(QUIET, HOST, box.secret_arn)
    detail.update(overrides)
    return run_once(box, QUIET, detail, run=1)


def _service_type(box: Sandbox) -> str:
    return box.cluster_view()["service"]["spec"]["type"]


def _function_named(box: Sandbox, step: str) -> str:
    names = [fn["FunctionName"] for page in box.aws.client("lambda").get_paginator("list_functions").paginate()
             for fn in page["Functions"]]
    # CloudFormation names them <stack>-<logical id>-<random>, the logical id the construct path and 8 hex digits:
    # "StepsValidate2C29BCC6", never "StepsValidateUndo5568800F"
    (name,) = [n for n in names if re.search(rf"-Steps{step}[0-9A-F]{{8}}-", n)]
    return name


def test_the_stack_let_the_functions_into_the_cluster_security_group(sandbox):
    ec2 = sandbox.aws.client("ec2")
    (group,) = ec2.describe_security_groups(GroupIds=[sandbox.cluster_security_group_id])["SecurityGroups"]
    rules = [(p["FromPort"], p["ToPort"], [g["GroupId"] for g in p.get("UserIdGroupPairs", [])])
             for p in group["IpPermissions"]]
    assert any(rule[:2] == (443, 443) and rule[2] for rule in rules), rules


def test_inbound_cidrs_without_the_nat_address_stop_at_validate(sandbox):
    # Given an internet-facing run that lets in only a range the NAT gateway is not in
    record = _run(sandbox, ingressAnnotations={"alb.ingress.kubernetes.io/inbound-cidrs": "203.0.113.0/24"})
    # Then Validate ends it with the NAT's address to add, before anything exists
    (nat_ip,) = nat_public_ips(sandbox.aws.client("ec2"), sandbox.vpc_id)
    assert (record.status, record.error) == ("FAILED", "NetworkMisconfigured")
    assert f"{nat_ip}/32" in record.cause
    assert record.states[:1] == ["Validate"] and "ImportCertificate" not in record.states
    assert sandbox.cluster_view()["ingresses"] == [] and _service_type(sandbox) == "LoadBalancer"


def test_a_listen_port_the_stack_did_not_open_is_refused_with_the_reason(sandbox):
    record = _run(sandbox, listenPort=9443)
    assert (record.status, record.error) == ("FAILED", "InvalidInput")
    assert "albListenPorts=443,8443,9443" in record.cause
    assert sandbox.cluster_view()["ingresses"] == []


def test_a_role_missing_a_kubernetes_verb_ends_in_kubernetes_forbidden(sandbox):
    # Given the writer Role applied without "patch" on services (an operator's trimmed copy)
    role = sandbox.kube.get("roles", sandbox.namespace, WRITER)
    trimmed = copy.deepcopy(role)
    for rule in trimmed["rules"]:
        if rule["resources"] == ["services"]:
            rule["verbs"] = ["get"]
    sandbox.kube.apply_manifest(_bare(trimmed))
    try:
        # When a run gets as far as turning the Service to ClusterIP
        record = _run(sandbox, listenPort=8443)
    finally:
        sandbox.kube.apply_manifest(_bare(role))
    # Then it fails there with the API server's refusal, and Milvus keeps its Layer-4 address
    assert (record.status, record.error) == ("FAILED", "KubernetesForbidden"), record.cause
    assert "RemoveLayer4" in record.states
    assert 'cannot patch resource "services"' in record.cause and "assumed-role/" in record.cause
    assert _service_type(sandbox) == "LoadBalancer"


def test_an_inactive_function_is_retried_until_lambda_has_it_back_on_8443(sandbox):
    # Given a Validate function idle long enough to be Inactive (Pending 3 s once invoked)
    lambda_runner.make_inactive(_function_named(sandbox, "Validate"), pending_seconds=3)
    # When a run asks for a listener on 8443, one of the stack's albListenPorts
    record = _run(sandbox, listenPort=8443)
    # Then the state machine's retry carried it over, and Milvus answers through 8443
    assert record.status == "SUCCEEDED", (record.error, record.cause)
    errors = [details["error"] for event in record.history
              for key in ("lambdaFunctionFailedEventDetails", "taskFailedEventDetails")
              if (details := event.get(key))]
    assert errors[:1] == ["Lambda.ResourceNotReadyException"]
    assert record.output["verification"]["endpoint"].endswith(":8443")
    assert _service_type(sandbox) == "ClusterIP"


def _bare(obj: dict) -> dict:
    """An object as a manifest holds it (no server-set metadata)."""
    metadata = {key: obj["metadata"][key] for key in ("name", "namespace", "labels") if key in obj["metadata"]}
    return {**{k: v for k, v in obj.items() if k not in ("metadata",)}, "metadata": metadata}
