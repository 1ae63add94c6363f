"""How the steps reach the EKS cluster: network and Kubernetes identity.

Network: with a VPC configured, the functions run in its private subnets
behind one security group that allows only outbound HTTPS. Port 443 covers
the cluster's API endpoint, the AWS APIs (through NAT or VPC endpoints) and
the ALB's default HTTPS listener that VerifyGrpc dials; the destination is
any address because public AWS endpoints and the ALB have no fixed range.

Identity: an ``AWS::EKS::AccessEntry`` per role that calls the Kubernetes API
(ApplyIngress, CheckLoadBalancer, RemoveLayer4), with ``AmazonEKSEditPolicy``
scoped to the one namespace (docs/REFERENCE.md "EKS authentication": Services,
Ingresses and Events there, nothing cluster-wide). Skipped when
``createAccessEntry`` is false, for clusters whose access is managed elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Acknowledgment, Annotations, Fn, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

HTTPS_PORT = 443
EKS_EDIT_POLICY = "AmazonEKSEditPolicy"


class ClusterNetwork(Construct):
    """The imported VPC, subnets and the functions' security group (no lookups at synth)."""

    def __init__(self, scope: Construct, construct_id: str, *, vpc_id: str, subnet_ids: tuple[str, ...]) -> None:
        super().__init__(scope, construct_id)
        # AZs are never used: the functions are placed by explicit subnet ids.
        self.vpc = ec2.Vpc.from_vpc_attributes(self, "Vpc", vpc_id=vpc_id, availability_zones=Fn.get_azs())
        self.subnets = [ec2.Subnet.from_subnet_id(self, f"Subnet{index}", subnet_id)
                        for index, subnet_id in enumerate(subnet_ids)]
        for subnet in self.subnets:
            Annotations.of(subnet).acknowledge_warning(
                "@aws-cdk/aws-ec2:noSubnetRouteTableId",
                "Only the subnet ids are used (the functions' VpcConfig); route tables are never read.")
        self.security_group = ec2.SecurityGroup(
            self, "FunctionsSecurityGroup", vpc=self.vpc, allow_all_outbound=False,
            description="milvus-layer7 steps: outbound HTTPS only (EKS API, AWS APIs, ALB listener)",
        )
        self.security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS_PORT),
                                            "EKS endpoint, AWS APIs and the ALB's HTTPS listener")
        Validations.of(self.security_group).acknowledge(Acknowledgment(
            id="AwsSolutions-EC23",
            reason="Egress only (no ingress rule); HTTPS to AWS endpoints and the ALB, which have no fixed range.",
        ))


class ClusterAccess(Construct):
    """EKS access entries: the Kubernetes steps' roles, edit rights in one namespace."""

    def __init__(self, scope: Construct, construct_id: str, *, cluster_name: str, namespace: str,
                 roles: Mapping[str, iam.IRole]) -> None:
        super().__init__(scope, construct_id)
        policy_arn = Stack.of(self).format_arn(
            service="eks", region="", account="aws", resource="cluster-access-policy",
            resource_name=EKS_EDIT_POLICY,
        )
        self.access_entries = {
            name: eks.CfnAccessEntry(
                self, f"{name}AccessEntry",
                cluster_name=cluster_name,
                principal_arn=role.role_arn,
                type="STANDARD",
                access_policies=[eks.CfnAccessEntry.AccessPolicyProperty(
                    policy_arn=policy_arn,
                    access_scope=eks.CfnAccessEntry.AccessScopeProperty(type="namespace", namespaces=[namespace]),
                )],
            )
            for name, role in roles.items()
        }
