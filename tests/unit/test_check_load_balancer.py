"""CheckLoadBalancer: ready only with an address, an active ALB of this Ingress and a healthy target of its own;
rejected only when the controller's failure persists."""

import datetime

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from check_load_balancer import handler
from check_load_balancer.logic import check_load_balancer, next_wait
from layer7 import kube as k8s
from layer7.controller_events import (
    PERMANENT,
    REJECTION_GRACE_SECONDS,
    TRANSIENT,
    TRANSIENT_GRACE_SECONDS,
    UNKNOWN,
    UNKNOWN_GRACE_SECONDS,
    AwsError,
    aws_error,
    classify,
)
from layer7.errors import IngressRejected, KubernetesForbidden, LoadBalancerTimeout
from layer7.load_balancers import load_balancer_name
from layer7.observability import metrics
from tests.unit.elbv2_world import CONTROLLER_TAGS, controller_alb
from tests.unit.kube_fakes import FakeKube, check_event

INGRESS = k8s.ingress_path("milvus", "milvus-demo")
NAME = "k8s-milvus-milvusde-0123456789"
DNS = f"{NAME}-1234567890.us-east-1.elb.amazonaws.com"
LB_ARN = f"arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/{NAME}/0123456789"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/k8s-milvus-milvusde/abcdef"
OTHER_TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/k8s-milvus-otherapp/fedcba"
OUR_TAGS = CONTROLLER_TAGS
T0 = 1_800_000_000.0
# Event messages as the controller writes them: group_controller.go's "Failed <step> due to %v" around the
# aws-sdk-go-v2 error (smithy-go OperationError, retry.MaxAttemptsError, awshttp.ResponseError, then the API error:
# "api error <Code>: " when the operation does not model the code, "<Code>: " when it does). Shapes as seen in
# users' reports: aws-samples/multi-tenant-chatbot-using-rag-with-amazon-bedrock#17 (FailedDeployModel, 403
# AccessDenied), civiform/civiform#11559 (CreateListener's modeled CertificateNotFound).
ACCESS_DENIED = (
    "Failed deploy model due to operation error Elastic Load Balancing v2: CreateLoadBalancer, https response error "
    "StatusCode: 403, RequestID: d0c26a64-4fd8-4f7c-b1aa-8c51c2451f5b, api error AccessDenied: User: "
    "arn:aws:sts::123456789012:assumed-role/alb-controller/1728584470917174269 is not authorized to perform: "
    "elasticloadbalancing:CreateLoadBalancer because no identity-based policy allows the "
    "elasticloadbalancing:CreateLoadBalancer action")
CERTIFICATE_NOT_FOUND = (
    "Failed deploy model due to operation error Elastic Load Balancing v2: CreateListener, https response error "
    "StatusCode: 400, RequestID: 37cd40cd-4c4f-4460-8c1f-b346e78205a3, CertificateNotFound: Certificate "
    "'arn:aws:acm:us-east-1:123456789012:certificate/23d76695-0c59-4774-aa0d-be708e9ca414' not found")
THROTTLED = (
    "Failed deploy model due to operation error Elastic Load Balancing v2: CreateListener, exceeded maximum number "
    "of attempts, 10, https response error StatusCode: 400, RequestID: 5b1e0c2a-2f6e-4c55-9a53-1d0b2c3e4f50, "
    "api error Throttling: Rate exceeded")
HEALTH_CHECK_TIMEOUT = (
    "Failed deploy model due to operation error Elastic Load Balancing v2: CreateTargetGroup, https response error "
    "StatusCode: 400, RequestID: 0c1b2a39-4d5e-4f60-8172-93a4b5c6d7e8, api error ValidationError: Health check "
    "timeout '10' must be smaller than the interval '5'")


def iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ingress(hostname: str | None = DNS, applied: float = T0) -> dict:
    status = {"loadBalancer": {"ingress": [{"hostname": hostname}]}} if hostname else {"loadBalancer": {}}
    managed = [{"manager": "milvus-layer7", "operation": "Apply", "time": iso(applied)}]
    return {"metadata": {"name": "milvus-demo", "namespace": "milvus", "managedFields": managed}, "status": status}


