"""The load balancer controller stand-in against moto (in process) and the Kubernetes stand-in."""

from __future__ import annotations

import datetime
import time

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto import mock_aws

from layer7.controller_events import PERMANENT, TRANSIENT, classify
from sandbox.controller.reconcile import LoadBalancerControllerStandIn
from sandbox.kubernetes import KubernetesStandIn
from sandbox.kubernetes.events import AGGREGATE_MAX_EVENTS, COMBINED_PREFIX
from tests.polling import holds_for, wait_for
from tests.sandbox.conftest import chart_service

REGION = "us-east-1"
HOST = "milvus.example.com"


def self_signed() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption()))


@pytest.fixture(scope="module")
def kube():
    stand_in = KubernetesStandIn(cluster_name="milvus-eks", credentials={"testing": "testing"})
    stand_in.start()
    stand_in.seed_service(chart_service())
    yield stand_in
    stand_in.stop()


@pytest.fixture()
def aws(monkeypatch):
    for var, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")
                   ["Subnet"]["SubnetId"] for i, az in ((1, "a"), (2, "b"))]
        acm = boto3.client("acm", region_name=REGION)
        cert, key = self_signed()
        arn = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
        yield {"elbv2": boto3.client("elbv2", region_name=REGION), "acm": acm, "vpc": vpc,
               "subnets": subnets, "cert": arn}


