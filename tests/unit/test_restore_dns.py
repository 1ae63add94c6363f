"""RestoreDns against moto's Route 53: what setup replaced comes back, pointed at the Layer-4 load balancer the
undo brought back, in one batch; a second run writes nothing."""

from __future__ import annotations

import json
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from layer7 import kube as k8s
from layer7.errors import InvalidInput
from layer7.undo_models import RestoreDnsEvent
from restore_dns import handler
from restore_dns.logic import restore_dns
from tests.unit.kube_fakes import FakeKube
from tests.unit.undo_events import HOST, NEW_NLB, OLD_NLB, layer4, restore, wire
from upsert_dns.logic import DNS_RECORD_ANNOTATION

INGRESS = k8s.ingress_path("milvus", "milvus-demo")
ALB = "k8s-milvus-milvusde-0123456789-1234567890.us-east-1.elb.amazonaws.com"
OLD_CNAME = {"Name": f"{HOST}.", "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": OLD_NLB}]}


def alias() -> dict:
    return {"Name": f"{HOST}.", "Type": "A",
            "AliasTarget": {"HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": f"dualstack.{ALB}.",
                            "EvaluateTargetHealth": True}}


@pytest.fixture
def aws():
    with mock_aws():
        route53 = boto3.client("route53")
        zone = route53.create_hosted_zone(Name="example.test", CallerReference="t")["HostedZone"]["Id"].split("/")[-1]
        route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
            {"Action": "CREATE", "ResourceRecordSet": alias()}]})  # what UpsertDns left
        yield SimpleNamespace(route53=route53, zone=zone)


def ingress(zone: str, records: list[dict], **fields: str) -> dict:
    annotation = json.dumps({"hostedZoneId": zone, "name": HOST, "records": records, **fields})
    return {"metadata": {"name": "milvus-demo", "namespace": "milvus",
                         "annotations": {DNS_RECORD_ANNOTATION: annotation}},
            "status": {"loadBalancer": {"ingress": [{"hostname": ALB}]}}}


def run(aws, kube, stack_zone=None, previous_address=OLD_NLB, address=NEW_NLB, **request):
    event = RestoreDnsEvent.model_validate(wire(restore=restore(previous_address), layer4=layer4(address), **request))
    return restore_dns(event, kube=kube, route53_client=lambda: aws.route53,
                       stack_zone=aws.zone if stack_zone is None else stack_zone, now=lambda: 5.0)


def records(aws) -> list[dict]:
    answer = aws.route53.list_resource_record_sets(HostedZoneId=aws.zone)["ResourceRecordSets"]
    return [r for r in answer if r["Name"] == f"{HOST}."]


def test_the_cname_to_the_old_nlb_comes_back_pointing_at_the_new_one_and_the_alias_goes(aws):
    # Given setup's alias to the ALB, and its record of the CNAME to the NLB it replaced
    kube = FakeKube({INGRESS: ingress(aws.zone, [OLD_CNAME])})
    # When RestoreDns runs
    restored = run(aws, kube)
    # Then the host is a CNAME again, to the Layer-4 load balancer the undo brought back, and nothing else
    new_cname = {**OLD_CNAME, "ResourceRecords": [{"Value": NEW_NLB}]}
    assert records(aws) == [new_cname]
    # and the change is reported for the INSYNC wait, with the alias's TTL and the drain to wait out
    assert restored is not None
    assert (restored.status, restored.replaced, restored.restored, restored.wait_seconds) == (
        "INSYNC", [alias()], [new_cname], 60 + 60)
    assert restored.change_id and restored.warnings == []


def test_a_second_run_finds_dns_restored_and_writes_nothing(aws):
    kube = FakeKube({INGRESS: ingress(aws.zone, [OLD_CNAME])})
    run(aws, kube)
    again = run(aws, kube)
    assert again is not None and (again.change_id, again.status, again.replaced) == ("", "INSYNC", [])
    assert again.wait_seconds == 120  # an earlier run may have stopped before its wait was out


