"""CheckDrift: one finding per difference between the cluster and the recorded setup, none when all is as recorded,
and a bounded number of calls; against the fake Kubernetes API and moto's ELBv2, ACM and Route 53."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography import x509
from moto import mock_aws

from check_drift import handler
from check_drift.logic import check_drift
from check_drift.models import DriftReport, Repairs
from layer7 import kube as k8s
from layer7 import ownership
from layer7.certificates import fingerprint_sha256
from layer7.errors import InvalidInput
from layer7.ingress_manifest import ingress_manifest
from layer7.models import SetupRequest
from layer7.served_certificate import PresentedCertificate
from testkit.certs import make_ca, make_leaf
from tests.unit.elbv2_world import controller_alb
from tests.unit.kube_fakes import FakeKube, milvus_service, setup_request

HOST = "milvus.example.com"
INGRESS = k8s.ingress_path("milvus", "milvus-demo")
SERVICE = k8s.service_path("milvus", "milvus-demo")
NOW = dt.datetime.now(dt.UTC)
CA = make_ca("Drift test CA")


def calls_of(client: Any) -> list[str]:
    """Every API call the client sends from now on, by operation name."""
    calls: list[str] = []
    client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
    return calls


@dataclass
class World:
    """A setup as the workflow leaves it: the Ingress with its record, the Service ClusterIP, the ALB serving the
    imported certificate with a healthy target, and the host's alias to it."""

    kube: FakeKube
    elbv2: Any
    acm: Any
    route53: Any
    request: SetupRequest
    lb: dict[str, Any]
    certificate_arn: str
    zone_id: str
    # What the ALB presents to a client as HOST (SNI): the imported leaf's SHA-256, or the OSError a handshake meets
    presented: str | OSError = ""
    calls: dict[str, list[str]] = field(default_factory=dict)
    handshakes: list[tuple[str, int, str]] = field(default_factory=list)

    def present(self, dns_name: str, port: int, host: str, ca_bundle: str, timeout: float) -> PresentedCertificate:
        self.handshakes.append((dns_name, port, host))
        assert Path(ca_bundle).read_text().count("BEGIN CERTIFICATE")  # the chain (and the roots) to trust
        if isinstance(self.presented, OSError):
            raise self.presented
        return PresentedCertificate(self.presented, "TLSv1.3", trusted=True)

    def check(self, days: int = 30, secrets: Any = None) -> DriftReport:
        self.calls = {name: calls_of(getattr(self, name)) for name in ("elbv2", "acm", "route53")}
        self.handshakes = []
        return check_drift(HOST, "milvus", self.kube, self.elbv2, self.acm, self.route53, certificate_days=days,
                           now=lambda: NOW.timestamp(), secrets=secrets, present=self.present)

    def kinds(self, days: int = 30) -> list[str]:
        return [finding.kind for finding in self.check(days).findings]

    @property
    def ingress(self) -> dict[str, Any]:
        return self.kube.objects[INGRESS]


def import_certificate(acm: Any, days_left: int, arn: str | None = None) -> tuple[str, str]:
    """The imported certificate's ARN and SHA-256, tagged with that fingerprint as ImportCertificate tags it; with
    ``arn``, re-imported into it by hand (ACM keeps the tags, which plain moto drops: they are put back)."""
    leaf = make_leaf(CA, [HOST], not_after=NOW + dt.timedelta(days=days_left, hours=1))
    fingerprint = fingerprint_sha256(x509.load_pem_x509_certificate(leaf.certificate_pem.encode()))
    tags = {} if arn else {"Tags": [{"Key": ownership.TAG_FINGERPRINT, "Value": fingerprint}]}
    kept = acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] if arn else []
    arn = str(acm.import_certificate(Certificate=leaf.certificate_pem.encode(),
                                     PrivateKey=leaf.private_key_pem.encode(),
                                     CertificateChain=CA.certificate_pem.encode(),
                                     **({"CertificateArn": arn} if arn else tags))["CertificateArn"])
    if kept:
        acm.add_tags_to_certificate(CertificateArn=arn, Tags=kept)
    return arn, fingerprint


