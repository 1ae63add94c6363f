"""Issue "Network, IAM and Lambda lifecycle": each restriction a security review looks for, in the template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Annotations, Match

from layer7 import ownership
from stacks import rbac
from stacks.config import ConfigError, StackConfig
from stacks.grants import normalized_record_name
from tests.infra.conftest import VPC_CONTEXT, synthesize
from tests.infra.test_permissions import _as_list, role_statements

KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CLUSTER_SG = "sg-0123456789abcdef0"


@pytest.fixture(scope="module")
def private_synth(tmp_path_factory):
    """A VPC deployment with a private endpoint's security group, a second listener port and a KMS key."""
    return synthesize(tmp_path_factory, **VPC_CONTEXT, clusterSecurityGroupId=CLUSTER_SG,
                      albListenPorts="443,8443", secretsKmsKeyArns=KMS_KEY)


def statements_with(synth, step: str, action: str) -> list[dict]:
    return [s for s in role_statements(synth, step) if action in _as_list(s["Action"])]


# --- Secrets and KMS -------------------------------------------------------------------------------------


def test_verify_grpc_reads_only_token_secrets(vpc_synth):
    (statement,) = statements_with(vpc_synth, "VerifyGrpc", "secretsmanager:GetSecretValue")
    resources = json.dumps(statement["Resource"])
    assert f":secret:{ownership.TOKEN_SECRET_PREFIX}*" in resources
    assert "milvus-cert" not in resources and ":secret:milvus-layer7/*" not in resources


def test_kms_decrypt_only_via_secrets_manager(private_synth, vpc_synth):
    for step in ("ImportCertificate", "VerifyGrpc"):
        (statement,) = statements_with(private_synth, step, "kms:Decrypt")
        assert statement["Resource"] == KMS_KEY
        via = statement["Condition"]["StringEquals"]["kms:ViaService"]
        assert via == {"Fn::Sub": "secretsmanager.${AWS::Region}.${AWS::URLSuffix}"}
    for step in ("ApplyIngress", "CheckLoadBalancer", "UpsertDns", "RemoveLayer4", "Validate"):
        assert not statements_with(private_synth, step, "kms:Decrypt")
    assert not statements_with(vpc_synth, "ImportCertificate", "kms:Decrypt")


def test_partial_secret_arn_gets_the_six_character_wildcard(tmp_path_factory):
    partial = "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-cert"
    synth = synthesize(tmp_path_factory, certificateSecretArn=partial)
    resources = json.dumps([s["Resource"] for s in statements_with(synth, "ImportCertificate",
                                                                    "secretsmanager:GetSecretValue")])
    assert f"{partial}-??????" in resources


@pytest.mark.parametrize("value", ["arn:aws:kms:us-east-1:123456789012:alias/secrets", "key/1234"])
def test_kms_context_takes_key_arns_only(value):
    with pytest.raises(ConfigError, match="secretsKmsKeyArns"):
        StackConfig.from_context({"clusterName": "c", "secretsKmsKeyArns": value}.get)


# --- ACM -------------------------------------------------------------------------------------------------


def test_acm_writes_only_on_managed_certificates(vpc_synth):
    writes = statements_with(vpc_synth, "ImportCertificate", "acm:ImportCertificate")
    assert len(writes) == 2
    new, reimport = sorted(writes, key=lambda s: s["Sid"])
    assert new["Sid"] == "ImportNewManagedCertificates"
    assert new["Condition"]["StringEquals"] == {
        f"aws:RequestTag/{ownership.TAG_MANAGED_BY}": ownership.MANAGED_BY}
    assert sorted(new["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"]) == sorted(
        ownership.CERTIFICATE_TAG_KEYS)
    assert reimport["Condition"] == {"StringEquals": {
        f"aws:ResourceTag/{ownership.TAG_MANAGED_BY}": ownership.MANAGED_BY}}
    for statement in statements_with(vpc_synth, "ImportCertificate", "acm:AddTagsToCertificate"):
        assert "Condition" in statement, statement


# --- Route 53 --------------------------------------------------------------------------------------------


def test_record_changes_limited_to_names_types_and_actions(vpc_synth):
    (statement,) = statements_with(vpc_synth, "UpsertDns", "route53:ChangeResourceRecordSets")
    assert _as_list(statement["Action"]) == ["route53:ChangeResourceRecordSets"]
    assert statement["Condition"] == {"ForAllValues:StringEquals": {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": ["milvus.example.com"],
        "route53:ChangeResourceRecordSetsRecordTypes": ["A", "AAAA", "CNAME"],
        "route53:ChangeResourceRecordSetsActions": ["CREATE", "UPSERT", "DELETE"],
    }}


def test_record_changes_without_fixed_host_still_limit_types(tmp_path_factory):
    synth = synthesize(tmp_path_factory, hostedZoneId="Z0123456789ABCDEFGHIJ")
    (statement,) = statements_with(synth, "UpsertDns", "route53:ChangeResourceRecordSets")
    conditions = statement["Condition"]["ForAllValues:StringEquals"]
    assert "route53:ChangeResourceRecordSetsNormalizedRecordNames" not in conditions
    assert conditions["route53:ChangeResourceRecordSetsRecordTypes"] == ["A", "AAAA", "CNAME"]


@pytest.mark.parametrize("name, normalized", [
    ("Milvus.Example.COM.", "milvus.example.com"),
    ("under_score.example.com", "under_score.example.com"),
    ("*.example.com", "\\052.example.com"),  # the developer guide's own example: \052 is *
])
def test_record_name_normalization(name, normalized):
    assert normalized_record_name(name) == normalized


