"""Each step's role holds only its own, resource-scoped grants; cdk-nag is clean."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import synthesize

ALLOWED_STAR_ACTIONS = {  # actions without resource-level permissions, acknowledged in cdk-nag
    "xray:PutTraceSegments", "xray:PutTelemetryRecords", "acm:ListCertificates",
    "elasticloadbalancing:Describe*", "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTags",
    # CheckDrift's ELBv2 reads, one by one
    "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
    # Validate's network check
    "ec2:DescribeRouteTables", "ec2:DescribeNatGateways",
    # the state machine's log delivery
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups", "xray:GetSamplingRules", "xray:GetSamplingTargets",
}


def _as_list(value):
    return value if isinstance(value, list) else [value]


def role_statements(synth, step: str) -> list[dict]:
    """Statements of the step role's policies (inline default policy)."""
    role_id = next(key for key in synth.of_type("AWS::IAM::Role") if key.startswith(f"Steps{step}Role"))
    statements = []
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def actions_of(statements) -> set[str]:
    return {action for statement in statements for action in _as_list(statement["Action"])}


def resources_for(statements, action: str) -> list:
    return [resource for statement in statements if action in _as_list(statement["Action"])
            for resource in _as_list(statement["Resource"])]


def test_only_acknowledged_actions_use_star(vpc_synth, default_synth):
    for synth in (vpc_synth, default_synth):
        for policy in synth.of_type("AWS::IAM::Policy").values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                if "*" in _as_list(statement["Resource"]):
                    assert set(_as_list(statement["Action"])) <= ALLOWED_STAR_ACTIONS, statement


