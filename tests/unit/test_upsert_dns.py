"""UpsertDns against moto's Route 53, with a moto ALB for its canonical zone and a fake Kubernetes API:
the host's old records replaced in one batch, recorded on the Ingress first, their TTL waited out."""

from __future__ import annotations

import json
from types import SimpleNamespace

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from layer7 import kube as k8s
from layer7.errors import InvalidInput, TransientError
from layer7.models import UpsertDnsEvent
from tests.unit.kube_fakes import FakeKube
from upsert_dns import handler
from upsert_dns.logic import DNS_RECORD_ANNOTATION, upsert_alias

HOST = "milvus.example.test"
INGRESS = k8s.ingress_path("milvus", "milvus-demo")
NLB = "k8s-milvus-milvusde-0123456789-abcdef0123456789.elb.us-east-1.amazonaws.com"
OLD_CNAME = {"Name": f"{HOST}.", "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": NLB}]}


@pytest.fixture
def aws():
    with mock_aws():
        route53, ec2, elbv2 = boto3.client("route53"), boto3.client("ec2"), boto3.client("elbv2")
        zone = route53.create_hosted_zone(Name="example.test", CallerReference="test")["HostedZone"]
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{az}")
                   ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
        alb = elbv2.create_load_balancer(Name="k8s-milvus-milvusde", Subnets=subnets)["LoadBalancers"][0]
        kube = FakeKube({INGRESS: {"metadata": {"name": "milvus-demo", "namespace": "milvus", "annotations": {}}}})
        yield SimpleNamespace(route53=route53, elbv2=elbv2, zone_id=zone["Id"].split("/")[-1], alb=alb, kube=kube)


def step(aws, *, zone_id=None, host=HOST, canonical=True, drain=60, annotations=None) -> dict:
    return {
        "correlationId": "arn:aws:states:us-east-1:123456789012:execution:sm:run-1",
        "request": {
            "host": host,
            "certificate": {"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"},
            "clusterName": "milvus", "namespace": "milvus", "serviceName": "milvus-demo", "servicePort": 19530,
            "ingressName": "milvus-demo", "scheme": "internet-facing", "listenPort": 443,
            "ingressAnnotations": annotations or {},
            "layer4": "remove", "verify": {}, "hostedZoneId": zone_id or aws.zone_id, "albTimeoutSeconds": 900,
            "layer4DrainSeconds": drain,
        },
        "loadBalancer": {
            "ready": True, "dnsName": aws.alb["DNSName"], "arn": aws.alb["LoadBalancerArn"], "state": "active",
            "healthyTargets": 1, "listenPort": 443,
            "canonicalHostedZoneId": aws.alb["CanonicalHostedZoneId"] if canonical else None,
        },
    }  # fmt: skip


def upsert(aws, **kwargs):
    return upsert_alias(UpsertDnsEvent.model_validate(step(aws, **kwargs)), route53=aws.route53, kube=aws.kube,
                        elbv2=aws.elbv2)


def records_at_host(aws) -> list[dict]:
    records = aws.route53.list_resource_record_sets(HostedZoneId=aws.zone_id)["ResourceRecordSets"]
    return [r for r in records if r["Name"] == f"{HOST}."]


def create(aws, record: dict) -> None:
    aws.route53.change_resource_record_sets(HostedZoneId=aws.zone_id, ChangeBatch={
        "Changes": [{"Action": "CREATE", "ResourceRecordSet": record}]})


def recorded(aws) -> dict:
    return json.loads(aws.kube.objects[INGRESS]["metadata"]["annotations"][DNS_RECORD_ANNOTATION])


def test_a_new_name_gets_an_alias_to_the_dualstack_name(aws):
    # When UpsertDns runs for a host nothing answered for yet
    change = upsert(aws)
    # Then an A alias points at the ALB, in the ALB's own zone, with target health
    [record] = records_at_host(aws)
    assert record["AliasTarget"] == {"HostedZoneId": aws.alb["CanonicalHostedZoneId"],
                                     "DNSName": f"dualstack.{aws.alb['DNSName']}", "EvaluateTargetHealth": True}
    assert change.name == HOST and change.hosted_zone_id == aws.zone_id
    assert change.change_id and not change.change_id.startswith("/")
    # and nothing was replaced, so only the drain is waited
    assert (change.replaced, change.wait_seconds) == ([], 60)
    assert recorded(aws) == {"hostedZoneId": aws.zone_id, "name": HOST, "records": [], "layer4Address": None}