def make_world(*, layer4: str = "remove", days_left: int = 90, other_load_balancers: int = 0) -> World:
    # Any: the tests build requests the stubs' TypedDicts would only make longer
    ec2: Any = boto3.client("ec2")
    elbv2: Any = boto3.client("elbv2")
    acm: Any = boto3.client("acm")
    route53: Any = boto3.client("route53")
    certificate_arn, fingerprint = import_certificate(acm, days_left)
    lb, _ = controller_alb(ec2, elbv2, other_load_balancers=other_load_balancers, Scheme="internet-facing",
                           listener={"Protocol": "HTTPS", "Port": 443,
                                     "Certificates": [{"CertificateArn": certificate_arn}]})
    zone_id = route53.create_hosted_zone(Name="example.com", CallerReference="drift")["HostedZone"]["Id"]
    zone_id = zone_id.rsplit("/", 1)[-1]
    alias = {"HostedZoneId": lb["CanonicalHostedZoneId"], "DNSName": f"dualstack.{lb['DNSName']}",
             "EvaluateTargetHealth": True}
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
        {"Action": "UPSERT", "ResourceRecordSet": {"Name": HOST, "Type": "A", "AliasTarget": alias}}]})
    request = setup_request(certificate={"secretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
                                                       "milvus-layer7/cert-AbCdEf"},
                            hostedZoneId=zone_id, layer4=layer4)
    ingress = ingress_manifest(request, certificate_arn)
    ingress["status"] = {"loadBalancer": {"ingress": [{"hostname": lb["DNSName"]}]}}
    service = milvus_service("LoadBalancer" if layer4 == "keep" else "ClusterIP")
    kube = FakeKube({INGRESS: ingress, SERVICE: service})
    return World(kube, elbv2, acm, route53, request, lb, certificate_arn, zone_id, presented=fingerprint)


@pytest.fixture
def world():
    with mock_aws():
        yield make_world()


# --- the quiet case, and what it costs ---------------------------------------------------------------------------


def test_a_setup_as_recorded_matches_with_no_findings(world):
    assert world.check().to_wire() == {"host": HOST, "matches": True, "findings": [], "repairs": None}


def test_one_check_makes_a_fixed_number_of_calls_however_many_load_balancers_the_account_has():
    # Given an account with 30 other load balancers
    with mock_aws():
        world = make_world(other_load_balancers=30)
        # When the check runs
        world.check()
    # Then it made 4 Kubernetes, 5 ELBv2, 3 ACM and 1 Route 53 calls, and one TLS handshake as the host's clients
    assert [call["method"] for call in world.kube.calls] == ["LIST", "GET", "GET", "LIST"]
    assert world.calls == {
        "elbv2": ["DescribeLoadBalancers", "DescribeListeners", "DescribeTargetGroups", "DescribeTags",
                  "DescribeTargetHealth"],
        "acm": ["DescribeCertificate", "GetCertificate", "ListTagsForCertificate"],
        "route53": ["ListResourceRecordSets"],
    }
    assert world.handshakes == [(world.lb["DNSName"], 443, HOST)]
    assert not world.kube.writes()


# --- one finding per difference ----------------------------------------------------------------------------------


def test_no_record_for_the_host_is_one_finding(world):
    del world.kube.objects[INGRESS]
    assert world.kinds() == ["NoSetupRecord"]


def test_an_ingress_that_lost_its_label_holds_no_record_for_the_host(world):
    del world.ingress["metadata"]["labels"]
    assert world.kinds() == ["NoSetupRecord"]


def test_a_service_back_to_loadbalancer_after_a_helm_upgrade_is_layer4_back(world):
    # Given the chart's Service rendered again: LoadBalancer, its source ranges, an NLB
    service = milvus_service("LoadBalancer")
    service["spec"]["loadBalancerSourceRanges"] = ["0.0.0.0/0"]
    service["status"] = {"loadBalancer": {"ingress": [{"hostname": "nlb-1.elb.us-east-1.amazonaws.com"}]}}
    world.kube.objects[SERVICE] = service
    [finding] = world.check().findings
    assert finding.kind == "Layer4Back"
    assert finding.what == ("Service milvus/milvus-demo is LoadBalancer again (address "
                            "nlb-1.elb.us-east-1.amazonaws.com; back: loadBalancerSourceRanges); the setup removed "
                            "its Layer-4 load balancer")
    assert '{"renew": true, "host": "milvus.example.com"}' in finding.do


