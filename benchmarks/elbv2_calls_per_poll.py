"""ELBv2 calls one CheckLoadBalancer poll makes, as the account holds more and more load balancers.

The goal (issue 7): the number must not grow with the account's load
balancers; the step finds its ALB by the name in the Ingress's address and
its target groups by the controller's tags (lambdas/layer7/load_balancers.py).
This counts every ELBv2 API call botocore sends during one poll, against
moto's ELBv2 in this process, with 0, 50 and 200 other load balancers in the
region, and exits 1 if the count changes with them.

It counts the scheduled drift check's calls too (issue 20; stacks/drift_schedule.py): CheckDrift's
``listHosts`` (Kubernetes only), then CheckDrift for one host, by service (Kubernetes, ELBv2, ACM,
Route 53), with 0, 50 and 200 other load balancers in the region and 0, 20 and 100 other recorded hosts
in the namespace; it exits 1 if either count changes with them.

    .venv/bin/python benchmarks/elbv2_calls_per_poll.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lambdas"))
sys.path.insert(0, str(ROOT))  # testkit: the certificates the drift check reads
os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_DEFAULT_REGION": "us-east-1",
                   "POWERTOOLS_METRICS_NAMESPACE": "MilvusLayer7"})

import boto3  # noqa: E402
from cryptography import x509  # noqa: E402
from moto import mock_aws  # noqa: E402

from check_drift.logic import check_drift, recorded_hosts  # noqa: E402
from check_load_balancer.logic import check_load_balancer  # noqa: E402
from layer7 import kube as k8s  # noqa: E402
from layer7.certificates import fingerprint_sha256  # noqa: E402
from layer7.ingress_manifest import ingress_manifest  # noqa: E402
from layer7.models import CheckLoadBalancerEvent, SetupRequest  # noqa: E402
from layer7.ownership import TAG_FINGERPRINT  # noqa: E402
from layer7.served_certificate import PresentedCertificate  # noqa: E402
from testkit.certs import make_ca, make_leaf  # noqa: E402

if TYPE_CHECKING:  # stubs from requirements-dev.txt
    from types_boto3_elbv2.type_defs import TagTypeDef

OTHERS = (0, 50, 200)
TAGS = {"elbv2.k8s.aws/cluster": "milvus-eks", "ingress.k8s.aws/stack": "milvus/milvus-demo"}


class OneIngress(k8s.Kube):
    """Just enough of layer7.kube.Kube: the Ingress with the ALB's address, no events (no ApiClient: the two
    calls the step makes are its own)."""

    cluster_name = "milvus-eks"

    def __init__(self, hostname: str) -> None:
        self.ingress = {"metadata": {"name": "milvus-demo", "namespace": "milvus"},
                        "status": {"loadBalancer": {"ingress": [{"hostname": hostname}]}}}

    def get(self, path: str, what: str) -> dict[str, Any]:
        return self.ingress

    def list(self, path: str, what: str, **query: str) -> list[dict[str, Any]]:
        return []


def tag_list(extra: dict[str, str]) -> list[TagTypeDef]:
    return [{"Key": k, "Value": v} for k, v in {**TAGS, **extra}.items()]


def controller_made_alb(elbv2: Any, vpc: str, subnets: list[str], **listener: Any) -> dict[str, Any]:
    """An internet-facing ALB tagged as the controller tags it, its gRPC target group with one target, and one
    listener (``listener``: its protocol, port and certificates) forwarding to it."""
    lb = elbv2.create_load_balancer(Name="k8s-milvus-milvusde-0123456789", Subnets=subnets, Scheme="internet-facing",
                                    Tags=tag_list({"ingress.k8s.aws/resource": "LoadBalancer"}))["LoadBalancers"][0]
    tg = elbv2.create_target_group(Name="k8s-milvus-tg", Protocol="HTTP", ProtocolVersion="GRPC", Port=19530,
                                   VpcId=vpc, TargetType="ip",
                                   Tags=tag_list({"ingress.k8s.aws/resource":
                                                  "milvus/milvus-demo-milvus-demo:19530"}))["TargetGroups"][0]
    elbv2.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "10.0.1.7", "Port": 19530}])
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], **listener,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    return dict(lb)


def calls_for_one_poll(others: int) -> Counter[str]:
    with mock_aws():
        ec2, elbv2 = boto3.client("ec2"), boto3.client("elbv2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")
                   ["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
        for index in range(others):
            elbv2.create_load_balancer(Name=f"someone-else-{index}", Subnets=subnets)
        lb = controller_made_alb(elbv2, vpc, subnets, Protocol="HTTP", Port=80)
        counted: Counter[str] = Counter()
        polled = boto3.client("elbv2")
        polled.meta.events.register("before-call",
                                    lambda model, **_: counted.update([model.name]))
        event = CheckLoadBalancerEvent.model_validate({
            "correlationId": "bench", "ingress": {"namespace": "milvus", "name": "milvus-demo",
                                                  "serviceType": "LoadBalancer", "appliedAt": time.time()},
            "request": {"host": "milvus.example.com", "certificate": {"certificateArn": "x"},
                        "clusterName": "milvus-eks",
                        "namespace": "milvus", "serviceName": "milvus-demo", "servicePort": 19530,
                        "ingressName": "milvus-demo", "scheme": "internet-facing", "listenPort": 443,
                        "ingressAnnotations": {}, "layer4": "remove", "verify": {}, "albTimeoutSeconds": 900}})
        status = check_load_balancer(event, OneIngress(lb["DNSName"]), polled)
        if not status.ready:  # a poll that is not the ready one counts other calls
            raise RuntimeError(f"the load balancer is not ready: {status}")
        return counted


OTHER_HOSTS = (0, 20, 100)
HOST = "milvus.example.com"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-layer7/bench-AbCdEf"  # noqa: S105 - a name


class RecordedNamespace(k8s.Kube):
    """Namespace milvus as setups leave it: this workflow's Ingresses with their records, the Milvus Service
    ClusterIP, no events; each call counted as "kubernetes"."""

    cluster_name = "milvus-eks"

    def __init__(self, ingresses: list[dict[str, Any]], counted: Counter[str]) -> None:
        self.objects = {k8s.ingress_path("milvus", i["metadata"]["name"]): i for i in ingresses}
        self.objects[k8s.service_path("milvus", "milvus-demo")] = {"spec": {"type": "ClusterIP"}}
        self.counted = counted

    def get(self, path: str, what: str) -> dict[str, Any]:
        self.counted.update(["kubernetes"])
        return self.objects[path]

    def list(self, path: str, what: str, **query: str) -> list[dict[str, Any]]:
        self.counted.update(["kubernetes"])
        return [obj for key, obj in self.objects.items() if key.rsplit("/", 1)[0] == path]


def setup_request(host: str, ingress_name: str, zone_id: str) -> SetupRequest:
    """The common setup: its certificate imported from a secret (CheckDrift then holds it to its fingerprint)."""
    return SetupRequest.model_validate({
        "host": host, "certificate": {"secretArn": SECRET_ARN}, "clusterName": "milvus-eks",
        "namespace": "milvus",
        "serviceName": "milvus-demo", "servicePort": 19530, "ingressName": ingress_name,
        "scheme": "internet-facing", "listenPort": 443, "ingressAnnotations": {}, "layer4": "remove",
        "verify": {}, "albTimeoutSeconds": 900, "hostedZoneId": zone_id})


def drift_calls(others: int, other_hosts: int) -> tuple[Counter[str], Counter[str]]:
    """(listHosts's calls, one host's check's calls by service) in a region and namespace holding that many more."""
    with mock_aws():
        # Any: the bench builds requests the stubs' TypedDicts would only make longer
        ec2: Any = boto3.client("ec2")
        elbv2: Any = boto3.client("elbv2")
        acm: Any = boto3.client("acm")
        route53: Any = boto3.client("route53")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")
                   ["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
        for index in range(others):
            elbv2.create_load_balancer(Name=f"someone-else-{index}", Subnets=subnets)
        ca = make_ca("bench CA")
        leaf = make_leaf(ca, [HOST])
        served = fingerprint_sha256(x509.load_pem_x509_certificate(leaf.certificate_pem.encode()))
        certificate_arn = acm.import_certificate(Certificate=leaf.certificate_pem.encode(),
                                                 PrivateKey=leaf.private_key_pem.encode(),
                                                 Tags=[{"Key": TAG_FINGERPRINT, "Value": served}])["CertificateArn"]
        lb = controller_made_alb(elbv2, vpc, subnets, Protocol="HTTPS", Port=443,
                                 Certificates=[{"CertificateArn": certificate_arn}])
        zone_id = route53.create_hosted_zone(Name="example.com", CallerReference="bench")["HostedZone"]["Id"]
        zone_id = zone_id.rsplit("/", 1)[-1]
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
            {"Action": "UPSERT", "ResourceRecordSet": {"Name": HOST, "Type": "A", "AliasTarget": {
                "HostedZoneId": lb["CanonicalHostedZoneId"], "DNSName": lb["DNSName"],
                "EvaluateTargetHealth": True}}}]})
        ingresses = []
        for index, host in enumerate([HOST, *(f"other-{i}.example.com" for i in range(other_hosts))]):
            name = "milvus-demo" if index == 0 else f"other-{index}"
            ingress = ingress_manifest(setup_request(host, name, zone_id), certificate_arn)
            ingress["status"] = {"loadBalancer": {"ingress": [{"hostname": lb["DNSName"]}]}}
            ingresses.append(ingress)
        listed: Counter[str] = Counter()
        recorded_hosts(RecordedNamespace(ingresses, listed), "milvus")
        counted: Counter[str] = Counter()
        clients: dict[str, Any] = {name: boto3.client(name) for name in ("elbv2", "acm", "route53")}
        for name, client in clients.items():
            client.meta.events.register("before-call", lambda model, name=name, **_: counted.update([name]))

        def present(*_: Any) -> PresentedCertificate:  # the ALB's TLS handshake as the host: counted, not made
            counted.update(["tls"])
            return PresentedCertificate(served, "TLSv1.3", trusted=True)

        report = check_drift(HOST, "milvus", RecordedNamespace(ingresses, counted), clients["elbv2"], clients["acm"],
                             clients["route53"], certificate_days=30, present=present)
        if not report.matches:  # a check that finds something may stop early: count the full one
            raise RuntimeError(f"the bench's setup does not match its record: {report.to_wire()}")
        return listed, counted


