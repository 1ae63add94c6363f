"""ELBv2 calls one CheckLoadBalancer poll makes, as the account holds more and more load balancers.

The goal (issue 7): the number must not grow with the account's load
balancers; the step finds its ALB by the name in the Ingress's address and
its target groups by the controller's tags (lambdas/layer7/load_balancers.py).
This counts every ELBv2 API call botocore sends during one poll, against
moto's ELBv2 in this process, with 0, 50 and 200 other load balancers in the
region, and exits 1 if the count changes with them.

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
os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "1",
                   "POWERTOOLS_METRICS_NAMESPACE": "MilvusLayer7"})

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from check_load_balancer.logic import check_load_balancer  # noqa: E402
from layer7 import kube as k8s  # noqa: E402
from layer7.models import CheckLoadBalancerEvent  # noqa: E402

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


def calls_for_one_poll(others: int) -> Counter[str]:
    with mock_aws():
        ec2, elbv2 = boto3.client("ec2"), boto3.client("elbv2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")
                   ["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
        for index in range(others):
            elbv2.create_load_balancer(Name=f"someone-else-{index}", Subnets=subnets)
        lb = elbv2.create_load_balancer(Name="k8s-milvus-milvusde-0123456789", Subnets=subnets,
                                        Tags=tag_list({"ingress.k8s.aws/resource": "LoadBalancer"}))["LoadBalancers"][0]
        tg = elbv2.create_target_group(Name="k8s-milvus-tg", Protocol="HTTP", ProtocolVersion="GRPC", Port=19530,
                                       VpcId=vpc, TargetType="ip",
                                       Tags=tag_list({"ingress.k8s.aws/resource":
                                                      "milvus/milvus-demo-milvus-demo:19530"}))["TargetGroups"][0]
        elbv2.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "10.0.1.7", "Port": 19530}])
        elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
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


def main() -> int:
    rows = {others: calls_for_one_poll(others) for others in OTHERS}
    for others, calls in rows.items():
        print(json.dumps({"otherLoadBalancers": others, "elbv2CallsPerPoll": sum(calls.values()),
                          "calls": dict(sorted(calls.items()))}))
    totals = {sum(calls.values()) for calls in rows.values()}
    print(f"ELBv2 calls per CheckLoadBalancer poll: {sorted(totals)} with {', '.join(map(str, OTHERS))} other "
          "load balancers in the region")
    return 0 if len(totals) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