def test_a_kept_layer4_load_balancer_that_is_gone_is_layer4_gone():
    with mock_aws():
        world = make_world(layer4="keep")
        assert world.kinds() == []
        world.kube.objects[SERVICE] = milvus_service("ClusterIP")
        assert world.kinds() == ["Layer4Gone"]


def test_a_missing_service_is_service_missing(world):
    del world.kube.objects[SERVICE]
    assert world.kinds() == ["ServiceMissing"]


def test_each_changed_annotation_and_spec_field_is_its_own_finding(world):
    # Given an Ingress edited by hand: one annotation changed, one removed, one added, the backend port changed
    annotations = world.ingress["metadata"]["annotations"]
    annotations["alb.ingress.kubernetes.io/ssl-policy"] = "ELBSecurityPolicy-2016-08"
    del annotations["alb.ingress.kubernetes.io/healthcheck-interval-seconds"]
    annotations["alb.ingress.kubernetes.io/inbound-cidrs"] = "10.0.0.0/8"
    annotations["kubectl.kubernetes.io/last-applied-configuration"] = "{}"  # not the controller's: not compared
    world.ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["number"] = 9091
    whats = [(f.kind, f.what.split(": ", 1)[1].split(" is ", 1)[0]) for f in world.check().findings]
    assert whats == [
        ("IngressChanged", "annotation alb.ingress.kubernetes.io/healthcheck-interval-seconds"),
        ("IngressChanged", "annotation alb.ingress.kubernetes.io/inbound-cidrs"),
        ("IngressChanged", "annotation alb.ingress.kubernetes.io/ssl-policy"),
        ("IngressChanged", "spec.rules"),
    ]


def test_the_controllers_latest_failure_is_controller_failing(world):
    warning = {"type": "Warning", "reason": "FailedDeployModel", "message": "Failed deploy model due to boom",
               "involvedObject": {"kind": "Ingress", "name": "milvus-demo"}, "count": 3,
               "firstTimestamp": "2026-01-01T00:00:10Z", "lastTimestamp": "2026-01-01T00:00:20Z"}
    success = {**warning, "type": "Normal", "reason": "SuccessfullyReconciled", "count": 1,
               "firstTimestamp": "2026-01-01T00:00:05Z", "lastTimestamp": "2026-01-01T00:00:05Z"}
    world.kube.events = [success, warning]
    [finding] = world.check().findings
    assert (finding.kind, finding.what) == (
        "ControllerFailing", "the load balancer controller's latest reconcile of Ingress milvus/milvus-demo failed: "
                             "FailedDeployModel: Failed deploy model due to boom (seen 3 time(s))")
    # and a success after it clears it
    world.kube.events.append({**success, "firstTimestamp": "2026-01-01T00:01:00Z",
                              "lastTimestamp": "2026-01-01T00:01:00Z"})
    assert world.kinds() == []


def test_an_ingress_without_an_address_is_alb_missing(world):
    world.ingress["status"] = {}
    assert world.kinds() == ["AlbMissing"]


def test_an_alb_gone_from_elbv2_is_alb_missing(world):
    world.elbv2.delete_load_balancer(LoadBalancerArn=world.lb["LoadBalancerArn"])
    assert world.kinds() == ["AlbMissing"]


class Altered:
    """moto's ELBv2 with one answer changed (what moto cannot be told to do: a provisioning ALB, another scheme)."""

    def __init__(self, client: Any, **changes: Any) -> None:
        self.client, self.changes = client, changes
        self.meta = client.meta

    def describe_load_balancers(self, **kwargs: Any) -> dict[str, Any]:
        answer = self.client.describe_load_balancers(**kwargs)
        return {**answer, "LoadBalancers": [{**lb, **self.changes} for lb in answer["LoadBalancers"]]}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def test_a_provisioning_alb_is_alb_not_active(world):
    world.elbv2 = Altered(world.elbv2, State={"Code": "provisioning"})
    assert world.kinds() == ["AlbNotActive"]


def test_an_alb_of_another_scheme_is_alb_scheme(world):
    world.elbv2 = Altered(world.elbv2, Scheme="internal")
    assert world.kinds() == ["AlbScheme"]