def test_the_guides_cname_to_the_nlb_is_replaced_in_one_batch_and_recorded_first(aws):
    # Given host answered by a CNAME to the Layer-4 load balancer (TTL 60)
    create(aws, OLD_CNAME)
    # When UpsertDns runs
    change = upsert(aws, drain=30)
    # Then the CNAME is gone and the alias is there (a CNAME cannot share its name: one batch, DELETE first)
    assert [r["Type"] for r in records_at_host(aws)] == ["A"]
    [batch] = [c for c in aws.kube.calls if c["method"] == "PATCH"]
    assert batch["query"] == {"fieldManager": "milvus-layer7-dns"}
    # and what it replaced is on the Ingress, and in the output, with its TTL plus the drain to wait
    assert recorded(aws)["records"] == [OLD_CNAME] == change.replaced
    assert change.wait_seconds == 60 + 30


def test_a_rerun_keeps_the_original_record_it_replaced(aws):
    create(aws, OLD_CNAME)
    upsert(aws)
    # When it runs again, finding its own alias in place
    again = upsert(aws)
    # Then the record of the original stays (the undo needs it), and nothing is written to the Ingress again
    assert again.replaced == [OLD_CNAME] and recorded(aws)["records"] == [OLD_CNAME]
    assert len([c for c in aws.kube.calls if c["method"] == "PATCH"]) == 1
    assert [r["Type"] for r in records_at_host(aws)] == ["A"]
    # And Route 53 is not asked for a change (a renewal's DNS costs one read), yet the drain is still owed
    assert (again.change_id, again.status, again.wait_seconds) == ("", "INSYNC", 60 + 60)


def test_a_rerun_onto_a_new_alb_keeps_the_original_record_not_the_alias_to_the_old_alb(aws):
    # Given a setup that replaced the guide's CNAME with an alias to its ALB
    create(aws, OLD_CNAME)
    upsert(aws)
    # When a rerun (replaceLoadBalancer, or an Ingress the controller rebuilt) finds that alias and a new ALB
    subnets = aws.alb["AvailabilityZones"]
    aws.alb = aws.elbv2.create_load_balancer(Name="k8s-milvus-milvusnew",
                                             Subnets=[zone["SubnetId"] for zone in subnets])["LoadBalancers"][0]
    again = upsert(aws)
    # Then the host is an alias to the new ALB alone
    [record] = records_at_host(aws)
    assert record["AliasTarget"]["DNSName"].rstrip(".") == f"dualstack.{aws.alb['DNSName']}".lower()
    # and the record of the original stays the CNAME to the Layer-4 load balancer: the undo restores that, not an
    # alias to an ALB that is gone by then
    assert recorded(aws)["records"] == [OLD_CNAME] == again.replaced


DUALSTACK = {"alb.ingress.kubernetes.io/ip-address-type": "dualstack"}
AAAA = {"Name": f"{HOST}.", "Type": "AAAA", "TTL": 300, "ResourceRecords": [{"Value": "2001:db8::1"}]}


def test_an_aaaa_record_becomes_an_aaaa_alias_to_a_dualstack_alb(aws):
    # Given IPv6 clients reach the host through an AAAA record, and the Ingress makes the ALB dualstack
    create(aws, AAAA)
    change = upsert(aws, drain=0, annotations=DUALSTACK)
    # Then the host has an A and an AAAA alias to the ALB, and the AAAA record is recorded for the undo
    alias = {"HostedZoneId": aws.alb["CanonicalHostedZoneId"], "DNSName": f"dualstack.{aws.alb['DNSName']}",
             "EvaluateTargetHealth": True}
    assert sorted((r["Type"], r.get("AliasTarget")) for r in records_at_host(aws)) == [("A", alias), ("AAAA", alias)]
    assert change.replaced == [AAAA] == recorded(aws)["records"] and change.wait_seconds == 300
    # and a rerun finds both its aliases in place and keeps the record of the original
    again = upsert(aws, drain=0, annotations=DUALSTACK)
    assert again.replaced == [AAAA] and len(records_at_host(aws)) == 2


def test_an_aaaa_record_with_an_ipv4_alb_is_refused_and_nothing_changes(aws):
    # Given an AAAA record at the host and an Ingress without the dualstack annotation
    create(aws, AAAA)
    # Then UpsertDns (the last guard; Validate refuses first) names the record and the annotation
    with pytest.raises(InvalidInput, match=r"AAAA record .*alb\.ingress\.kubernetes\.io/ip-address-type"):
        upsert(aws)
    # and the AAAA record is still there, nothing recorded
    assert records_at_host(aws) == [AAAA]
    assert DNS_RECORD_ANNOTATION not in aws.kube.objects[INGRESS]["metadata"]["annotations"]


SERVICE = k8s.service_path("milvus", "milvus-demo")