def test_no_managed_policies(default_synth):
    for role in default_synth.of_type("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


@pytest.mark.parametrize("step, expected", [
    ("Validate", {"dynamodb:PutItem", "states:DescribeExecution", "ec2:DescribeRouteTables",
                  "ec2:DescribeSubnets", "ec2:DescribeNatGateways", "route53:ListResourceRecordSets"}),
    ("ImportCertificate", {"secretsmanager:GetSecretValue", "acm:ImportCertificate", "acm:AddTagsToCertificate",
                           "acm:ListTagsForCertificate", "acm:DescribeCertificate", "acm:GetCertificate",
                           "acm:ListCertificates"}),
    ("ApplyIngress", {"eks:DescribeCluster"}),
    ("CheckLoadBalancer", {"eks:DescribeCluster", "elasticloadbalancing:Describe*"}),
    ("VerifyGrpc", {"acm:GetCertificate", "secretsmanager:GetSecretValue"}),
    ("RemoveLayer4", {"eks:DescribeCluster"}),
    ("UpsertDns", {"eks:DescribeCluster", "route53:ChangeResourceRecordSets", "route53:GetHostedZone",
                   "route53:ListResourceRecordSets", "elasticloadbalancing:DescribeLoadBalancers"}),
    ("CheckDnsChange", {"route53:GetChange"}),
    ("ValidateUndo", {"dynamodb:PutItem", "states:ListExecutions", "states:DescribeExecution", "acm:ListCertificates",
                      "acm:ListTagsForCertificate"}),
    ("RestoreLayer4", {"eks:DescribeCluster"}),
    ("CheckLayer4", {"eks:DescribeCluster"}),
    ("VerifyLayer4", {"secretsmanager:GetSecretValue"}),
    ("RestoreDns", {"eks:DescribeCluster", "route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"}),
    ("DeleteIngress", {"eks:DescribeCluster"}),
    ("CheckIngressDeleted", {"eks:DescribeCluster", "elasticloadbalancing:DescribeLoadBalancers",
                             "elasticloadbalancing:DescribeTags"}),
    ("DeleteCertificate", {"acm:ListCertificates", "acm:ListTagsForCertificate", "acm:DescribeCertificate",
                           "acm:DeleteCertificate"}),
    # reads only: no Put, Create, Modify, Change or Delete anywhere
    ("CheckDrift", {"eks:DescribeCluster", "elasticloadbalancing:DescribeLoadBalancers",
                    "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeTargetGroups",
                    "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTargetHealth",
                    "acm:DescribeCertificate", "acm:GetCertificate", "acm:ListTagsForCertificate",
                    "route53:ListResourceRecordSets",
                    "secretsmanager:ListSecretVersionIds"}),  # versions' dates only, never a value
])
def test_step_actions(vpc_synth, step, expected):
    base = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "logs:CreateLogStream", "logs:PutLogEvents",
            "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
            "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}
    assert actions_of(role_statements(vpc_synth, step)) == base | expected


def test_secret_grants_are_scoped(vpc_synth, default_synth):
    statements = role_statements(vpc_synth, "ImportCertificate")
    resources = json.dumps(resources_for(statements, "secretsmanager:GetSecretValue"))
    assert "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-cert-AbCdEf" in resources
    assert ":secret:milvus-layer7/*" in resources
    only_prefix = json.dumps(resources_for(role_statements(default_synth, "ImportCertificate"),
                                           "secretsmanager:GetSecretValue"))
    assert "milvus-cert" not in only_prefix and ":secret:milvus-layer7/*" in only_prefix


def test_cluster_and_zone_grants_are_scoped(vpc_synth, default_synth):
    cluster = json.dumps(resources_for(role_statements(vpc_synth, "ApplyIngress"), "eks:DescribeCluster"))
    assert ":cluster/milvus-eks" in cluster
    zone = json.dumps(resources_for(role_statements(vpc_synth, "UpsertDns"), "route53:ChangeResourceRecordSets"))
    assert ":route53:::hostedzone/Z0123456789ABCDEFGHIJ" in zone
    assert "route53:ChangeResourceRecordSets" not in actions_of(role_statements(default_synth, "UpsertDns"))


def test_state_machine_may_put_events_on_default_bus_only(default_synth):
    statements = [statement for policy in default_synth.of_type("AWS::IAM::Policy").values()
                  for statement in policy["Properties"]["PolicyDocument"]["Statement"]
                  if "events:PutEvents" in _as_list(statement["Action"])]
    assert statements and all(":event-bus/default" in json.dumps(s["Resource"]) for s in statements)


def test_access_entries_only_when_asked(tmp_path_factory):
    synth = synthesize(tmp_path_factory, createAccessEntry="false", namespace="vector-db")
    assert synth.of_type("AWS::EKS::AccessEntry") == {}
    assert synth.validation_violations() == []


def test_access_entries(default_synth):
    entries = default_synth.of_type("AWS::EKS::AccessEntry").values()
    principals = sorted(entry["Properties"]["PrincipalArn"]["Fn::GetAtt"][0] for entry in entries)
    assert [p.split("Role")[0] for p in principals] == [
        "StepsApplyIngress", "StepsCheckDrift", "StepsCheckIngressDeleted", "StepsCheckLayer4",
        "StepsCheckLoadBalancer",
        "StepsDeleteIngress", "StepsReadSetupRecord", "StepsRemoveLayer4", "StepsRestoreDns", "StepsRestoreLayer4",
        "StepsUpsertDns"]
    groups = {}
    for entry in entries:
        props = entry["Properties"]
        assert props["ClusterName"] == "milvus-eks" and props["Type"] == "STANDARD"
        # No EKS access policy (AmazonEKSEditPolicy would add Secrets, pods/exec, impersonation):
        # the Kubernetes group is bound to a Role with the steps' verbs only (stacks/rbac.py).
        assert "AccessPolicies" not in props
        groups[props["PrincipalArn"]["Fn::GetAtt"][0].split("Role")[0]] = props["KubernetesGroups"]
    assert groups == {"StepsApplyIngress": ["milvus-layer7-writers"], "StepsUpsertDns": ["milvus-layer7-writers"],
                      "StepsRemoveLayer4": ["milvus-layer7-writers"],
                      "StepsCheckLoadBalancer": ["milvus-layer7-readers"],
                      "StepsReadSetupRecord": ["milvus-layer7-readers"],
                      "StepsCheckDrift": ["milvus-layer7-readers"],
                      "StepsRestoreLayer4": ["milvus-layer7-undo-writers"],
                      "StepsDeleteIngress": ["milvus-layer7-undo-writers"],
                      "StepsCheckLayer4": ["milvus-layer7-undo-readers"],
                      "StepsRestoreDns": ["milvus-layer7-undo-readers"],
                      "StepsCheckIngressDeleted": ["milvus-layer7-undo-readers"]}


def test_no_unacknowledged_cdk_nag_finding(default_synth, vpc_synth):
    # synth would have raised ValidationFailed; the report must be empty too
    assert default_synth.validation_violations() == []
    assert vpc_synth.validation_violations() == []