def test_a_listener_serving_another_certificate_is_listener_certificate(world):
    other, _ = import_certificate(world.acm, 200)
    [listener] = world.elbv2.describe_listeners(LoadBalancerArn=world.lb["LoadBalancerArn"])["Listeners"]
    world.elbv2.modify_listener(ListenerArn=listener["ListenerArn"], Certificates=[{"CertificateArn": other}])
    [finding] = world.check().findings
    assert finding.kind == "ListenerCertificate"
    assert finding.what.endswith(f"serves {other} on port 443, not the setup's {world.certificate_arn}")


def test_no_listener_on_the_recorded_port_is_listener_certificate(world):
    [listener] = world.elbv2.describe_listeners(LoadBalancerArn=world.lb["LoadBalancerArn"])["Listeners"]
    world.elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
    assert world.kinds() == ["ListenerCertificate"]


def test_an_alb_without_this_ingresss_tags_is_alb_not_ours(world):
    world.elbv2.remove_tags(ResourceArns=[world.lb["LoadBalancerArn"]], TagKeys=["ingress.k8s.aws/stack"])
    assert world.kinds() == ["AlbNotOurs"]


def test_no_healthy_target_is_no_healthy_targets(world):
    [group] = world.elbv2.describe_target_groups(LoadBalancerArn=world.lb["LoadBalancerArn"])["TargetGroups"]
    world.elbv2.deregister_targets(TargetGroupArn=group["TargetGroupArn"],
                                   Targets=[{"Id": "10.0.0.10", "Port": 19530}])
    assert world.kinds() == ["NoHealthyTargets"]


def test_a_certificate_with_fewer_days_left_than_asked_is_certificate_expiring():
    with mock_aws():
        world = make_world(days_left=10)
        [finding] = world.check(days=30).findings
        assert finding.kind == "CertificateExpiring"
        assert "(in 10 days; the threshold is 30)" in finding.what
        assert world.kinds(days=10) == []


def test_an_alb_presenting_another_certificate_for_the_host_is_served_certificate(world):
    # Given a listener that names the imported certificate but presents another one to a client as the host
    world.presented = "ab" * 32
    report = world.check()
    [finding] = report.findings
    assert finding.kind == "ServedCertificate" and "ab" * 32 in finding.what and world.certificate_arn in finding.what


def test_an_alb_that_completes_no_tls_handshake_is_served_certificate(world):
    world.presented = ConnectionRefusedError(111, "Connection refused")
    [finding] = world.check().findings
    assert finding.kind == "ServedCertificate" and "ConnectionRefusedError" in finding.what


def test_no_handshake_while_the_alb_does_not_name_the_certificate(world):
    world.elbv2.delete_load_balancer(LoadBalancerArn=world.lb["LoadBalancerArn"])
    assert world.kinds() == ["AlbMissing"] and world.handshakes == []


def test_another_certificate_re_imported_into_the_arn_is_certificate_replaced_and_only_reported(world):
    # Given another certificate re-imported by hand into the ARN the ALB serves, which the ALB then presents
    _, other = import_certificate(world.acm, 200, arn=world.certificate_arn)
    world.presented = other
    # When the check runs
    report = world.check()
    # Then it finds the replacement, against the fingerprint ImportCertificate tagged it with
    [finding] = report.findings
    assert finding.kind == "CertificateReplaced" and other in finding.what and world.certificate_arn in finding.what
    # and says to start a renewal, whose ImportCertificate puts the secret's certificate back; the drift state
    # machine does not (its repairs are Layer4Back and CertificateExpiring, docs/CONTRACT.md "Drift repair")
    assert '"renew": true' in finding.do and report.repairs is None


def test_a_certificate_given_by_arn_is_not_held_to_a_fingerprint():
    with mock_aws():
        world = make_world()
        world.request = world.request.model_copy(update={"certificate": world.request.certificate.model_copy(
            update={"secret_arn": None, "certificate_arn": world.certificate_arn})})
        world.kube.objects[INGRESS] = {**ingress_manifest(world.request, world.certificate_arn),
                                       "status": world.ingress["status"]}
        _, other = import_certificate(world.acm, 200, arn=world.certificate_arn)
        world.presented = other
        assert world.kinds() == []
        assert world.calls["acm"] == ["DescribeCertificate", "GetCertificate"]