def warning(reason: str = "FailedDeployModel", at: float = T0 + 5, count: int = 1,
            message: str = ACCESS_DENIED, last: float | None = None) -> dict:
    """A Warning Event as client-go's recorder leaves it: first/last time and a count of the repeats."""
    return {
        "type": "Warning",
        "reason": reason,
        "message": message,
        "involvedObject": {"kind": "Ingress", "name": "milvus-demo", "namespace": "milvus"},
        "source": {"component": "ingress"},
        "firstTimestamp": iso(at),
        "lastTimestamp": iso(at if last is None else last),
        "count": count,
    }


def success(at: float) -> dict:
    return {**warning(at=at), "type": "Normal", "reason": "SuccessfullyReconciled",
            "message": "Successfully reconciled"}


class FakeElbv2:
    """The four ELBv2 calls CheckLoadBalancer makes, answering from a small model; counts every call."""

    def __init__(self, state: str = "active", healthy: int = 1, *, lb_tags: dict | None = None,
                 tg_resource: str = "milvus/milvus-demo-milvus-demo:19530", other_load_balancers: int = 2,
                 other_tg_healthy: int = 0, scheme: str = "internet-facing"):
        self.load_balancers = {
            f"other-{i}": {"LoadBalancerArn": f"{LB_ARN}-{i}", "DNSName": f"other-{i}-1.elb.amazonaws.com",
                           "State": {"Code": "active"}}
            for i in range(other_load_balancers)
        }
        self.load_balancers[NAME] = {"LoadBalancerArn": LB_ARN, "DNSName": DNS.upper(), "State": {"Code": state},
                                     "CanonicalHostedZoneId": "Z35SXDOTRQ7X7K", "Scheme": scheme}
        self.tags = {LB_ARN: {**OUR_TAGS, "ingress.k8s.aws/resource": "LoadBalancer"} if lb_tags is None else lb_tags,
                     TG_ARN: {**OUR_TAGS, "ingress.k8s.aws/resource": tg_resource},
                     OTHER_TG_ARN: {**OUR_TAGS, "ingress.k8s.aws/resource": "milvus/other-app-other:80"}}
        self.health = {TG_ARN: ["healthy"] * healthy + ["initial"], OTHER_TG_ARN: ["healthy"] * other_tg_healthy}
        self.calls: list[str] = []

    def describe_load_balancers(self, Names):
        self.calls.append("DescribeLoadBalancers")
        found = [self.load_balancers[n] for n in Names if n in self.load_balancers]
        if not found:
            raise ClientError({"Error": {"Code": "LoadBalancerNotFound", "Message": "not found"}},
                              "DescribeLoadBalancers")
        return {"LoadBalancers": found}

    def describe_target_groups(self, LoadBalancerArn):
        self.calls.append("DescribeTargetGroups")
        groups = [TG_ARN, OTHER_TG_ARN] if LoadBalancerArn == LB_ARN else []
        return {"TargetGroups": [{"TargetGroupArn": arn} for arn in groups]}

    def describe_tags(self, ResourceArns):
        self.calls.append("DescribeTags")
        return {"TagDescriptions": [{"ResourceArn": arn, "Tags": [{"Key": k, "Value": v} for k, v in
                                                                 self.tags.get(arn, {}).items()]}
                                    for arn in ResourceArns]}

    def describe_target_health(self, TargetGroupArn):
        self.calls.append(f"DescribeTargetHealth {TargetGroupArn.rsplit('/', 2)[1]}")
        return {"TargetHealthDescriptions": [{"Target": {"Id": f"10.0.0.{i}"}, "TargetHealth": {"State": s}}
                                             for i, s in enumerate(self.health[TargetGroupArn])]}


@pytest.fixture(autouse=True)
def _no_metric_leaks():
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


# --- finding the ALB and its targets ----------------------------------------------------------------------------


