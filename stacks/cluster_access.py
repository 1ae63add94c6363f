"""How the steps reach the EKS cluster: network and Kubernetes identity.

Network: with a VPC configured, the functions run in its private subnets
behind one security group that allows only outbound TCP: 443 for the
cluster's API endpoint and the AWS APIs (through NAT or VPC endpoints), and
each ALB listener port VerifyGrpc may dial (context ``albListenPorts``,
443 by default), and each port the undo's CheckLayer4 (a TCP connect: does it serve yet?) and
VerifyLayer4 dial the Layer-4 load balancer on (context ``layer4Ports``,
19530 by default). The destination is any address because public AWS
endpoints and the ALB have no fixed range. A private cluster endpoint
answers only what its cluster security group lets in: "You must ensure that
your Amazon EKS control plane security group contains rules to allow ingress
traffic on port 443 from" the caller (EKS user guide, "Cluster API server
endpoint", private-only access). With context ``clusterSecurityGroupId`` the stack adds
that rule; without it synth names the rule the operator must add (synth
makes no look-ups).

Identity: an ``AWS::EKS::AccessEntry`` per role that calls the Kubernetes API,
with no EKS access policy: the role joins a Kubernetes group
(``kubernetesGroups``) bound to a namespaced Role with only the verbs its
steps use (stacks/rbac.py). Skipped when ``createAccessEntry`` is false, for
clusters whose access is managed elsewhere (aws-auth, README).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Acknowledgment, Annotations, CfnOutput, Fn, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

HTTPS_PORT = 443


class ClusterNetwork(Construct):
    """The imported VPC, subnets and the functions' security group (no lookups at synth)."""

    def __init__(self, scope: Construct, construct_id: str, *, vpc_id: str, subnet_ids: tuple[str, ...],
                 listen_ports: tuple[int, ...] = (HTTPS_PORT,), cluster_security_group_id: str | None = None,
                 layer4_ports: tuple[int, ...] = ()) -> None:
        super().__init__(scope, construct_id)
        # AZs are never used: the functions are placed by explicit subnet ids.
        self.vpc = ec2.Vpc.from_vpc_attributes(self, "Vpc", vpc_id=vpc_id, availability_zones=Fn.get_azs())
        self.subnets = [ec2.Subnet.from_subnet_id(self, f"Subnet{index}", subnet_id)
                        for index, subnet_id in enumerate(subnet_ids)]
        for subnet in self.subnets:
            Annotations.of(subnet).acknowledge_warning(
                "@aws-cdk/aws-ec2:noSubnetRouteTableId",
                "Only the subnet ids are used (the functions' VpcConfig); route tables are never read.")
        ports = ", ".join(str(port) for port in listen_ports)
        self.security_group = ec2.SecurityGroup(
            self, "FunctionsSecurityGroup", vpc=self.vpc, allow_all_outbound=False,
            description=f"milvus-layer7 steps: outbound HTTPS (EKS API, AWS APIs) and the ALB listeners ({ports})",
        )
        self.security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS_PORT),
                                            "EKS endpoint, AWS APIs and the ALB's HTTPS listener")
        for port in listen_ports:
            if port != HTTPS_PORT:
                self.security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(port),
                                                    f"The ALB's listener on {port} (VerifyGrpc)")
        for port in layer4_ports:
            if port != HTTPS_PORT and port not in listen_ports:
                self.security_group.add_egress_rule(
                    ec2.Peer.any_ipv4(), ec2.Port.tcp(port),
                    f"The Layer-4 load balancer on {port} (the undo's CheckLayer4, VerifyLayer4)")
        Validations.of(self.security_group).acknowledge(Acknowledgment(
            id="AwsSolutions-EC23",
            reason="Egress only (no ingress rule); HTTPS to AWS endpoints and the ALB, which have no fixed range.",
        ))
        self._let_into_cluster(cluster_security_group_id)
        CfnOutput(scope, "FunctionsSecurityGroupId", value=self.security_group.security_group_id,
                  description="The steps' security group: the cluster security group must let it in on 443")

    def _let_into_cluster(self, cluster_security_group_id: str | None) -> None:
        if cluster_security_group_id:
            ec2.CfnSecurityGroupIngress(
                self, "ClusterEndpointFromFunctions", group_id=cluster_security_group_id,
                ip_protocol="tcp", from_port=HTTPS_PORT, to_port=HTTPS_PORT,
                source_security_group_id=self.security_group.security_group_id,
                description="milvus-layer7 steps to the EKS API server's private endpoint",
            )
            return
        Annotations.of(self).add_warning_v2(
            "milvus-layer7:ClusterSecurityGroupRule",
            "No clusterSecurityGroupId in context: with a private cluster endpoint, add an inbound rule TCP 443 "
            "from the FunctionsSecurityGroupId output to the cluster security group "
            "(aws eks describe-cluster --query cluster.resourcesVpcConfig.clusterSecurityGroupId), or deploy with "
            "-c clusterSecurityGroupId=sg-... to have the stack add it.",
        )


class ClusterAccess(Construct):
    """EKS access entries: each Kubernetes step's role in the group its verbs are bound to."""

    def __init__(self, scope: Construct, construct_id: str, *, cluster_name: str,
                 roles: Mapping[str, tuple[iam.IRole, str]]) -> None:
        super().__init__(scope, construct_id)
        self.access_entries = {
            name: eks.CfnAccessEntry(
                self, f"{name}AccessEntry",
                cluster_name=cluster_name,
                principal_arn=role.role_arn,
                type="STANDARD",
                kubernetes_groups=[group],
            )
            for name, (role, group) in roles.items()
        }
