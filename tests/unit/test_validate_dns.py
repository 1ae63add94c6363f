"""Validate's look at the host's records: an AAAA record stays only as an alias to a dualstack ALB, else a refusal
before anything changes."""

import boto3
import pytest
from moto import mock_aws

from layer7.errors import InvalidInput
from validate.dns import check_host_records

HOST = "milvus.example.test"
AAAA = {"Name": f"{HOST}.", "Type": "AAAA", "TTL": 300, "ResourceRecords": [{"Value": "2001:db8::1"}]}
CNAME = {"Name": f"{HOST}.", "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": "nlb.elb.amazonaws.com"}]}
DUALSTACK = {"alb.ingress.kubernetes.io/ip-address-type": "dualstack"}


@pytest.fixture
def zone():
    with mock_aws():
        route53 = boto3.client("route53")
        zone_id = route53.create_hosted_zone(Name="example.test", CallerReference="t")["HostedZone"]["Id"]
        yield route53, zone_id.split("/")[-1]


def put(route53, zone_id, record):
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={
        "Changes": [{"Action": "CREATE", "ResourceRecordSet": record}]})


def test_an_aaaa_record_with_an_ipv4_alb_is_refused_naming_the_record_and_the_annotation(zone):
    route53, zone_id = zone
    put(route53, zone_id, AAAA)
    with pytest.raises(InvalidInput) as caught:
        check_host_records(route53, zone_id, HOST, {})
    assert f"host {HOST} has an AAAA record in {zone_id}" in str(caught.value)
    assert '"alb.ingress.kubernetes.io/ip-address-type": "dualstack"' in str(caught.value)
    assert "nothing was changed" in str(caught.value)


@pytest.mark.parametrize("value", ["dualstack", "dualstack-without-public-ipv4"])
def test_an_aaaa_record_with_a_dualstack_alb_passes(zone, value):
    route53, zone_id = zone
    put(route53, zone_id, AAAA)
    check_host_records(route53, zone_id, HOST, {"alb.ingress.kubernetes.io/ip-address-type": value})


def test_no_aaaa_record_passes_and_another_hosts_aaaa_is_not_ours(zone):
    route53, zone_id = zone
    put(route53, zone_id, CNAME)
    put(route53, zone_id, {**AAAA, "Name": f"other.{HOST}."})
    check_host_records(route53, zone_id, HOST, {})