def test_the_layer4_address_the_records_pointed_at_is_recorded_with_them(aws):
    # Given the Service with its NLB, the host a CNAME to it
    aws.kube.objects[SERVICE] = {"metadata": {"name": "milvus-demo", "namespace": "milvus"},
                                 "status": {"loadBalancer": {"ingress": [{"hostname": NLB}]}}}
    create(aws, OLD_CNAME)
    # When UpsertDns runs
    upsert(aws)
    # Then the annotation names the NLB too: the undo retargets to the NLB serving then whatever pointed here
    assert recorded(aws)["layer4Address"] == NLB


def test_a_rerun_after_remove_layer4_keeps_the_recorded_address(aws):
    # Given a first run recorded the NLB, and RemoveLayer4 has made the Service ClusterIP since
    aws.kube.objects[SERVICE] = {"metadata": {"name": "milvus-demo", "namespace": "milvus"},
                                 "status": {"loadBalancer": {"ingress": [{"hostname": NLB}]}}}
    create(aws, OLD_CNAME)
    upsert(aws)
    aws.kube.objects[SERVICE] = {"metadata": {"name": "milvus-demo", "namespace": "milvus"}, "status": {}}
    # When UpsertDns runs again
    upsert(aws)
    # Then the address stays recorded, and nothing is written to the Ingress again
    assert recorded(aws)["layer4Address"] == NLB
    assert len([c for c in aws.kube.calls if c["method"] == "PATCH" and c["path"] == INGRESS]) == 1


def test_an_annotation_written_before_the_address_field_gets_it_from_the_layer4_record(aws):
    # Given an annotation without layer4Address, and the Service ClusterIP with RemoveLayer4's record
    create(aws, OLD_CNAME)
    upsert(aws)
    old = {k: v for k, v in recorded(aws).items() if k != "layer4Address"}
    aws.kube.objects[INGRESS]["metadata"]["annotations"][DNS_RECORD_ANNOTATION] = json.dumps(old)
    aws.kube.objects[SERVICE] = {"metadata": {"name": "milvus-demo", "namespace": "milvus", "annotations": {
        "milvus-layer7/layer4": json.dumps({"type": "LoadBalancer", "spec": {}, "annotations": {}, "address": NLB})}}}
    # When UpsertDns runs again
    upsert(aws)
    # Then the records are kept and the address comes from the record
    assert recorded(aws) == {**old, "layer4Address": NLB}


def test_a_ttl_longer_than_the_workflow_waits_is_refused_before_anything_changes(aws):
    create(aws, {**OLD_CNAME, "TTL": 86400})
    with pytest.raises(InvalidInput, match="TTL of 86400 s"):
        upsert(aws)
    assert [r["Type"] for r in records_at_host(aws)] == ["CNAME"]
    assert DNS_RECORD_ANNOTATION not in aws.kube.objects[INGRESS]["metadata"]["annotations"]


def test_records_with_a_routing_policy_are_left_to_a_person(aws):
    create(aws, {**OLD_CNAME, "SetIdentifier": "blue", "Weight": 100})
    with pytest.raises(InvalidInput, match="routing policy"):
        upsert(aws)


def test_canonical_zone_is_looked_up_when_missing(aws):
    upsert(aws, canonical=False)
    [record] = records_at_host(aws)
    assert record["AliasTarget"]["HostedZoneId"] == aws.alb["CanonicalHostedZoneId"]


def test_a_prefixed_zone_id_is_accepted(aws):
    upsert(aws, zone_id=f"/hostedzone/{aws.zone_id}")
    assert len(records_at_host(aws)) == 1


def test_missing_zone_is_invalid_input(aws):
    with pytest.raises(InvalidInput, match="ZNOSUCHZONE"):
        upsert(aws, zone_id="ZNOSUCHZONE")


def test_host_outside_the_zone_is_invalid_input(aws):
    with pytest.raises(InvalidInput, match="not inside the hosted zone"):
        upsert(aws, host="milvus.other.test")


def test_throttling_is_transient(aws):
    class Throttled:
        def get_hosted_zone(self, **_):
            error = {"Error": {"Code": "Throttling", "Message": "Rate exceeded"}, "ResponseMetadata": {}}
            raise ClientError(error, "GetHostedZone")

    with pytest.raises(TransientError):
        upsert_alias(UpsertDnsEvent.model_validate(step(aws)), route53=Throttled(), kube=aws.kube)


def test_handler_returns_the_wire_dict(aws, lambda_context):
    out = handler.lambda_handler(step(aws), lambda_context, route53=aws.route53, elbv2=aws.elbv2,
                                 connect=lambda name: aws.kube)
    assert set(out) == {"name", "hostedZoneId", "changeId", "status", "replaced", "waitSeconds", "submittedAt"}
    assert aws.kube.closed
