"""An ALB in (moto's) ELBv2 as the load balancer controller leaves one for the Ingress milvus/milvus-demo.

Tagged as the controller tags its resources (pkg/deploy/tracking/provider.go), with an ip target group of
GRPC on the Service's port and one pod IP registered: what CheckLoadBalancer and CheckDrift look up.
"""

from __future__ import annotations

from typing import Any

CONTROLLER_TAGS = {"elbv2.k8s.aws/cluster": "milvus-eks", "ingress.k8s.aws/stack": "milvus/milvus-demo"}


def controller_alb(ec2: Any, elbv2: Any, *, listener: dict[str, Any], other_load_balancers: int = 0,
                   **load_balancer: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(load balancer, target group); ``listener`` is CreateListener's arguments but the ALB and the forward."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")
               ["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
    tags = [{"Key": k, "Value": v} for k, v in CONTROLLER_TAGS.items()]
    for i in range(other_load_balancers):
        elbv2.create_load_balancer(Name=f"other-{i}", Subnets=subnets, Type="application")
    lb = elbv2.create_load_balancer(Name="k8s-milvus-milvusde-0123456789", Subnets=subnets, Type="application",
                                    Tags=[*tags, {"Key": "ingress.k8s.aws/resource", "Value": "LoadBalancer"}],
                                    **load_balancer)["LoadBalancers"][0]
    tg = elbv2.create_target_group(
        Name="k8s-milvus-tg", Protocol="HTTPS", ProtocolVersion="GRPC", Port=19530, VpcId=vpc, TargetType="ip",
        Tags=[*tags, {"Key": "ingress.k8s.aws/resource", "Value": "milvus/milvus-demo-milvus-demo:19530"}],
    )["TargetGroups"][0]
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], **listener,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    elbv2.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "10.0.0.10", "Port": 19530}])
    return lb, tg