def test_a_certificate_gone_from_acm_is_certificate_missing(world):
    world.acm = boto3.client("acm", region_name="eu-west-1")  # the same ARN, looked for where it is not
    assert world.kinds() == ["CertificateMissing"]


def test_a_record_no_longer_aliased_to_the_alb_is_dns_changed(world):
    # Given the host's record changed by hand to a CNAME to the Layer-4 load balancer
    [record] = [r for r in world.route53.list_resource_record_sets(HostedZoneId=world.zone_id)["ResourceRecordSets"]
                if r["Type"] == "A"]
    world.route53.change_resource_record_sets(HostedZoneId=world.zone_id, ChangeBatch={"Changes": [
        {"Action": "DELETE", "ResourceRecordSet": record},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": HOST, "Type": "CNAME", "TTL": 60,
                                                   "ResourceRecords": [{"Value": "nlb-1.elb.amazonaws.com"}]}}]})
    [finding] = world.check().findings
    assert (finding.kind, finding.what) == (
        "DnsChanged", f"A record {HOST} in zone {world.zone_id} is missing, not an alias to ALB {world.lb['DNSName']}")


# --- what the drift state machine may repair (check_drift/repairs.py) ----------------------------------------------


def layer4_back(world: World) -> None:
    service = milvus_service("LoadBalancer")
    service["spec"]["loadBalancerSourceRanges"] = ["0.0.0.0/0"]
    world.kube.objects[SERVICE] = service


def test_layer4_back_while_the_alb_serves_is_repairable_with_what_verify_grpc_needs(world):
    # Given the Service LoadBalancer again, and nothing else changed
    layer4_back(world)
    # When the check runs
    report = world.check()
    # Then the plan holds the recorded request, the ALB and the certificate the listener serves
    assert report.repairs is not None and report.repairs.renew is False
    repair = report.repairs.layer4
    assert repair is not None
    assert repair.request == world.request
    assert (repair.load_balancer.dns_name, repair.load_balancer.arn, repair.load_balancer.listen_port,
            repair.load_balancer.ready) == (world.lb["DNSName"], world.lb["LoadBalancerArn"], 443, True)
    assert (repair.certificate.certificate_arn, repair.certificate.fingerprint_sha256) == (world.certificate_arn, "")


@pytest.mark.parametrize("other_drift", ["annotation", "targets", "dns"])
def test_layer4_back_beside_a_drift_of_the_alb_path_is_only_reported(world, other_drift):
    # Given the Service LoadBalancer again, and the ALB's path drifted too
    layer4_back(world)
    if other_drift == "annotation":
        world.ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/ssl-policy"] = "ELBSecurityPolicy-2016-08"
    elif other_drift == "targets":
        [group] = world.elbv2.describe_target_groups(LoadBalancerArn=world.lb["LoadBalancerArn"])["TargetGroups"]
        world.elbv2.deregister_targets(TargetGroupArn=group["TargetGroupArn"],
                                       Targets=[{"Id": "10.0.0.10", "Port": 19530}])
    else:
        world.route53.change_resource_record_sets(HostedZoneId=world.zone_id, ChangeBatch={"Changes": [
            {"Action": "UPSERT", "ResourceRecordSet": {"Name": HOST, "Type": "A", "TTL": 60,
                                                       "ResourceRecords": [{"Value": "192.0.2.1"}]}}]})
    # Then the Layer-4 load balancer is not removed: the ALB may not serve the clients it would take
    report = world.check()
    assert "Layer4Back" in [finding.kind for finding in report.findings]
    assert report.repairs is None


