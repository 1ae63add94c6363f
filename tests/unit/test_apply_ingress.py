"""ApplyIngress: the guide's Ingress, applied server-side, with the Service only read."""

import datetime as dt
import json

import boto3
import pytest
from moto import mock_aws

from apply_ingress import handler
from apply_ingress.logic import apply_ingress
from layer7 import kube as k8s
from layer7.errors import ClusterNotFound, IngressRejected, KubernetesForbidden, ServiceNotFound
from tests.unit.kube_fakes import (
    CERT_ARN,
    FakeKube,
    apply_event,
    milvus_service,
)

SERVICE = k8s.service_path("milvus", "milvus-demo")
GUIDE = {f"alb.ingress.kubernetes.io/{name}" for name in
         ("scheme", "backend-protocol-version", "target-type", "listen-ports", "certificate-arn")}
INGRESS = k8s.ingress_path("milvus", "milvus-demo")
SETUP_RECORD = "milvus-layer7/setup"


def test_applies_the_guides_ingress_server_side():
    # Given a running Milvus with a Layer-4 Service
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer")})
    # When ApplyIngress runs
    result = apply_ingress(apply_event(), kube, now=lambda: 1000.0)
    # Then one server-side apply goes out, owned by milvus-layer7, forcing conflicts
    [patch] = kube.patches()
    assert patch["path"] == INGRESS
    assert patch["contentType"] == "application/apply-patch+yaml"
    assert patch["query"] == {"fieldManager": "milvus-layer7", "force": True}
    ingress = patch["body"]
    assert ingress["apiVersion"] == "networking.k8s.io/v1" and ingress["kind"] == "Ingress"
    assert ingress["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "milvus-layer7"}
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["spec"]["tls"] == [{"hosts": ["milvus.example.com"]}]
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == "milvus.example.com"
    assert rule["http"]["paths"] == [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "milvus-demo", "port": {"number": 19530}}}}
    ]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internet-facing"
    assert annotations["alb.ingress.kubernetes.io/backend-protocol-version"] == "GRPC"
    assert annotations["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert json.loads(annotations["alb.ingress.kubernetes.io/listen-ports"]) == [{"HTTPS": 443}]
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == CERT_ARN
    # And the workflow's production defaults, and nothing else
    assert {key: value for key, value in annotations.items() if key not in GUIDE | {SETUP_RECORD}} == {
        "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        "alb.ingress.kubernetes.io/load-balancer-attributes": "idle_timeout.timeout_seconds=300",
        "alb.ingress.kubernetes.io/healthcheck-interval-seconds": "5",
        "alb.ingress.kubernetes.io/healthcheck-timeout-seconds": "4",
        "alb.ingress.kubernetes.io/healthy-threshold-count": "2",
        "alb.ingress.kubernetes.io/unhealthy-threshold-count": "3",
    }
    # And the Service is left alone, its type reported
    assert [c["method"] for c in kube.calls] == ["GET", "GET", "PATCH"]
    assert result.to_wire() == {
        "namespace": "milvus",
        "name": "milvus-demo",
        "serviceType": "LoadBalancer",
        "appliedAt": 1000.0,
        "warnings": [],
        "changed": True,
    }


def test_caller_annotations_are_added_but_cannot_override_the_workflows():
    # Given extra annotations, one of which tries to change the target type
    event = apply_event(
        ingressAnnotations={
            "alb.ingress.kubernetes.io/healthcheck-interval-seconds": "10",
            "alb.ingress.kubernetes.io/target-type": "instance",
        },
        listenPort=8443,
        scheme="internal",
        ingressName="milvus-l7",
    )
    kube = FakeKube({SERVICE: milvus_service()})
    # When the Ingress is applied
    result = apply_ingress(event, kube)
    # Then the extra one is there and the workflow's win
    [patch] = kube.patches()
    annotations = patch["body"]["metadata"]["annotations"]
    assert patch["path"] == k8s.ingress_path("milvus", "milvus-l7")
    assert annotations["alb.ingress.kubernetes.io/healthcheck-interval-seconds"] == "10"
    assert annotations["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internal"
    assert json.loads(annotations["alb.ingress.kubernetes.io/listen-ports"]) == [{"HTTPS": 8443}]
    assert result.name == "milvus-l7"


def test_a_callers_annotation_wins_over_the_workflows_default():
    # Given the caller's own TLS policy and health-check interval
    event = apply_event(ingressAnnotations={
        "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-3-2021-06",
        "alb.ingress.kubernetes.io/healthcheck-interval-seconds": "30",
    })
    kube = FakeKube({SERVICE: milvus_service()})
    # When the Ingress is applied
    apply_ingress(event, kube)
    # Then theirs are on the Ingress, and the defaults they did not name stay
    [patch] = kube.patches()
    annotations = patch["body"]["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/ssl-policy"] == "ELBSecurityPolicy-TLS13-1-3-2021-06"
    assert annotations["alb.ingress.kubernetes.io/healthcheck-interval-seconds"] == "30"
    assert annotations["alb.ingress.kubernetes.io/healthcheck-timeout-seconds"] == "4"
    assert annotations["alb.ingress.kubernetes.io/load-balancer-attributes"] == "idle_timeout.timeout_seconds=300"


@pytest.mark.parametrize(("theirs", "merged"), [
    # another attribute: added to ours
    ("deletion_protection.enabled=true", "idle_timeout.timeout_seconds=300,deletion_protection.enabled=true"),
    # the same key: theirs wins, in our key's place
    ("routing.http2.enabled=true, idle_timeout.timeout_seconds=3600",
     "idle_timeout.timeout_seconds=3600,routing.http2.enabled=true"),
    # a value with an escaped comma stays one value
    ("access_logs.s3.prefix=a\\,b", "idle_timeout.timeout_seconds=300,access_logs.s3.prefix=a\\,b"),
])
def test_load_balancer_attributes_merge_key_by_key_theirs_winning(theirs, merged):
    # Given the caller's load-balancer-attributes, one stringMap annotation like ours
    event = apply_event(ingressAnnotations={"alb.ingress.kubernetes.io/load-balancer-attributes": theirs})
    kube = FakeKube({SERVICE: milvus_service()})
    # When the Ingress is applied
    apply_ingress(event, kube)
    # Then the annotation holds both maps, theirs winning per key
    [patch] = kube.patches()
    assert patch["body"]["metadata"]["annotations"]["alb.ingress.kubernetes.io/load-balancer-attributes"] == merged


def test_helm_managed_service_gets_a_drift_warning_naming_the_release():
    # Given a Service installed by the Helm release "milvus-demo"
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer", helm_release="milvus-demo")})
    # When ApplyIngress runs with layer4 = remove
    result = apply_ingress(apply_event(), kube)
    # Then a warning says the next helm upgrade brings the Layer-4 load balancer back
    [warning] = result.warnings
    assert "milvus-demo" in warning and "helm upgrade" in warning and "service.type=ClusterIP" in warning


@pytest.mark.parametrize(
    ("service", "layer4"),
    [(milvus_service("LoadBalancer", helm_release="milvus-demo"), "keep"), (milvus_service("LoadBalancer"), "remove")],
)
def test_no_drift_warning_when_nothing_will_drift(service, layer4):
    # Given a Layer-4 load balancer that stays (keep), or a Service Helm does not manage
    kube = FakeKube({SERVICE: service})
    # Then there is nothing to warn about
    assert apply_ingress(apply_event(layer4=layer4), kube).warnings == []


def test_a_service_without_the_port_is_warned_about():
    kube = FakeKube({SERVICE: milvus_service(port=19531)})
    [warning] = apply_ingress(apply_event(), kube).warnings
    assert "19530" in warning


def test_missing_service_is_service_not_found_and_nothing_is_applied():
    # Given no Service by that name
    kube = FakeKube({})
    # When ApplyIngress runs
    with pytest.raises(ServiceNotFound) as caught:
        apply_ingress(apply_event(), kube)
    # Then the message names namespace and name, and no Ingress was written
    assert "'milvus-demo'" in str(caught.value) and "'milvus'" in str(caught.value)
    assert kube.patches() == []


def test_forbidden_apply_is_reported_as_such():
    # Given a role that may read Services but not write Ingresses
    kube = FakeKube({SERVICE: milvus_service()})
    kube.errors[("PATCH", INGRESS)] = [KubernetesForbidden("refused")]
    # Then the contract's error comes out unchanged
    with pytest.raises(KubernetesForbidden):
        apply_ingress(apply_event(), kube)


def test_a_webhook_denial_is_ingress_rejected_with_its_message():
    # Given the controller's validating webhook denies the Ingress (403, as controller-runtime answers)
    kube = FakeKube({SERVICE: milvus_service()})
    message = ('admission webhook "vingress.elbv2.k8s.aws" denied the request: invalid ingress class: '
               'ingressclasses.networking.k8s.io "alb" not found')
    kube.errors[("PATCH", INGRESS)] = [k8s.AdmissionDenied(message, status=403, body={"message": message})]
    # Then the run ends in IngressRejected, not KubernetesForbidden, quoting the webhook
    with pytest.raises(IngressRejected) as caught:
        apply_ingress(apply_event(), kube)
    assert str(caught.value) == (f"Ingress milvus/milvus-demo was refused at admission: {message}. Nothing was "
                                 "applied; fix what the webhook names and start again.")


def test_handler_returns_the_wire_dict_and_closes_the_client(lambda_context):
    # Given the state's payload
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer")})
    clusters = []

    def connect(name):
        clusters.append(name)
        return kube

    # When the handler runs
    out = handler.lambda_handler(apply_event().to_wire(), lambda_context, connect=connect)
    # Then it connected to the request's cluster and returned plain JSON
    assert clusters == ["milvus-eks"]
    assert out["namespace"] == "milvus" and out["serviceType"] == "LoadBalancer"
    assert json.loads(json.dumps(out)) == out
    assert kube.closed


@mock_aws
def test_missing_or_inactive_cluster_is_cluster_not_found(lambda_context):
    # Given moto's EKS without the cluster
    eks = boto3.client("eks", region_name="us-east-1")
    # Then the handler fails with ClusterNotFound before any Kubernetes call
    with pytest.raises(ClusterNotFound, match="milvus-eks"):
        handler.lambda_handler(apply_event().to_wire(), lambda_context,
                               connect=lambda name: k8s.connect(name, eks=eks))


def test_the_setup_is_recorded_on_the_ingress_and_a_rerun_changes_nothing():
    # Given an internal setup with DNS, layer4 keep and a caller's annotation
    overrides = {"scheme": "internal", "layer4": "keep", "hostedZoneId": "Z123",
                 "ingressAnnotations": {"alb.ingress.kubernetes.io/tags": "team=search"}}
    kube = FakeKube({SERVICE: milvus_service("LoadBalancer")})
    # When ApplyIngress runs
    first = apply_ingress(apply_event(**overrides), kube, now=lambda: 1000.0)
    # Then the Ingress carries the whole request, versioned, without the per-run intents
    record = json.loads(kube.objects[INGRESS]["metadata"]["annotations"][SETUP_RECORD])
    assert record["version"] == 1
    assert record["request"] == {key: value for key, value in apply_event(**overrides).request.to_wire().items()
                                 if key not in ("renew", "replaceLoadBalancer")}
    assert first.changed is True
    version = kube.objects[INGRESS]["metadata"]["resourceVersion"]
    # When the same request runs again, and once more as a renewal
    again = apply_ingress(apply_event(**overrides), kube, now=lambda: 2000.0)
    renewal = apply_ingress(apply_event(**overrides, renew=True), kube, now=lambda: 3000.0)
    # Then the Ingress is left as it was: the same resourceVersion, reported unchanged
    assert (again.changed, renewal.changed) == (False, False)
    assert kube.objects[INGRESS]["metadata"]["resourceVersion"] == version


def test_a_retry_after_the_first_attempt_was_killed_past_its_apply_reports_the_change_this_execution_made():
    # Given an execution that started at T, and what an undisturbed ApplyIngress of it answers
    started = dt.datetime(2026, 12, 4, 17, 0, 0, 500_000, tzinfo=dt.UTC)
    event = apply_event().model_copy(update={"execution_start_time": started})
    undisturbed = apply_ingress(event, FakeKube({SERVICE: milvus_service()}), now=lambda: 1000.0)
    # and a first attempt that applied the Ingress in the start's second (the API server's whole-second time)
    # and died before it answered (its result is lost)
    kube = FakeKube({SERVICE: milvus_service()})
    kube.clock = lambda: started.replace(microsecond=0)
    apply_ingress(event, kube, now=lambda: 1000.0)
    version = kube.objects[INGRESS]["metadata"]["resourceVersion"]
    # When Step Functions runs the step again in the same execution, a second later
    kube.clock = lambda: started + dt.timedelta(seconds=1)
    retried = apply_ingress(event, kube, now=lambda: 1000.0)
    # Then the Ingress is left as it was, and the answer is the undisturbed one: changed by this run
    assert kube.objects[INGRESS]["metadata"]["resourceVersion"] == version
    assert retried == undisturbed and retried.changed is True
    # while a later execution (a rerun, started after the apply) changed nothing
    later = apply_event().model_copy(update={"execution_start_time": started + dt.timedelta(minutes=5)})
    assert apply_ingress(later, kube, now=lambda: 1000.0).changed is False