def test_active_alb_with_a_healthy_target_of_its_own_is_ready():
    # Given an Ingress with an address and an active ALB tagged for it, with one healthy target
    kube = FakeKube({INGRESS: ingress()})
    elbv2 = FakeElbv2("active", healthy=1)
    # When CheckLoadBalancer looks, 60 s after the apply
    status = check_load_balancer(check_event(applied_at=T0), kube, elbv2, now=lambda: T0 + 60)
    # Then it is ready, with what the next steps need
    assert status.ready and status.wait_seconds == 0
    assert status.to_wire() == {
        "ready": True, "dnsName": DNS, "arn": LB_ARN, "state": "active", "healthyTargets": 1, "listenPort": 443,
        "canonicalHostedZoneId": "Z35SXDOTRQ7X7K", "waitSeconds": 0, "elapsedSeconds": 60.0,
    }
    # and it asked ELBv2 four things: the ALB by name, its target groups, their tags, this Ingress's targets
    assert elbv2.calls == ["DescribeLoadBalancers", "DescribeTargetGroups", "DescribeTags",
                           "DescribeTargetHealth k8s-milvus-milvusde"]


def test_the_number_of_elbv2_calls_does_not_grow_with_the_account():
    # Given an account with 500 other load balancers
    elbv2 = FakeElbv2(other_load_balancers=500)
    # Then one look costs the same four calls
    check_load_balancer(check_event(applied_at=T0), FakeKube({INGRESS: ingress()}), elbv2, now=lambda: T0 + 60)
    assert len(elbv2.calls) == 4


def test_another_ingresss_healthy_targets_in_a_shared_group_do_not_make_it_ready():
    # Given an IngressGroup ALB whose other target group is healthy while ours has no healthy target yet
    elbv2 = FakeElbv2(healthy=0, other_tg_healthy=3)
    status = check_load_balancer(check_event(applied_at=T0), FakeKube({INGRESS: ingress()}), elbv2,
                                 now=lambda: T0 + 60)
    # Then it is not ready, and the other group's health was never asked for
    assert not status.ready and status.healthy_targets == 0
    assert "DescribeTargetHealth k8s-milvus-otherapp" not in elbv2.calls


def test_an_alb_without_this_ingresss_tags_is_not_ready():
    elbv2 = FakeElbv2(lb_tags={"elbv2.k8s.aws/cluster": "another-cluster", "ingress.k8s.aws/stack": "x/y"})
    kube = FakeKube({INGRESS: ingress()})
    status = check_load_balancer(check_event(applied_at=T0, albTimeoutSeconds=60), kube, elbv2, now=lambda: T0 + 30)
    assert not status.ready
    with pytest.raises(LoadBalancerTimeout, match="does not carry this Ingress's controller tags"):
        check_load_balancer(check_event(applied_at=T0, albTimeoutSeconds=60), kube, elbv2, now=lambda: T0 + 61)


def test_the_alb_a_new_scheme_replaces_is_not_ready_while_the_ingress_still_names_it():
    # Given an Ingress just applied internal, whose status still names the internet-facing ALB: the controller
    # replaces an ALB whose scheme changes (load_balancer_synthesizer.go isSDKLoadBalancerRequiresReplacement)
    # and moves the status only once the new one exists, so the old one is active, ours and healthy meanwhile
    kube = FakeKube({INGRESS: ingress()})
    elbv2 = FakeElbv2("active", healthy=1, scheme="internet-facing")
    event = check_event(applied_at=T0, scheme="internal", albTimeoutSeconds=60)
    # When CheckLoadBalancer looks
    status = check_load_balancer(event, kube, elbv2, now=lambda: T0 + 1)
    # Then it is not ready: DNS and verification must not go to the ALB about to be deleted
    assert not status.ready and status.wait_seconds > 0
    with pytest.raises(LoadBalancerTimeout, match="is internet-facing, not internal: the controller replaces it"):
        check_load_balancer(event, kube, elbv2, now=lambda: T0 + 61)
    # and once the status names an ALB of the asked scheme, it is
    assert check_load_balancer(event, kube, FakeElbv2("active", healthy=1, scheme="internal"),
                               now=lambda: T0 + 2).ready


def test_an_ingress_group_is_found_by_its_group_name():
    # Given the caller put the Ingress into an explicit IngressGroup: the stack tag is the group's name
    elbv2 = FakeElbv2(lb_tags={"elbv2.k8s.aws/cluster": "milvus-eks", "ingress.k8s.aws/stack": "shared"})
    event = check_event(applied_at=T0, ingressAnnotations={"alb.ingress.kubernetes.io/group.name": "shared"})
    assert check_load_balancer(event, FakeKube({INGRESS: ingress()}), elbv2, now=lambda: T0 + 60).ready


