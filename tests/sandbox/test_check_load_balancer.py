"""CheckLoadBalancer against the sandbox's Kubernetes API stand-in, reached through moto's EKS."""

import boto3
import pytest
from moto import mock_aws

from apply_ingress.logic import apply_ingress
from check_load_balancer import handler
from check_load_balancer.logic import check_load_balancer
from layer7.errors import IngressRejected, LoadBalancerTimeout
from sandbox.controller.elbv2_validation import aws_error
from tests.sandbox.conftest import chart_service, connector, point_cluster_at
from tests.unit.kube_fakes import apply_event, check_event


def applied_on_stand_in(standin):
    """Milvus seeded and the Ingress applied by ApplyIngress; returns (connect, CheckLoadBalancer event)."""
    standin.seed_service(chart_service())
    connect = connector(point_cluster_at(standin))
    result = apply_ingress(apply_event(), connect("milvus-eks"))
    event = check_event(applied_at=result.applied_at)
    return connect, event


@mock_aws
def test_stand_in_controller_failure_repeated_is_ingress_rejected(standin):
    # Given the controller (stand-in) failed twice with FailedDeployModel on the applied Ingress
    connect, event = applied_on_stand_in(standin)
    message = aws_error("CreateLoadBalancer", 403, "AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/x/y "
                        "is not authorized to perform: elasticloadbalancing:CreateLoadBalancer")
    for _ in range(2):
        standin.record_event("milvus", "Ingress", "milvus-demo", "Warning", "FailedDeployModel", message, "ingress")
    # When CheckLoadBalancer looks, far from the timeout
    with pytest.raises(IngressRejected) as caught:
        check_load_balancer(event, connect("milvus-eks"), boto3.client("elbv2"))
    # Then the controller's message is the cause
    assert message in str(caught.value)


@mock_aws
def test_stand_in_ingress_with_an_active_alb_is_ready(standin, lambda_context):
    # Given the controller gave the Ingress the address of an active ALB with a healthy pod target
    connect, event = applied_on_stand_in(standin)
    ec2, elbv2 = boto3.client("ec2"), boto3.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    tags = [{"Key": "elbv2.k8s.aws/cluster", "Value": "milvus-eks"},
            {"Key": "ingress.k8s.aws/stack", "Value": "milvus/milvus-demo"}]
    lb = elbv2.create_load_balancer(Name="k8s-milvus-milvusde", Subnets=subnets, Tags=tags)["LoadBalancers"][0]
    tg = elbv2.create_target_group(
        Name="k8s-milvus-tg", Protocol="HTTPS", Port=19530, VpcId=vpc, TargetType="ip",
        Tags=[*tags, {"Key": "ingress.k8s.aws/resource", "Value": "milvus/milvus-demo-milvus-demo:19530"}],
    )["TargetGroups"][0]
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    elbv2.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "10.1.0.7", "Port": 19530}])
    standin.put_status("ingresses", "milvus", "milvus-demo",
                       {"loadBalancer": {"ingress": [{"hostname": lb["DNSName"]}]}},
                       manager="aws-load-balancer-controller")
    # When the handler runs
    out = handler.lambda_handler(event.to_wire(), lambda_context, connect=connect, elbv2=elbv2)
    # Then it is ready
    assert out["ready"] is True and out["dnsName"] == lb["DNSName"] and out["healthyTargets"] == 1


@mock_aws
def test_stand_in_without_an_address_past_the_timeout_is_load_balancer_timeout(standin):
    # Given a controller that never assigns an address, and albTimeoutSeconds long gone
    connect, event = applied_on_stand_in(standin)
    late = check_event(applied_at=event.ingress.applied_at - 120, albTimeoutSeconds=60)
    # Then LoadBalancerTimeout says the Ingress never got an address
    with pytest.raises(LoadBalancerTimeout, match="no address"):
        check_load_balancer(late, connect("milvus-eks"), boto3.client("elbv2"))
