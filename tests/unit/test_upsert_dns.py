"""UpsertDns / CheckDnsChange against moto's Route 53, with a moto ALB for its canonical zone."""

from __future__ import annotations

from types import SimpleNamespace

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from layer7.errors import InvalidInput, TransientError
from layer7.models import CheckDnsChangeEvent, DnsChange, UpsertDnsEvent
from upsert_dns import handler
from upsert_dns.logic import check_change, upsert_alias

HOST = "milvus.example.test"


@pytest.fixture
def aws():
    with mock_aws():
        route53, ec2, elbv2 = boto3.client("route53"), boto3.client("ec2"), boto3.client("elbv2")
        zone = route53.create_hosted_zone(Name="example.test", CallerReference="test")["HostedZone"]
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{az}")
            for i, az in enumerate("ab")
        ]
        subnets = [subnet["Subnet"]["SubnetId"] for subnet in subnets]
        alb = elbv2.create_load_balancer(Name="k8s-milvus-milvusde", Subnets=subnets)["LoadBalancers"][0]
        yield SimpleNamespace(route53=route53, elbv2=elbv2, zone_id=zone["Id"].split("/")[-1], alb=alb)


def step(aws, *, zone_id=None, host=HOST, canonical=True) -> dict:
    return {
        "correlationId": "arn:aws:states:us-east-1:123456789012:execution:sm:run-1",
        "request": {
            "host": host,
            "certificate": {"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"},
            "clusterName": "milvus", "namespace": "milvus", "serviceName": "milvus-demo", "servicePort": 19530,
            "ingressName": "milvus-demo", "scheme": "internet-facing", "listenPort": 443, "ingressAnnotations": {},
            "layer4": "remove", "verify": {}, "hostedZoneId": zone_id or aws.zone_id, "albTimeoutSeconds": 900,
        },
        "loadBalancer": {
            "ready": True, "dnsName": aws.alb["DNSName"], "arn": aws.alb["LoadBalancerArn"], "state": "active",
            "healthyTargets": 1, "listenPort": 443,
            "canonicalHostedZoneId": aws.alb["CanonicalHostedZoneId"] if canonical else None,
        },
    }  # fmt: skip


def alias_record(aws) -> dict:
    records = aws.route53.list_resource_record_sets(HostedZoneId=aws.zone_id)["ResourceRecordSets"]
    return next(r for r in records if r["Name"] == f"{HOST}." and r["Type"] == "A")


def test_upsert_creates_an_alias_to_the_dualstack_name(aws):
    # When UpsertDns runs for the host in its zone
    change = upsert_alias(UpsertDnsEvent.model_validate(step(aws)), route53=aws.route53)
    # Then an A alias points at the ALB, in the ALB's own zone, with target health
    assert alias_record(aws)["AliasTarget"] == {
        "HostedZoneId": aws.alb["CanonicalHostedZoneId"],
        "DNSName": f"dualstack.{aws.alb['DNSName']}",
        "EvaluateTargetHealth": True,
    }
    assert change.name == HOST and change.hosted_zone_id == aws.zone_id
    assert change.change_id and not change.change_id.startswith("/")
    assert change.status in ("PENDING", "INSYNC")


def test_upsert_twice_is_harmless_and_accepts_a_prefixed_zone_id(aws):
    event = UpsertDnsEvent.model_validate(step(aws, zone_id=f"/hostedzone/{aws.zone_id}"))
    upsert_alias(event, route53=aws.route53)
    upsert_alias(event, route53=aws.route53)
    records = aws.route53.list_resource_record_sets(HostedZoneId=aws.zone_id)["ResourceRecordSets"]
    assert len([r for r in records if r["Name"] == f"{HOST}."]) == 1


def test_canonical_zone_is_looked_up_when_missing(aws):
    event = UpsertDnsEvent.model_validate(step(aws, canonical=False))
    upsert_alias(event, route53=aws.route53, elbv2=aws.elbv2)
    assert alias_record(aws)["AliasTarget"]["HostedZoneId"] == aws.alb["CanonicalHostedZoneId"]


def test_missing_zone_is_invalid_input(aws):
    with pytest.raises(InvalidInput, match="ZNOSUCHZONE"):
        upsert_alias(UpsertDnsEvent.model_validate(step(aws, zone_id="ZNOSUCHZONE")), route53=aws.route53)


def test_host_outside_the_zone_is_invalid_input(aws):
    with pytest.raises(InvalidInput, match="not inside the hosted zone"):
        upsert_alias(UpsertDnsEvent.model_validate(step(aws, host="milvus.other.test")), route53=aws.route53)


def test_throttling_is_transient(aws):
    class Throttled:
        def get_hosted_zone(self, **_):
            error = {"Error": {"Code": "Throttling", "Message": "Rate exceeded"}, "ResponseMetadata": {}}
            raise ClientError(error, "GetHostedZone")

    with pytest.raises(TransientError):
        upsert_alias(UpsertDnsEvent.model_validate(step(aws)), route53=Throttled())


def test_check_change_reports_the_current_status(aws):
    change = upsert_alias(UpsertDnsEvent.model_validate(step(aws)), route53=aws.route53)
    pending = change.model_copy(update={"status": "PENDING"})
    event = CheckDnsChangeEvent.model_validate({**step(aws), "dnsRecord": pending.to_wire()})
    checked = check_change(event, route53=aws.route53)
    assert checked == change.model_copy(update={"status": "INSYNC"})


def test_handlers_return_wire_dicts(aws, lambda_context):
    out = handler.lambda_handler(step(aws), lambda_context, route53=aws.route53, elbv2=aws.elbv2)
    assert set(out) == {"name", "hostedZoneId", "changeId", "status"}
    again = handler.check_change_handler({**step(aws), "dnsRecord": out}, lambda_context, route53=aws.route53)
    assert DnsChange.model_validate(again).change_id == out["changeId"]
