"""An EKS cluster in moto whose endpoint is the Kubernetes stand-in.

moto's CreateCluster invents an endpoint (`https://...eks.amazonaws.com`)
and a random "certificate". The workflow's Lambdas read both from
DescribeCluster to reach the API server, so the sandbox creates the cluster
through the API and then sets `endpoint` and `certificateAuthority.data`
(base64 of the CA PEM, as EKS returns it) on moto's backend object.
Also: a VPC with two private subnets for the stack's vpcId/privateSubnetIds.
"""

from __future__ import annotations

import base64
from typing import Any


def create_vpc(ec2: Any, region: str, cidr: str = "10.0.0.0/16") -> tuple[str, list[str]]:
    """A VPC with two private subnets in two zones; returns (vpc id, subnet ids)."""
    vpc_id = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    prefix = cidr.split(".")[:2]
    subnets = []
    for index, zone in enumerate(("a", "b")):
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"{prefix[0]}.{prefix[1]}.{index + 1}.0/24",
                                   AvailabilityZone=f"{region}{zone}")["Subnet"]
        subnets.append(subnet["SubnetId"])
    ec2.create_tags(Resources=subnets, Tags=[{"Key": "kubernetes.io/role/internal-elb", "Value": "1"}])
    return vpc_id, subnets


def create_cluster(sandbox: Any, name: str, *, endpoint: str, ca_pem: str | bytes,
                   subnet_ids: list[str], version: str = "1.31") -> dict[str, Any]:
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
    pem = ca_pem.encode() if isinstance(ca_pem, str) else ca_pem
    cluster.endpoint = endpoint
    cluster.certificate_authority = {"data": base64.b64encode(pem).decode()}
    cluster.status = "ACTIVE"
    return eks.describe_cluster(name=name)["cluster"]
