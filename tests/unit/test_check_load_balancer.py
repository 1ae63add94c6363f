"""CheckLoadBalancer: ready only with an address, an active ALB and a healthy target; rejected at once on a Warning."""

import datetime

import boto3
import pytest
from moto import mock_aws

from check_load_balancer import handler
from check_load_balancer.logic import check_load_balancer, next_wait
from layer7 import kube as k8s
from layer7.errors import IngressRejected, KubernetesForbidden, LoadBalancerTimeout
from layer7.observability import metrics
from apply_ingress.logic import apply_ingress
from tests.unit.kube_fakes import (
    FakeKube,
    apply_event,
    check_event,
)

INGRESS = k8s.ingress_path("milvus", "milvus-demo")
DNS = "k8s-milvus-milvusde-0123456789-1234567890.us-east-1.elb.amazonaws.com"
LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/k8s-milvus-milvusde/0123456789"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/k8s-milvus-milvusde/abcdef"
T0 = 1_800_000_000.0


def iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ingress(hostname: str | None = DNS, applied: float = T0) -> dict:
    status = {"loadBalancer": {"ingress": [{"hostname": hostname}]}} if hostname else {"loadBalancer": {}}
    managed = [{"manager": "milvus-layer7", "operation": "Apply", "time": iso(applied)}]
    return {"metadata": {"name": "milvus-demo", "namespace": "milvus", "managedFields": managed}, "status": status}


def warning(reason: str = "FailedDeployModel", at: float = T0 + 5, message: str = "CertificateNotFound: cert not found") -> dict:
    return {
        "type": "Warning",
        "reason": reason,
        "message": message,
        "involvedObject": {"kind": "Ingress", "name": "milvus-demo", "namespace": "milvus"},
        "source": {"component": "ingress"},
        "lastTimestamp": iso(at),
    }


class FakeElbv2:
    """DescribeLoadBalancers one per page (so paging is exercised), target groups and health."""

    def __init__(self, state: str = "active", healthy: int = 1, others: int = 2):
        lbs = [{"LoadBalancerArn": f"{LB_ARN}-{i}", "DNSName": f"other-{i}.elb.amazonaws.com", "State": {"Code": "active"}}
               for i in range(others)]
        lbs.append({"LoadBalancerArn": LB_ARN, "DNSName": DNS.upper(), "State": {"Code": state},
                    "CanonicalHostedZoneId": "Z35SXDOTRQ7X7K"})
        self.lbs = lbs
        self.health = ["healthy"] * healthy + ["initial"]
        self.calls: list[str] = []

    def get_paginator(self, name):
        assert name == "describe_load_balancers"
        fake = self

        class Paginator:
            def paginate(self):
                fake.calls.append(name)
                for lb in fake.lbs:
                    yield {"LoadBalancers": [lb]}

        return Paginator()

    def describe_target_groups(self, LoadBalancerArn):
        self.calls.append("describe_target_groups")
        return {"TargetGroups": [{"TargetGroupArn": TG_ARN}]} if LoadBalancerArn == LB_ARN else {"TargetGroups": []}

    def describe_target_health(self, TargetGroupArn):
        self.calls.append("describe_target_health")
        return {"TargetHealthDescriptions": [{"Target": {"Id": f"10.0.0.{i}"}, "TargetHealth": {"State": s}}
                                             for i, s in enumerate(self.health)]}


@pytest.fixture(autouse=True)
def _no_metric_leaks():
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


def test_active_alb_with_a_healthy_target_is_ready():
    # Given an Ingress with an address and an active ALB with one healthy target, 60 s after the apply
    kube = FakeKube({INGRESS: ingress()})
    elbv2 = FakeElbv2("active", healthy=1)
    # When CheckLoadBalancer looks
    status = check_load_balancer(check_event(applied_at=T0), kube, elbv2, now=lambda: T0 + 60)
    # Then it is ready, with everything the later steps need
    assert status.to_wire() == {
        "ready": True,
        "dnsName": DNS,
        "arn": LB_ARN,
        "state": "active",
        "healthyTargets": 1,
        "listenPort": 443,
        "canonicalHostedZoneId": "Z35SXDOTRQ7X7K",
        "waitSeconds": 0,
        "elapsedSeconds": 60.0,
    }
    # And the wait is recorded as a metric
    assert metrics.metric_set["AlbWaitSeconds"]["Unit"] == "Seconds"
    assert metrics.metric_set["AlbWaitSeconds"]["Value"] == [60.0]


def test_no_address_yet_is_not_ready_and_asks_for_a_short_wait():
    # Given an Ingress the controller has not addressed yet, 3 s after the apply
    kube = FakeKube({INGRESS: ingress(hostname=None)})
    elbv2 = FakeElbv2()
    # When CheckLoadBalancer looks
    status = check_load_balancer(check_event(applied_at=T0), kube, elbv2, now=lambda: T0 + 3)
    # Then it is not ready, waits the minimum, and did not ask ELBv2
    assert (status.ready, status.dns_name, status.state, status.wait_seconds) == (False, None, None, 2)
    assert elbv2.calls == []
    assert "AlbWaitSeconds" not in metrics.metric_set


@pytest.mark.parametrize(("state", "healthy"), [("provisioning", 0), ("active", 0), ("provisioning", 1)])
def test_an_address_alone_is_not_readiness(state, healthy):
    # Given an address, but an ALB still provisioning or without healthy targets
    kube = FakeKube({INGRESS: ingress()})
    status = check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2(state, healthy), now=lambda: T0 + 40)
    # Then it is not ready, and says what it saw
    assert not status.ready
    assert status.state == state and status.arn == LB_ARN and status.wait_seconds == 10


