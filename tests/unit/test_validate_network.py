"""Validate's network check: the functions' subnets must reach an internet-facing ALB, or the run stops at once."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from layer7.errors import NetworkMisconfigured
from validate.network import INBOUND_CIDRS, check_egress

REGION = "us-east-1"


@pytest.fixture
def ec2():
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION)


def vpc_with_nat(ec2) -> dict:
    """A VPC as the EKS guides draw it: a public subnet with the NAT gateway, two private subnets behind it."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    private = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_table, SubnetId=public)
    allocation = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=allocation["AllocationId"])["NatGateway"]
    private_table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private_table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat["NatGatewayId"])
    for subnet in private:
        ec2.associate_route_table(RouteTableId=private_table, SubnetId=subnet)
    return {"vpc": vpc, "public": public, "private": private, "nat_ip": allocation["PublicIp"], "igw": igw}


def test_private_subnets_behind_nat_pass(ec2):
    net = vpc_with_nat(ec2)
    check_egress(ec2, net["private"], scheme="internet-facing", annotations={})


def test_a_subnet_without_a_default_route_is_named(ec2):
    # Given one subnet of the functions on the VPC's main route table, which has no default route
    net = vpc_with_nat(ec2)
    isolated = ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.0.9.0/24")["Subnet"]["SubnetId"]
    # When Validate checks an internet-facing run
    with pytest.raises(NetworkMisconfigured) as caught:
        check_egress(ec2, [*net["private"], isolated], scheme="internet-facing", annotations={})
    # Then the error names that subnet and the remedy, and says nothing was changed
    message = str(caught.value)
    assert f"subnet {isolated}" in message and "no active default route" in message
    assert "NAT gateway" in message and "Nothing was changed" in message


def test_a_public_subnet_is_refused_because_lambda_gets_no_public_address(ec2):
    net = vpc_with_nat(ec2)
    with pytest.raises(NetworkMisconfigured, match=f"routes 0.0.0.0/0 to internet gateway {net['igw']}"):
        check_egress(ec2, [net["public"]], scheme="internet-facing", annotations={})


def test_inbound_cidrs_must_let_the_nat_address_in(ec2):
    net = vpc_with_nat(ec2)
    # The VPC's own range does not match: the ALB sees the NAT gateway's public address
    with pytest.raises(NetworkMisconfigured) as caught:
        check_egress(ec2, net["private"], scheme="internet-facing", annotations={INBOUND_CIDRS: "10.0.0.0/16"})
    assert f"leaves out {net['nat_ip']}" in str(caught.value)
    assert f"Add {net['nat_ip']}/32" in str(caught.value)
    check_egress(ec2, net["private"], scheme="internet-facing",
                 annotations={INBOUND_CIDRS: f"203.0.113.0/24, {net['nat_ip']}/32"})


def test_an_internal_alb_needs_no_route_out(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    isolated = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    check_egress(ec2, [isolated], scheme="internal", annotations={})