@pytest.mark.parametrize(("dns_name", "name"), [
    ("my-load-balancer-424835706.us-west-2.elb.amazonaws.com", "my-load-balancer"),
    ("internal-my-internal-load-balancer-1529930873.us-west-2.elb.amazonaws.com", "my-internal-load-balancer"),
    ("K8S-MILVUS-MILVUSDE-0123456789-1234567890.us-east-1.elb.amazonaws.com.", "k8s-milvus-milvusde-0123456789"),
    ("localhost", None),
])
def test_the_load_balancer_name_comes_from_its_dns_name(dns_name, name):
    # The first two are botocore's own elbv2 examples of an ALB's DNSName
    assert load_balancer_name(dns_name) == name


def test_no_address_yet_is_not_ready_and_asks_for_a_short_wait():
    kube = FakeKube({INGRESS: ingress(hostname=None)})
    elbv2 = FakeElbv2()
    status = check_load_balancer(check_event(applied_at=T0), kube, elbv2, now=lambda: T0 + 3)
    assert not status.ready and status.dns_name is None and status.wait_seconds == 2
    assert elbv2.calls == []


@pytest.mark.parametrize(("state", "healthy"), [("provisioning", 0), ("active", 0)])
def test_an_address_alone_is_not_readiness(state, healthy):
    kube = FakeKube({INGRESS: ingress()})
    status = check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2(state, healthy), now=lambda: T0 + 40)
    assert not status.ready
    assert status.state == state and status.arn == LB_ARN and status.wait_seconds == 10


# --- the controller's Warning events ------------------------------------------------------------------------------


def test_a_repeated_failure_is_a_verdict_and_its_message_is_the_cause():
    # Given the controller failed twice with the same non-transient error since the apply
    message = "Failed build model due to ingress: milvus/milvus-demo: unknown scheme: internet"
    kube = FakeKube({INGRESS: ingress()}, events=[warning("FailedBuildModel", count=2, message=message)])
    elbv2 = FakeElbv2()
    # When CheckLoadBalancer looks, well before the timeout
    with pytest.raises(IngressRejected) as caught:
        check_load_balancer(check_event(applied_at=T0), kube, elbv2, now=lambda: T0 + 6)
    # Then the controller's own words are the cause, and ELBv2 was not consulted
    assert str(caught.value) == (f"the load balancer controller rejected Ingress milvus/milvus-demo: FailedBuildModel: "
                                 f"{message} (permanent: seen 2 time(s), standing for 1 s with no successful reconcile "
                                 "since)")
    assert elbv2.calls == []
    [listing] = [c for c in kube.calls if c["method"] == "LIST"]
    assert listing["query"] == {"fieldSelector": "involvedObject.kind=Ingress,involvedObject.name=milvus-demo"}


def test_a_single_fresh_failure_is_waited_on_then_a_verdict_after_the_grace_period():
    kube = FakeKube({INGRESS: ingress()}, events=[warning(at=T0 + 5)])
    early = check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2("provisioning", 0), now=lambda: T0 + 8)
    assert not early.ready  # the controller may still get past it
    with pytest.raises(IngressRejected, match="standing for 20 s"):
        check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2(), now=lambda: T0 + 5 + REJECTION_GRACE_SECONDS)


@pytest.mark.parametrize(("reason", "message"), [
    ("FailedDeployModel", CERTIFICATE_NOT_FOUND),
    ("FailedDeployModel", THROTTLED),
    ("FailedAddFinalizer", 'Failed add finalizer due to Operation cannot be fulfilled on ingresses.networking.k8s.io '
     '"milvus-demo": the object has been modified; please apply your changes to the latest version and try again'),
])
def test_a_transient_failure_is_not_a_verdict_even_repeated_until_it_has_stood_long(reason, message):
    # Given the controller keeps failing on something AWS's eventual consistency or load explains
    kube = FakeKube({INGRESS: ingress()}, events=[warning(reason, count=12, message=message, last=T0 + 40)])
    # Then the run goes on, saying what the controller retries
    status = check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2("provisioning", 0), now=lambda: T0 + 45)
    assert not status.ready
    # until it has stood for the transient grace period
    with pytest.raises(IngressRejected):
        check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2(),
                            now=lambda: T0 + 5 + TRANSIENT_GRACE_SECONDS)


