"""An EKS cluster in moto whose endpoint is the Kubernetes stand-in, and the VPC it lives in.

moto's CreateCluster invents an endpoint and a random "certificate"; the Lambdas read both from DescribeCluster,
so the sandbox sets ``endpoint`` and ``certificateAuthority.data`` (base64 of the CA PEM, as EKS returns it) on
moto's cluster. The VPC is the one the EKS user guide draws ("Creating a VPC for your Amazon EKS cluster"): a
public subnet with the internet gateway's route and a NAT gateway, two private subnets routing 0.0.0.0/0 to it
(Validate reads those routes: lambdas/validate/network.py); and the cluster security group EKS creates
(``eks-cluster-sg-<name>-<id>``), which a private endpoint's callers must be let into.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any


def create_vpc(ec2: Any, region: str, cidr: str = "10.0.0.0/16") -> tuple[str, list[str]]:
    """A VPC with two private subnets in two zones behind a NAT gateway; returns (vpc id, private subnet ids)."""
    vpc_id = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    prefix = ".".join(cidr.split(".")[:2])
    subnets = []
    for index, zone in enumerate(("a", "b")):
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{prefix}.{index + 1}.0/24",
                                   AvailabilityZone=f"{region}{zone}")["Subnet"]
        subnets.append(subnet["SubnetId"])
    ec2.create_tags(Resources=subnets, Tags=[{"Key": "kubernetes.io/role/internal-elb", "Value": "1"}])
    public = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{prefix}.0.0/24",
                               AvailabilityZone=f"{region}a")["Subnet"]["SubnetId"]
    ec2.create_tags(Resources=[public], Tags=[{"Key": "kubernetes.io/role/elb", "Value": "1"}])
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc_id)
    public_routes = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_routes, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    ec2.associate_route_table(RouteTableId=public_routes, SubnetId=public)
    address = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=address["AllocationId"])["NatGateway"]["NatGatewayId"]
    private_routes = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private_routes, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    for subnet_id in subnets:
        ec2.associate_route_table(RouteTableId=private_routes, SubnetId=subnet_id)
    return vpc_id, subnets


def nat_public_ips(ec2: Any, vpc_id: str) -> list[str]:
    """The NAT gateways' public addresses: what an internet-facing ALB sees the functions come from."""
    gateways = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
    return [address["PublicIp"] for gateway in gateways for address in gateway.get("NatGatewayAddresses", [])
            if address.get("PublicIp")]


def create_cluster(sandbox: Any, name: str, *, endpoint: str, ca_pem: str | bytes,
                   subnet_ids: list[str], version: str = "1.31", vpc_id: str = "") -> dict[str, Any]:
    """Create `name` (ACTIVE) pointing at `endpoint` with `ca_pem`; returns DescribeCluster's cluster."""
    from moto.eks.models import eks_backends

    iam = sandbox.client("iam")
    role_name = f"{name}-cluster-role"
    try:
        role_arn = iam.get_role(RoleName=role_name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role_arn = iam.create_role(
            RoleName=role_name,
            AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                                     '"Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
        )["Role"]["Arn"]
    eks = sandbox.client("eks")
    existing = eks.list_clusters()["clusters"]
    if name not in existing:
        eks.create_cluster(
            name=name, version=version, roleArn=role_arn,
            resourcesVpcConfig={"subnetIds": subnet_ids, "endpointPublicAccess": True,
                                "endpointPrivateAccess": True},
        )
    cluster = eks_backends[sandbox.account_id][sandbox.region].clusters[name]
    if vpc_id and not cluster.resources_vpc_config.get("clusterSecurityGroupId"):
        ec2 = sandbox.client("ec2")
        suffix = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 10**10
        group = ec2.create_security_group(
            GroupName=f"eks-cluster-sg-{name}-{suffix}", VpcId=vpc_id,
            Description="EKS created security group applied to ENI that is attached to EKS Control Plane master "
                        "nodes, as well as any managed workloads.")["GroupId"]
        cluster.resources_vpc_config["clusterSecurityGroupId"] = group
    pem = ca_pem.encode() if isinstance(ca_pem, str) else ca_pem
    cluster.endpoint = endpoint
    cluster.certificate_authority = {"data": base64.b64encode(pem).decode()}
    cluster.status = "ACTIVE"
    return eks.describe_cluster(name=name)["cluster"]