def ingress(name: str, cert: str, **overrides: str) -> dict:
    annotations = {
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/backend-protocol-version": "GRPC",
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS":443}]',
        "alb.ingress.kubernetes.io/certificate-arn": cert,
    }
    annotations.update({f"alb.ingress.kubernetes.io/{k}": v for k, v in overrides.items()})
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "milvus", "annotations": annotations},
            "spec": {"ingressClassName": "alb", "rules": [{"host": HOST, "http": {"paths": [{
                "path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "milvus-demo", "port": {"number": 19530}}}}]}}]}}


def controller(kube, aws, **kwargs) -> LoadBalancerControllerStandIn:
    # health checks at a twentieth of the target group's pace: the controller's 15 s interval takes 0.75 s
    options = dict(elbv2=aws["elbv2"], acm=aws["acm"], ec2_subnet_ids=aws["subnets"], vpc_id=aws["vpc"],
                   cluster_name="milvus-eks", alb_delay=0.6, active_delay=0.6, poll_interval=0.05,
                   health_check_scale=0.05)
    options.update(kwargs)
    return LoadBalancerControllerStandIn(kube, **options)


def warnings(kube, name):
    return [e for e in kube.events_for("milvus", "Ingress", name) if e["type"] == "Warning"]


@pytest.fixture()
def cleanup(kube):
    names = []
    yield names
    for name in names:
        if kube.get("ingresses", "milvus", name):
            # the controller is stopped: take its finalizer off by hand (kubectl patch), or the Ingress stays
            kube.patch("ingresses", "milvus", name, {"metadata": {"finalizers": None}})
            if kube.get("ingresses", "milvus", name):
                kube.delete("ingresses", "milvus", name)


def test_ok_mode_address_then_active_with_healthy_target(kube, aws, cleanup):
    healthy = {"value": False}
    calls = []
    ctl = controller(kube, aws, backend_healthy=lambda timeout: healthy["value"],
                     data_plane=lambda i, d: calls.append(d))
    cleanup.append("ok")
    kube.create("ingresses", "milvus", ingress("ok", aws["cert"]))
    started = time.time()
    ctl.start()
    try:
        wait_for(lambda: "albArn" in ctl.timeline_for("milvus", "ok"))
        lb = aws["elbv2"].describe_load_balancers()["LoadBalancers"][0]
        assert lb["State"]["Code"] == "provisioning"  # moto alone would say active
        assert kube.get("ingresses", "milvus", "ok")["status"]["loadBalancer"] == {}
        assert lb["LoadBalancerName"].startswith("k8s-milvus-ok-") and len(lb["LoadBalancerName"]) <= 32
        assert lb["Scheme"] == "internet-facing"
        tags = {t["Key"]: t["Value"] for t in aws["elbv2"].describe_tags(
            ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]}
        assert tags == {"elbv2.k8s.aws/cluster": "milvus-eks", "ingress.k8s.aws/stack": "milvus/ok",
                        "ingress.k8s.aws/resource": "LoadBalancer"}
        tg = aws["elbv2"].describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"][0]
        assert (tg["ProtocolVersion"], tg["TargetType"], tg["HealthCheckPath"], tg["Matcher"]) == (
            "GRPC", "ip", "/AWS.ALB/healthcheck", {"GrpcCode": "12"})
        listener = aws["elbv2"].describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]
        assert (listener["Protocol"], listener["Port"]) == ("HTTPS", 443)
        assert listener["Certificates"][0]["CertificateArn"] == aws["cert"]

        hostname = wait_for(lambda: (kube.get("ingresses", "milvus", "ok")["status"]["loadBalancer"]
                                     .get("ingress") or [{}])[0].get("hostname"))
        assert hostname == lb["DNSName"]
        assert ctl.timeline["milvus/ok"]["addressAt"] - started >= 0.5
        assert aws["elbv2"].describe_load_balancers()["LoadBalancers"][0]["State"]["Code"] == "provisioning"

        def health():
            target = aws["elbv2"].describe_target_health(TargetGroupArn=tg["TargetGroupArn"])[
                "TargetHealthDescriptions"][0]["TargetHealth"]
            return target["State"], target.get("Reason")

        wait_for(lambda: aws["elbv2"].describe_load_balancers()["LoadBalancers"][0]["State"]["Code"] == "active")
        assert calls and calls[0]["DNSName"] == hostname
        # the first health check comes one interval after registration: until then the target is initial
        assert health() == ("initial", "Elb.InitialHealthChecking")
        # a backend that does not answer fails UnhealthyThresholdCount (2) checks in a row: unhealthy
        assert wait_for(lambda: health() == ("unhealthy", "Target.FailedHealthChecks"))
        assert "activeAt" not in ctl.timeline["milvus/ok"]
        # once it answers, HealthyThresholdCount (2) passing checks bring it back
        healthy["value"] = True
        wait_for(lambda: health() == ("healthy", None))
        checks = ctl._state["milvus/ok"]["checks"].checks
        assert [passed for _, passed in checks][-2:] == [True, True] and not checks[-3][1]
        wait_for(lambda: "activeAt" in ctl.timeline["milvus/ok"])
        assert ctl.timeline_for("milvus", "ok")["activeAt"] >= ctl.timeline["milvus/ok"]["addressAt"] + 0.5
        assert not warnings(kube, "ok") and not ctl.errors
    finally:
        ctl.stop()


@pytest.mark.parametrize("case, reason, text, kind", [
    ("reject", "FailedDeployModel", "api error AccessDenied: ", PERMANENT),
    ("missing-cert", "FailedDeployModel", ", CertificateNotFound: ", TRANSIENT),
    ("grpc-http", "FailedDeployModel", "api error ValidationError: ", PERMANENT),
])
def test_rejections_are_retried_counted_on_folded_warnings_and_build_nothing(kube, aws, cleanup, case, reason, text,
                                                                             kind):
    mode = "reject" if case == "reject" else "ok"
    extra = {}
    if case == "missing-cert":
        extra["certificate-arn"] = aws["cert"].rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    if case == "grpc-http":
        extra["listen-ports"] = '[{"HTTP":80}]'
    cleanup.append(case)
    kube.create("ingresses", "milvus", ingress(case, aws["cert"], **extra))
    ctl = controller(kube, aws, mode=mode).start()
    try:
        # the controller retries with backoff; each attempt's message has its own RequestID (aws-sdk-go-v2), so
        # client-go's correlator keeps the first nine apart and folds the rest into a tenth with a growing count
        events = wait_for(lambda: [e for e in warnings(kube, case)
                                   if e["message"].startswith(COMBINED_PREFIX) and e["count"] >= 2])
        assert len(warnings(kube, case)) == AGGREGATE_MAX_EVENTS
        assert all(e["reason"] == reason and text in e["message"] for e in warnings(kube, case))
        assert classify(reason, events[0]["message"]) == kind
        assert events[0]["source"]["component"] == "ingress"
        assert aws["elbv2"].describe_load_balancers()["LoadBalancers"] == []
        assert kube.get("ingresses", "milvus", case)["status"]["loadBalancer"] == {}
    finally:
        ctl.stop()


def test_never_mode_never_assigns_an_address(kube, aws, cleanup):
    cleanup.append("never")
    kube.create("ingresses", "milvus", ingress("never", aws["cert"]))
    ctl = controller(kube, aws, mode="never", alb_delay=0.1).start()
    try:
        # well past alb_delay, many reconcile rounds: still no address, and no complaint either
        holds_for(lambda: kube.get("ingresses", "milvus", "never")["status"]["loadBalancer"] == {}
                  and "addressAt" not in ctl.timeline_for("milvus", "never") and not warnings(kube, "never"), 0.8)
    finally:
        ctl.stop()


def test_other_ingress_classes_are_ignored(kube, aws, cleanup):
    other = ingress("nginx", aws["cert"])
    other["spec"]["ingressClassName"] = "nginx"
    cleanup.append("nginx")
    kube.create("ingresses", "milvus", other)
    ctl = controller(kube, aws).start()
    try:
        holds_for(lambda: aws["elbv2"].describe_load_balancers()["LoadBalancers"] == []
                  and not kube.get("ingresses", "milvus", "nginx")["metadata"].get("finalizers"), 0.5)
        assert "milvus/nginx" not in ctl.timeline
    finally:
        ctl.stop()


def test_a_deleted_ingress_is_held_by_the_finalizer_until_its_alb_is_gone(kube, aws, cleanup):
    # Given an Ingress the controller built an ALB for, serving through a data plane
    removed = []
    cleanup.append("gone")
    kube.create("ingresses", "milvus", ingress("gone", aws["cert"]))
    ctl = controller(kube, aws, data_plane_removed=removed.append).start()
    try:
        wait_for(lambda: kube.get("ingresses", "milvus", "gone")["status"]["loadBalancer"].get("ingress"))
        # Then the controller put its finalizer on it before building anything
        assert kube.get("ingresses", "milvus", "gone")["metadata"]["finalizers"] == ["ingress.k8s.aws/resources"]
        [lb] = aws["elbv2"].describe_load_balancers()["LoadBalancers"]
        # When the controller is down and the Ingress is deleted
        ctl.stop()
        kube.delete("ingresses", "milvus", "gone")
        # Then the API server keeps it, being deleted, and the ALB is still there
        held = kube.get("ingresses", "milvus", "gone")
        assert held["metadata"]["deletionTimestamp"] and held["metadata"]["finalizers"] == \
            ["ingress.k8s.aws/resources"]
        assert len(aws["elbv2"].describe_load_balancers()["LoadBalancers"]) == 1
        # When the controller runs again
        ctl.start()
        # Then the ALB and its target group go, its data plane with it, and then the Ingress
        wait_for(lambda: kube.get("ingresses", "milvus", "gone") is None)
        assert aws["elbv2"].describe_load_balancers()["LoadBalancers"] == []
        assert aws["elbv2"].describe_target_groups()["TargetGroups"] == []
        assert removed == [lb["DNSName"]]
        assert "deletedAt" in ctl.timeline_for("milvus", "gone") and not ctl.errors
    finally:
        ctl.stop()


def test_the_target_group_listener_and_load_balancer_take_the_annotations_settings(kube, aws, cleanup):
    # Given the workflow's defaults on the Ingress
    cleanup.append("tuned")
    kube.create("ingresses", "milvus", ingress("tuned", aws["cert"], **{
        "ssl-policy": "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        "load-balancer-attributes": "idle_timeout.timeout_seconds=300",
        "healthcheck-interval-seconds": "5", "healthcheck-timeout-seconds": "4",
        "healthy-threshold-count": "2", "unhealthy-threshold-count": "3"}))
    ctl = controller(kube, aws).start()
    try:
        lb_arn = wait_for(lambda: ctl.timeline_for("milvus", "tuned").get("albArn"))
        # Then the target group checks as they say, the listener has their policy, the ALB their idle timeout
        [tg] = aws["elbv2"].describe_target_groups(LoadBalancerArn=lb_arn)["TargetGroups"]
        assert (tg["HealthCheckIntervalSeconds"], tg["HealthCheckTimeoutSeconds"], tg["HealthyThresholdCount"],
                tg["UnhealthyThresholdCount"]) == (5, 4, 2, 3)
        [listener] = aws["elbv2"].describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]
        assert listener["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
        attributes = aws["elbv2"].describe_load_balancer_attributes(LoadBalancerArn=lb_arn)["Attributes"]
        assert {"Key": "idle_timeout.timeout_seconds", "Value": "300"} in attributes
    finally:
        ctl.stop()


def test_without_the_annotations_the_controllers_defaults_apply(kube, aws, cleanup):
    cleanup.append("plain")
    kube.create("ingresses", "milvus", ingress("plain", aws["cert"]))
    ctl = controller(kube, aws).start()
    try:
        lb_arn = wait_for(lambda: ctl.timeline_for("milvus", "plain").get("albArn"))
        [tg] = aws["elbv2"].describe_target_groups(LoadBalancerArn=lb_arn)["TargetGroups"]
        assert (tg["HealthCheckIntervalSeconds"], tg["HealthCheckTimeoutSeconds"], tg["HealthyThresholdCount"],
                tg["UnhealthyThresholdCount"]) == (15, 5, 2, 2)
        [listener] = aws["elbv2"].describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]
        assert listener["SslPolicy"] == "ELBSecurityPolicy-2016-08"
    finally:
        ctl.stop()


@pytest.mark.parametrize(("interval", "timeout", "ready_after"), [("5", "4", 0.5), ("15", "5", 1.5)])
def test_the_health_check_interval_sets_the_time_from_active_to_ready(kube, aws, cleanup, interval, timeout,
                                                                      ready_after):
    # Given health checks at a tenth of their pace (the workflow's 5 s, the controller's 15 s), a backend that answers
    name = f"every-{interval}"
    cleanup.append(name)
    kube.create("ingresses", "milvus", ingress(name, aws["cert"], **{"healthcheck-interval-seconds": interval,
                                                                       "healthcheck-timeout-seconds": timeout}))
    ctl = controller(kube, aws, health_check_scale=0.1).start()
    try:
        # When the ALB turns active
        ready = wait_for(lambda: ctl.timeline_for("milvus", name).get("activeAt"))
        # Then the target turns healthy at its first check, one (scaled) interval later, not before
        waited = ready - ctl.timeline_for("milvus", name)["lbActiveAt"]
        assert ready_after <= waited < ready_after + 0.4
        [check] = ctl._state[f"milvus/{name}"]["checks"].checks[:1]
        assert check[1] is True
    finally:
        ctl.stop()


def test_a_changed_ingress_keeps_its_alb_and_target_and_a_new_scheme_replaces_the_alb(kube, aws, cleanup):
    # Given an Ingress whose ALB serves with a healthy target
    served = []
    cleanup.append("changing")
    kube.create("ingresses", "milvus", ingress("changing", aws["cert"]))
    ctl = controller(kube, aws, data_plane=lambda i, d: served.append(d["DNSName"])).start()
    try:
        wait_for(lambda: "activeAt" in ctl.timeline_for("milvus", "changing"))
        [lb] = aws["elbv2"].describe_load_balancers()["LoadBalancers"]
        [tg] = aws["elbv2"].describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
        [listener] = aws["elbv2"].describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        rules = aws["elbv2"].describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        # When annotations change that the deployer modifies in place: the listener's policy, the target group's
        # health check, the load balancer's attributes
        kube.patch("ingresses", "milvus", "changing", {"metadata": {"annotations": {
            "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "alb.ingress.kubernetes.io/healthcheck-interval-seconds": "10",
            "alb.ingress.kubernetes.io/load-balancer-attributes": "idle_timeout.timeout_seconds=300"}}})
        # (the reconcile ends with the data plane's call, after the listener's change: on a busy machine the
        # listener alone can be seen changed before it)
        wait_for(lambda: len(served) == 2 and aws["elbv2"].describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])[
            "Listeners"][0].get("SslPolicy") == "ELBSecurityPolicy-TLS13-1-2-2021-06")
        # Then the same ALB, with the same address and the same target group, serves on, its target healthy all along
        assert aws["elbv2"].describe_load_balancers()["LoadBalancers"] == [lb]
        [modified] = aws["elbv2"].describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
        assert modified["TargetGroupArn"] == tg["TargetGroupArn"] and modified["HealthCheckIntervalSeconds"] == 10
        # and its listener and host rule are the same ones, modified (listener_rule_synthesizer.go)
        assert [r["RuleArn"] for r in aws["elbv2"].describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]] == [
            r["RuleArn"] for r in rules]
        health = aws["elbv2"].describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
        assert health[0]["TargetHealth"]["State"] == "healthy"
        assert served[-1] == lb["DNSName"] and len(served) == 2  # the data plane took the listener's new policy
        attributes = aws["elbv2"].describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])
        assert {"Key": "idle_timeout.timeout_seconds", "Value": "300"} in attributes["Attributes"]
        # When the scheme changes (load_balancer_synthesizer.go isSDKLoadBalancerRequiresReplacement)
        kube.patch("ingresses", "milvus", "changing", {"metadata": {"annotations": {
            "alb.ingress.kubernetes.io/scheme": "internal"}}})
        # Then another ALB takes its place, and the old one is gone
        wait_for(lambda: [b["Scheme"] for b in aws["elbv2"].describe_load_balancers()["LoadBalancers"]] == ["internal"])
        assert aws["elbv2"].describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"] != lb["LoadBalancerArn"]
        assert not warnings(kube, "changing") and not ctl.errors
    finally:
        ctl.stop()