def test_an_unclassified_failure_is_a_verdict_after_a_bounded_grace_however_often_repeated():
    # Given a deploy failure with an AWS code in no table, repeated many times
    message = ("Failed deploy model due to operation error Elastic Load Balancing v2: CreateListener, https response "
               "error StatusCode: 400, RequestID: 1a2b3c4d-0000-4000-8000-000000000000, api error "
               "SomethingNew: not yet in the table")
    kube = FakeKube({INGRESS: ingress()}, events=[warning(count=30, message=message, last=T0 + 60)])
    # Then it is waited on past the permanent grace
    assert not check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2("provisioning", 0),
                                   now=lambda: T0 + 5 + REJECTION_GRACE_SECONDS + 30).ready
    # and is a verdict once it has stood for the unknown grace, long before the transient one
    with pytest.raises(IngressRejected, match=r"\(unknown: seen 30 time"):
        check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2(), now=lambda: T0 + 5 + UNKNOWN_GRACE_SECONDS)
    assert REJECTION_GRACE_SECONDS < UNKNOWN_GRACE_SECONDS < TRANSIENT_GRACE_SECONDS


@pytest.mark.parametrize(("reason", "message", "kind"), [
    # the AWS error's code decides, whatever words the message holds ("timeout" here is a health check's setting)
    ("FailedDeployModel", HEALTH_CHECK_TIMEOUT, PERMANENT),
    ("FailedDeployModel", ACCESS_DENIED, PERMANENT),
    ("FailedDeployModel", CERTIFICATE_NOT_FOUND, TRANSIENT),
    ("FailedDeployModel", THROTTLED, TRANSIENT),
    # EC2's eventual consistency (its API's "Eventual consistency" page), inside a build
    ("FailedBuildModel", "Failed build model due to operation error EC2: DescribeSecurityGroups, https response "
     "error StatusCode: 400, RequestID: 8f7e6d5c-1111-4222-8333-444455556666, api error InvalidGroup.NotFound: "
     "The security group 'sg-0123456789abcdef0' does not exist", TRANSIENT),
    # a code in no table: 5xx is retried by the SDK itself, so transient; otherwise unknown
    ("FailedDeployModel", "Failed deploy model due to operation error Elastic Load Balancing v2: CreateListener, "
     "https response error StatusCode: 502, RequestID: , api error BadGateway: upstream", TRANSIENT),
    # wrapped by the deployer (listener_manager.go "failed to update extra certificates on listener")
    ("FailedDeployModel", "Failed deploy model due to failed to update extra certificates on listener: operation "
     "error Elastic Load Balancing v2: AddListenerCertificates, https response error StatusCode: 400, RequestID: "
     "9e8d7c6b-aaaa-4bbb-8ccc-ddddeeeeffff, api error TooManyCertificates: too many", PERMANENT),
    # no AWS error: the reason decides
    ("FailedBuildModel", "Failed build model due to ingress: milvus/milvus-demo: unknown scheme: internet", PERMANENT),
    ("FailedLoadGroupID", "failed load groupID due to invalid ingress group: groupName must be no more than 63 "
     "characters", PERMANENT),
    ("FailedUpdateStatus", "Failed update status due to context deadline exceeded", TRANSIENT),
    ("FailedDeployModel", "Failed deploy model due to context deadline exceeded", UNKNOWN),
    ("FailedSomethingNew", "Failed something new due to a cause", UNKNOWN),
])
def test_each_class_of_controller_message_is_classified_by_reason_and_aws_code(reason, message, kind):
    assert classify(reason, message) == kind


def test_the_aws_error_is_read_as_the_sdk_prints_it():
    assert aws_error(THROTTLED) == AwsError("Elastic Load Balancing v2", "CreateListener", 400, "Throttling")
    assert aws_error(CERTIFICATE_NOT_FOUND) == AwsError("Elastic Load Balancing v2", "CreateListener", 400,
                                                        "CertificateNotFound")
    assert aws_error("Failed build model due to ingress: milvus/x: timeout") is None


def test_a_failure_followed_by_a_successful_reconcile_does_not_count():
    kube = FakeKube({INGRESS: ingress()}, events=[warning(at=T0 + 5, count=3, message=CERTIFICATE_NOT_FOUND),
                                                  success(T0 + 30)])
    assert check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2(), now=lambda: T0 + 60).ready