@dataclass
class SecretVersions:
    """Secrets Manager's ListSecretVersionIds, with the current version written when the test says."""

    created: dt.datetime
    calls: list[str] = field(default_factory=list)

    def list_secret_version_ids(self, SecretId: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.calls.append(SecretId)
        return {"Versions": [{"VersionId": "old", "VersionStages": ["AWSPREVIOUS"], "CreatedDate": self.created},
                             {"VersionId": "new", "VersionStages": ["AWSCURRENT"], "CreatedDate": self.created}]}


@pytest.mark.parametrize(("written", "renew"), [(dt.timedelta(days=1), True), (-dt.timedelta(days=1), False)])
def test_a_certificate_near_its_end_is_renewed_only_with_a_newer_value_in_the_secret(written, renew):
    with mock_aws():
        world = make_world(days_left=10)
        imported_at = world.acm.describe_certificate(CertificateArn=world.certificate_arn)["Certificate"]["ImportedAt"]
        # Given the setup's secret's current value written a day after (or before) the certificate was imported
        secrets = SecretVersions(imported_at + written)
        # When the check runs
        report = world.check(days=30, secrets=secrets)
        # Then it reads the versions of the recorded secret once, and plans a renewal only for a newer value
        assert [finding.kind for finding in report.findings] == ["CertificateExpiring"]
        assert secrets.calls == [world.request.certificate.secret_arn]
        assert report.repairs == (Repairs(renew=True) if renew else None)


def test_a_certificate_far_from_its_end_never_reads_the_secret(world):
    secrets = SecretVersions(NOW + dt.timedelta(days=1))
    assert world.check(secrets=secrets).repairs is None
    assert secrets.calls == []


# --- the handler -------------------------------------------------------------------------------------------------


def test_the_handler_checks_the_stacks_host_with_its_own_clients(world, lambda_context, monkeypatch):
    monkeypatch.setenv("DEFAULT_HOST", HOST)
    monkeypatch.setenv("CLUSTER_NAME", "milvus-eks")
    clusters: list[str] = []

    def connect(name: str) -> FakeKube:
        clusters.append(name)
        return world.kube

    out = handler.lambda_handler({}, lambda_context, connect=connect, elbv2=world.elbv2, acm=world.acm,
                                 route53=world.route53, present=world.present)
    assert out == {"host": HOST, "matches": True, "findings": [], "repairs": None}
    assert clusters == ["milvus-eks"] and world.kube.closed


@pytest.mark.parametrize(("event", "message"), [
    ({"host": HOST, "hosts": [HOST]}, "hosts: Extra inputs are not permitted"),
    ({"host": HOST, "certificateDays": -1}, "certificateDays: Input should be greater than or equal to 0"),
    ({}, "host: give the host to check"),
])
def test_the_handler_refuses_a_bad_input_before_reading_anything(event, message, lambda_context, monkeypatch):
    monkeypatch.delenv("DEFAULT_HOST", raising=False)

    def connect(name: str) -> FakeKube:
        raise AssertionError("connected")

    with pytest.raises(InvalidInput, match=message):
        handler.lambda_handler(event, lambda_context, connect=connect, elbv2=object(), acm=object(), route53=object())


# --- the scheduled check's list of hosts -------------------------------------------------------------------------


def test_list_hosts_names_each_recorded_host_once_in_one_kubernetes_call(world, lambda_context, monkeypatch):
    # Given the host's Ingress with its record, a second host's, and an Ingress of ours with no record
    monkeypatch.setenv("CLUSTER_NAME", "milvus-eks")
    other = setup_request(host="other.example.com", ingressName="other")
    world.kube.objects[k8s.ingress_path("milvus", "other")] = ingress_manifest(other, world.certificate_arn)
    unrecorded = ingress_manifest(setup_request(ingressName="old"), world.certificate_arn)
    del unrecorded["metadata"]["annotations"]["milvus-layer7/setup"]
    world.kube.objects[k8s.ingress_path("milvus", "old")] = unrecorded
    # When the scheduled check asks for the hosts
    out = handler.lambda_handler({"listHosts": True, "correlationId": "run-1"}, lambda_context,
                                 connect=lambda name: world.kube, elbv2=object(), acm=object(), route53=object())
    # Then both recorded hosts, sorted, from one list of the namespace's Ingresses, and nothing else read
    assert out == {"namespace": "milvus", "hosts": ["milvus.example.com", "other.example.com"]}
    assert [call["method"] for call in world.kube.calls] == ["LIST"]


def test_list_hosts_with_a_host_is_refused_before_reading_anything(lambda_context):
    def connect(name: str) -> FakeKube:
        raise AssertionError("connected")

    with pytest.raises(InvalidInput, match="listHosts: lists every recorded host; give it without host"):
        handler.lambda_handler({"listHosts": True, "host": HOST}, lambda_context, connect=connect, elbv2=object(),
                               acm=object(), route53=object())
