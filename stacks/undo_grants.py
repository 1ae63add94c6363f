"""IAM of the undo's own steps, each scoped to what it touches (the stack wires it: ``grant(stack)``).

Its Kubernetes steps get ``eks:DescribeCluster`` with setup's (the stack's
``_grant_cluster_steps``) and their verbs from their groups (stacks/rbac.py);
ValidateUndo reads both workflows' executions with Validate
(``_grant_validate``). Here:

* ValidateUndo and DeleteCertificate find the certificates ImportCertificate
  tagged for the host; DeleteCertificate may delete only those carrying the
  tag (``acm:DeleteCertificate`` takes ``aws:ResourceTag``, Service
  Authorization Reference, ACM);
* VerifyLayer4 reads Milvus credentials only under ``milvus-layer7/tokens/``,
  as VerifyGrpc;
* CheckIngressDeleted describes load balancers and their tags (no resource
  level for either);
* RestoreDns lists and changes records only in the stack's zone, for the
  record names and types UpsertDns may change, with CREATE and DELETE only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import aws_iam as iam

from layer7 import ownership

if TYPE_CHECKING:
    from stacks.milvus_layer7_stack import MilvusLayer7Stack

# RestoreDns deletes UpsertDns's alias and creates what it had replaced, in one batch.
UNDO_DNS_ACTIONS = ("CREATE", "DELETE")


def grant(stack: MilvusLayer7Stack) -> None:
    roles = stack.steps.roles
    certificates = stack._certificate_arn_pattern()
    looker = roles["ValidateUndo"]  # "already undone" or "never set up": the certificates left for host
    looker.add_to_policy(iam.PolicyStatement(actions=["acm:ListCertificates"], resources=["*"]))
    looker.add_to_policy(iam.PolicyStatement(actions=["acm:ListTagsForCertificate"], resources=[certificates]))
    remover = roles["DeleteCertificate"]
    remover.add_to_policy(iam.PolicyStatement(actions=["acm:ListCertificates"], resources=["*"]))
    remover.add_to_policy(iam.PolicyStatement(actions=["acm:ListTagsForCertificate", "acm:DescribeCertificate"],
                                              resources=[certificates]))
    # Only what ImportCertificate imported, whose tags it wrote (ACM: DeleteCertificate takes aws:ResourceTag).
    remover.add_to_policy(iam.PolicyStatement(
        actions=["acm:DeleteCertificate"], resources=[certificates],
        conditions={"StringEquals": {f"aws:ResourceTag/{ownership.TAG_MANAGED_BY}": ownership.MANAGED_BY}}))
    for role in (looker, remover):
        stack._acknowledge(role, {
            "Resource::*": "acm:ListCertificates has no resource level (finding the certificates "
                           "ImportCertificate tagged for the host).",
            f"Resource::{stack._NAG_CERTIFICATES}": "Certificates are imported at run time; DeleteCertificate "
                                                   "only on those tagged milvus-layer7:managed-by.",
        })
    verifier = roles["VerifyLayer4"]
    verifier.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"],
                                               resources=[stack._token_secret_arns()]))
    stack._acknowledge(verifier, {f"Resource::{stack._NAG_TOKENS}": "Milvus token secrets follow the "
                                                                   "milvus-layer7/tokens/ naming convention."})
    stack._grant_secret_keys([verifier])
    watcher = roles["CheckIngressDeleted"]
    watcher.add_to_policy(iam.PolicyStatement(
        actions=["elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTags"],
        resources=["*"]))
    stack._acknowledge(watcher, {"Resource::*": "ELBv2 Describe actions have no resource level; the ALB was "
                                                "made by the load balancer controller at run time."})
    if stack.config.hosted_zone_id:
        zone_arn = stack.format_arn(service="route53", region="", account="", resource="hostedzone",
                                    resource_name=stack.config.hosted_zone_id)
        restorer = roles["RestoreDns"]
        restorer.add_to_policy(iam.PolicyStatement(actions=["route53:ListResourceRecordSets"],
                                                   resources=[zone_arn]))
        # What UpsertDns replaced comes back, its alias goes: the same names and types, CREATE and DELETE only.
        restorer.add_to_policy(iam.PolicyStatement(
            actions=["route53:ChangeResourceRecordSets"], resources=[zone_arn],
            conditions={"ForAllValues:StringEquals": stack._record_change_conditions(UNDO_DNS_ACTIONS)}))