def test_a_failure_from_before_the_last_change_does_not_count():
    kube = FakeKube({INGRESS: ingress(applied=T0)}, events=[warning("FailedBuildModel", at=T0 - 120, count=5)])
    assert check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2(), now=lambda: T0 + 60).ready


def test_an_old_failure_still_repeating_after_the_apply_counts_from_the_apply():
    # Given a failure that began before this run's apply and still repeats after it
    kube = FakeKube({INGRESS: ingress(applied=T0)}, events=[warning(at=T0 - 600, count=40, last=T0 + 10)])
    # Then its earlier repeats do not count, only how long it has stood since the apply
    assert not check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2("provisioning"),
                                   now=lambda: T0 + 12).ready
    with pytest.raises(IngressRejected, match="seen 1 time"):
        check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2(), now=lambda: T0 + REJECTION_GRACE_SECONDS)


def test_other_ingresses_warnings_and_non_failures_are_ignored():
    other = warning(count=3)
    other["involvedObject"] = {**other["involvedObject"], "name": "someone-else"}
    not_failure = {**warning(count=3), "reason": "BackendNotFound"}
    kube = FakeKube({INGRESS: ingress()}, events=[other, not_failure])
    assert check_load_balancer(check_event(applied_at=T0), kube, FakeElbv2(), now=lambda: T0 + 60).ready


# --- time ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hostname", "state", "healthy", "seen"),
    [(None, None, 0, "no address"), (DNS, "provisioning", 0, "provisioning with 0 healthy"),
     (DNS, "active", 0, "active with 0 healthy")],
)
def test_past_the_timeout_not_ready_is_load_balancer_timeout(hostname, state, healthy, seen):
    kube = FakeKube({INGRESS: ingress(hostname=hostname)})
    elbv2 = FakeElbv2(state or "active", healthy)
    with pytest.raises(LoadBalancerTimeout) as caught:
        check_load_balancer(check_event(applied_at=T0, albTimeoutSeconds=300), kube, elbv2, now=lambda: T0 + 301)
    assert "300 s" in str(caught.value) and seen in str(caught.value)


def test_a_timeout_while_the_controller_retries_says_what_it_retries():
    kube = FakeKube({INGRESS: ingress(hostname=None)}, events=[warning(count=50, message=CERTIFICATE_NOT_FOUND)])
    with pytest.raises(LoadBalancerTimeout, match="the controller is retrying after FailedDeployModel: Failed deploy "
                       "model due to operation error Elastic Load Balancing v2: CreateListener"):
        check_load_balancer(check_event(applied_at=T0, albTimeoutSeconds=60), kube, FakeElbv2(), now=lambda: T0 + 61)


def test_ready_just_past_the_timeout_still_succeeds():
    kube = FakeKube({INGRESS: ingress()})
    status = check_load_balancer(check_event(applied_at=T0, albTimeoutSeconds=300), kube, FakeElbv2(),
                                 now=lambda: T0 + 305)
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
    # Given an ALB in (moto's) ELBv2 tagged as the controller tags it, with an ip target group and a pod IP
    ec2, elbv2 = boto3.client("ec2"), boto3.client("elbv2")
    lb, _ = controller_alb(ec2, elbv2, listener={"Protocol": "HTTP", "Port": 80})
    kube = FakeKube({INGRESS: ingress(hostname=lb["DNSName"])})
    # When CheckLoadBalancer looks
    status = check_load_balancer(check_event(applied_at=T0), kube, elbv2, now=lambda: T0 + 30)
    # Then it found the ALB by the name in its DNS name and counted the target
    assert status.arn == lb["LoadBalancerArn"] and status.state == "active"
    assert status.healthy_targets == 1 and status.ready
    assert status.canonical_hosted_zone_id == lb["CanonicalHostedZoneId"]


def test_handler_uses_the_injected_clients(lambda_context):
    kube = FakeKube({INGRESS: ingress(hostname=None)})
    out = handler.lambda_handler(check_event().to_wire(), lambda_context, connect=lambda name: kube, elbv2=FakeElbv2())
    assert out["ready"] is False and out["listenPort"] == 443 and out["waitSeconds"] >= 1
    assert kube.closed