def main() -> int:
    drift = {(others, hosts): drift_calls(others, hosts) for others in OTHERS for hosts in OTHER_HOSTS}
    for (others, hosts), (listed, calls) in drift.items():
        print(json.dumps({"otherLoadBalancers": others, "otherRecordedHosts": hosts,
                          "listHostsCalls": dict(listed), "checkDriftCallsPerHost": dict(sorted(calls.items()))}))
    drift_totals = {(sum(listed.values()), sum(calls.values())) for listed, calls in drift.values()}
    print(f"Scheduled drift check: (listHosts calls, calls per host) {sorted(drift_totals)} with "
          f"{', '.join(map(str, OTHERS))} other load balancers and {', '.join(map(str, OTHER_HOSTS))} other hosts")
    rows = {others: calls_for_one_poll(others) for others in OTHERS}
    for others, calls in rows.items():
        print(json.dumps({"otherLoadBalancers": others, "elbv2CallsPerPoll": sum(calls.values()),
                          "calls": dict(sorted(calls.items()))}))
    totals = {sum(calls.values()) for calls in rows.values()}
    print(f"ELBv2 calls per CheckLoadBalancer poll: {sorted(totals)} with {', '.join(map(str, OTHERS))} other "
          "load balancers in the region")
    return 0 if len(totals) == 1 and len(drift_totals) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