def test_warning_event_from_the_controller_rejects_at_once():
    # Given the controller recorded FailedDeployModel on the Ingress after the apply
    message = "Failed deploy model due to CertificateNotFound: Certificate 'arn:aws:acm:...' not found"
    kube = FakeKube({INGRESS: ingress()}, events=[warning(message=message)])
    elbv2 = FakeElbv2()
    # When CheckLoadBalancer looks, well before the timeout
    with pytest.raises(IngressRejected) as caught:
        check_load_balancer(check_event(applied_at=T0), kube, elbv2, now=lambda: T0 + 10)
    # Then the controller's own message is the cause, and ELBv2 was not consulted
    assert message in str(caught.value) and "FailedDeployModel" in str(caught.value)
    assert elbv2.calls == []
    # And the events were asked for this Ingress only
    [listing] = [c for c in kube.calls if c["method"] == "LIST"]
    assert listing["query"] == {"fieldSelector": "involvedObject.kind=Ingress,involvedObject.name=milvus-demo"}


def test_warning_from_before_the_last_change_does_not_count():
    # Given a FailedBuildModel from a previous run, before this run changed the Ingress
    kube = FakeKube({INGRESS: ingress(applied=T0)}, events=[warning("FailedBuildModel", at=T0 - 120)])
    # Then the check goes on
    status = check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2(), now=lambda: T0 + 60)
    assert status.ready


def test_warning_followed_by_a_successful_reconcile_does_not_count():
    # Given a transient failure the controller got past
    success = {**warning(), "type": "Normal", "reason": "SuccessfullyReconciled", "message": "ok", "lastTimestamp": iso(T0 + 30)}
    kube = FakeKube({INGRESS: ingress()}, events=[warning(at=T0 + 5), success])
    status = check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2(), now=lambda: T0 + 60)
    assert status.ready


def test_other_ingresses_warnings_and_non_failures_are_ignored():
    other = warning()
    other["involvedObject"] = {**other["involvedObject"], "name": "someone-else"}
    not_failure = {**warning(), "reason": "BackendNotFound"}
    kube = FakeKube({INGRESS: ingress()}, events=[other, not_failure])
    assert check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2(), now=lambda: T0 + 60).ready


@pytest.mark.parametrize(
    ("hostname", "state", "healthy", "seen"),
    [(None, None, 0, "no address"), (DNS, "provisioning", 0, "provisioning with 0 healthy"), (DNS, "active", 0, "active with 0 healthy")],
)
def test_past_the_timeout_not_ready_is_load_balancer_timeout(hostname, state, healthy, seen):
    # Given albTimeoutSeconds = 300 and 301 s since the apply
    kube = FakeKube({INGRESS: ingress(hostname=hostname)})
    elbv2 = FakeElbv2(state or "active", healthy)
    # When CheckLoadBalancer looks and it is still not ready
    with pytest.raises(LoadBalancerTimeout) as caught:
        check_load_balancer(check_event(applied_at=T0, albTimeoutSeconds=300), kube, elbv2, now=lambda: T0 + 301)
    # Then the message says how long and what was last seen
    assert "300 s" in str(caught.value) and seen in str(caught.value)


def test_ready_just_past_the_timeout_still_succeeds():
    kube = FakeKube({INGRESS: ingress()})
    status = check_load_balancer(check_event(applied_at=T0, albTimeoutSeconds=300), kube, FakeElbv2(), now=lambda: T0 + 305)
    assert status.ready


@pytest.mark.parametrize(
    ("elapsed", "remaining", "wait"),
    [(0, 900, 2), (3, 897, 2), (40, 860, 10), (119, 781, 29), (200, 700, 30), (895, 5, 5), (899.5, 0.5, 1)],
)
def test_next_wait_grows_with_elapsed_time_within_bounds(elapsed, remaining, wait):
    assert next_wait(elapsed, remaining) == wait


def test_forbidden_events_listing_passes_through():
    kube = FakeKube({INGRESS: ingress()})
    kube.errors[("LIST", k8s.events_path("milvus"))] = [KubernetesForbidden("no events for you")]
    with pytest.raises(KubernetesForbidden):
        check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2(), now=lambda: T0 + 5)


@mock_aws
def test_finds_the_alb_and_its_healthy_targets_in_elbv2():
    # Given an ALB in (moto's) ELBv2 with an ip target group and a registered pod IP
    ec2 = boto3.client("ec2")
    elbv2 = boto3.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
               for i, z in enumerate("ab")]
    lb = elbv2.create_load_balancer(Name="k8s-milvus-milvusde", Subnets=subnets, Type="application")["LoadBalancers"][0]
    tg = elbv2.create_target_group(Name="k8s-milvus-tg", Protocol="HTTPS", ProtocolVersion="GRPC", Port=19530,
                                   VpcId=vpc, TargetType="ip")["TargetGroups"][0]
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    elbv2.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "10.0.0.10", "Port": 19530}])
    kube = FakeKube({INGRESS: ingress(hostname=lb["DNSName"])})
    # When CheckLoadBalancer looks
    status = check_load_balancer(check_event(applied_at=T0), kube, elbv2, now=lambda: T0 + 30)
    # Then it matched the ALB by DNS name and counted the target
    assert status.arn == lb["LoadBalancerArn"] and status.state == "active"
    assert status.healthy_targets == 1 and status.ready
    assert status.canonical_hosted_zone_id == lb["CanonicalHostedZoneId"]


def test_handler_uses_the_injected_clients(lambda_context):
    kube = FakeKube({INGRESS: ingress(hostname=None)})
    out = handler.lambda_handler(check_event().to_wire(), lambda_context, connect=lambda name: kube, elbv2=FakeElbv2())
    assert out["ready"] is False and out["listenPort"] == 443 and out["waitSeconds"] >= 1
    assert kube.closed