# --- Network ---------------------------------------------------------------------------------------------


def _egress_ports(synth) -> set[int]:
    (group,) = [g for key, g in synth.of_type("AWS::EC2::SecurityGroup").items() if "FunctionsSecurityGroup" in key]
    return {rule["FromPort"] for rule in group["Properties"]["SecurityGroupEgress"]}


def test_egress_follows_the_listen_ports(private_synth, vpc_synth):
    # the ALB's listen ports, and the Layer-4 load balancer's port the undo verifies through (layer4Ports)
    assert _egress_ports(private_synth) == {443, 8443, 19530}
    assert _egress_ports(vpc_synth) == {443, 19530}
    variables = next(iter(private_synth.of_type("AWS::Lambda::Function").values()))["Properties"][
        "Environment"]["Variables"]
    assert variables["ALB_LISTEN_PORTS"] == "443,8443"


def test_cluster_security_group_rule_with_its_id(private_synth):
    private_synth.template.has_resource_properties("AWS::EC2::SecurityGroupIngress", {
        "GroupId": CLUSTER_SG, "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "SourceSecurityGroupId": {"Fn::GetAtt": [Match.string_like_regexp("FunctionsSecurityGroup"), "GroupId"]},
    })
    assert "FunctionsSecurityGroupId" in private_synth.raw["Outputs"]
    warnings = Annotations.from_stack(private_synth.stack).find_warning(
        "*", Match.string_like_regexp("clusterSecurityGroupId"))
    assert warnings == []


def test_without_its_id_synth_names_the_rule(vpc_synth):
    assert vpc_synth.of_type("AWS::EC2::SecurityGroupIngress") == {}
    Annotations.from_stack(vpc_synth.stack).has_warning(
        "*", Match.string_like_regexp("inbound rule TCP 443 from the FunctionsSecurityGroupId output"))


@pytest.mark.parametrize("key, value", [("albListenPorts", "443,0"), ("albListenPorts", "https"),
                                        ("clusterSecurityGroupId", "default")])
def test_network_context_is_checked(key, value):
    with pytest.raises(ConfigError, match=key):
        StackConfig.from_context({"clusterName": "c", **VPC_CONTEXT, key: value}.get)


def test_validate_reads_routes_only_in_a_vpc(vpc_synth, default_synth):
    assert statements_with(vpc_synth, "Validate", "ec2:DescribeRouteTables")
    assert not statements_with(default_synth, "Validate", "ec2:DescribeRouteTables")


# --- Kubernetes RBAC -------------------------------------------------------------------------------------


def test_rbac_manifest_grants_exactly_the_steps_verbs(default_synth):
    manifest = json.loads(default_synth.raw["Outputs"]["KubernetesRbacManifest"]["Value"])
    assert manifest == rbac.manifest("milvus")
    roles = {item["metadata"]["name"]: item for item in manifest["items"] if item["kind"] == "Role"}
    granted = {(rule["apiGroups"][0], rule["resources"][0], verb)
               for role in roles.values() for rule in role["rules"] for verb in rule["verbs"]}
    assert granted == {("networking.k8s.io", "ingresses", "get"), ("networking.k8s.io", "ingresses", "list"),
                       ("networking.k8s.io", "ingresses", "create"),
                       ("networking.k8s.io", "ingresses", "patch"), ("networking.k8s.io", "ingresses", "delete"),
                       ("", "services", "get"), ("", "services", "patch"), ("", "events", "list")}
    for name in ("milvus-layer7-reader", "milvus-layer7-undo-reader"):
        assert {verb for rule in roles[name]["rules"] for verb in rule["verbs"]} == {"get", "list"}
    # the undo deletes the Ingress, and nothing it may do creates or changes one
    undo_writer = {(rule["resources"][0], verb) for rule in roles["milvus-layer7-undo-writer"]["rules"]
                   for verb in rule["verbs"]}
    assert undo_writer == {("ingresses", "get"), ("ingresses", "delete"), ("services", "get"), ("services", "patch")}
    assert all(item["metadata"]["namespace"] == "milvus" for item in manifest["items"])
    bindings = {item["subjects"][0]["name"]: item["roleRef"]["name"]
                for item in manifest["items"] if item["kind"] == "RoleBinding"}
    assert bindings == {"milvus-layer7-writers": "milvus-layer7-writer",
                        "milvus-layer7-readers": "milvus-layer7-reader",
                        "milvus-layer7-undo-writers": "milvus-layer7-undo-writer",
                        "milvus-layer7-undo-readers": "milvus-layer7-undo-reader"}
    # nothing that reads Secrets, execs into pods or impersonates
    assert "secrets" not in json.dumps(manifest) and "impersonate" not in json.dumps(manifest)


def test_aws_auth_mapping_output(default_synth):
    value = json.dumps(default_synth.raw["Outputs"]["AwsAuthMapRoles"]["Value"])
    for group in ("milvus-layer7-writers", "milvus-layer7-readers", "milvus-layer7-undo-writers",
                  "milvus-layer7-undo-readers"):
        assert group in value


def test_docs_show_the_manifest_the_stack_ships():
    shown = (Path(__file__).resolve().parents[2] / "docs" / "RBAC.md").read_text()
    block = f"```yaml\n{rbac.manifest_yaml('milvus').rstrip()}\n```\n"
    assert block in shown, "docs/RBAC.md's RBAC manifest is stale: paste stacks.rbac.manifest_yaml('milvus')"