def test_the_aaaa_alias_of_a_dualstack_alb_goes_and_the_aaaa_record_it_replaced_comes_back(aws):
    # Given setup replaced an AAAA record with an AAAA alias beside the A alias (a dualstack ALB)
    aaaa = {"Name": f"{HOST}.", "Type": "AAAA", "TTL": 300, "ResourceRecords": [{"Value": "2001:db8::1"}]}
    aaaa_alias = {**alias(), "Type": "AAAA"}
    aws.route53.change_resource_record_sets(HostedZoneId=aws.zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": aaaa_alias}]})
    kube = FakeKube({INGRESS: ingress(aws.zone, [aaaa])})
    # When RestoreDns runs
    restored = run(aws, kube)
    # Then both aliases are gone and the AAAA record is back as it was
    assert records(aws) == [aaaa]
    assert restored is not None and sorted(r["Type"] for r in restored.replaced) == ["A", "AAAA"]


def test_when_setup_replaced_nothing_only_its_alias_goes(aws):
    kube = FakeKube({INGRESS: ingress(aws.zone, [])})
    restored = run(aws, kube)
    assert records(aws) == [] and restored is not None and restored.restored == []


def test_a_record_that_never_named_the_layer4_load_balancer_comes_back_as_it_was_and_is_said(aws):
    elsewhere = {**OLD_CNAME, "ResourceRecords": [{"Value": "legacy.example.net"}]}
    kube = FakeKube({INGRESS: ingress(aws.zone, [elsewhere])})
    restored = run(aws, kube)
    assert records(aws) == [elsewhere]
    assert restored is not None and restored.warnings == [
        f"CNAME {HOST} is restored as it was, pointing at legacy.example.net, not at the Service's Layer-4 load "
        f"balancer {NEW_NLB}"]


def test_no_record_on_the_ingress_means_nothing_to_restore(aws):
    kube = FakeKube({INGRESS: {"metadata": {"name": "milvus-demo", "namespace": "milvus"}}})
    assert run(aws, kube) is None
    assert run(aws, FakeKube()) is None  # no Ingress at all
    assert records(aws) == [alias()]


def test_a_recorded_zone_that_is_not_the_stacks_is_refused_and_dns_is_unchanged(aws):
    kube = FakeKube({INGRESS: ingress(aws.zone, [OLD_CNAME])})
    with pytest.raises(InvalidInput, match="which is not the stack's"):
        run(aws, kube, stack_zone="ZOTHERZONE")
    assert records(aws) == [alias()]


def test_the_handler_returns_null_without_a_record(aws, lambda_context, monkeypatch):
    monkeypatch.setenv("HOSTED_ZONE_ID", aws.zone)
    kube = FakeKube({})
    out = handler.lambda_handler(wire(restore=restore(), layer4=layer4()), lambda_context, route53=aws.route53,
                                 connect=lambda name: kube)
    assert out is None and kube.closed


MID_NLB = "a0123456789abcdef0123456789abcde-00000000aaaaaaaa.elb.us-east-1.amazonaws.com"


def test_a_rerun_after_remove_layer4s_record_went_still_retargets_by_the_annotations_address(aws):
    # Given an undo failed after RestoreLayer4 took the Service's record away (at VerifyLayer4, say): the rerun
    # has no previous address, but UpsertDns recorded the NLB the CNAME pointed at
    kube = FakeKube({INGRESS: ingress(aws.zone, [OLD_CNAME], layer4Address=OLD_NLB)})
    # When RestoreDns runs in the rerun
    restored = run(aws, kube, previous_address=None)
    # Then the CNAME points at the NLB serving now, never at the deleted one
    assert records(aws) == [{**OLD_CNAME, "ResourceRecords": [{"Value": NEW_NLB}]}]
    assert restored is not None and restored.warnings == []


def test_an_annotation_without_the_address_field_still_retargets_by_the_layer4_record(aws):
    kube = FakeKube({INGRESS: ingress(aws.zone, [OLD_CNAME])})
    run(aws, kube, previous_address=OLD_NLB)
    assert records(aws) == [{**OLD_CNAME, "ResourceRecords": [{"Value": NEW_NLB}]}]


def test_a_rerun_after_the_nlb_was_replaced_again_moves_the_cname_to_the_current_one(aws):
    # Given an earlier undo pointed the host at the NLB it had then, and the Service has another one since
    kube = FakeKube({INGRESS: ingress(aws.zone, [OLD_CNAME], layer4Address=OLD_NLB)})
    run(aws, kube, previous_address=OLD_NLB, address=MID_NLB)
    assert records(aws) == [{**OLD_CNAME, "ResourceRecords": [{"Value": MID_NLB}]}]
    # When the undo runs again (RestoreLayer4's record is gone by now)
    again = run(aws, kube, previous_address=None, address=NEW_NLB)
    # Then the CNAME names the NLB serving now, in one batch that replaced the earlier one
    assert records(aws) == [{**OLD_CNAME, "ResourceRecords": [{"Value": NEW_NLB}]}]
    assert again is not None and again.replaced == [{**OLD_CNAME, "ResourceRecords": [{"Value": MID_NLB}]}]
    # and a third run finds nothing to do
    third = run(aws, kube, previous_address=None, address=NEW_NLB)
    assert third is not None and third.change_id == ""


def test_a_cname_someone_pointed_elsewhere_is_not_taken_for_an_earlier_run(aws):
    # Given the host was pointed, since, at something that is not a load balancer
    kube = FakeKube({INGRESS: ingress(aws.zone, [OLD_CNAME], layer4Address=OLD_NLB)})
    run(aws, kube)
    aws.route53.change_resource_record_sets(HostedZoneId=aws.zone, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {**OLD_CNAME, "ResourceRecords": [{"Value": "other.example"}]}}]})
    # When the undo runs again, Route 53 refuses the batch and DNS is unchanged
    with pytest.raises(InvalidInput):
        run(aws, kube, previous_address=None)
    assert records(aws) == [{**OLD_CNAME, "ResourceRecords": [{"Value": "other.example"}]}]
