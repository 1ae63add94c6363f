"""IAM of both workflows' steps, each grant scoped to what its step touches; the stack wires them.

Each function takes the roles it grants to and the ARN patterns
(stacks/arns.py) as arguments, and nothing of the stack. Actions without
resource-level permissions use ``*`` and are acknowledged in cdk-nag with the
reason (``acknowledge``).

Secrets naming convention: besides the configured ``certificateSecretArn``,
ImportCertificate may read any secret named ``milvus-layer7/...`` in the
stack's account and region (``arn:...:secret:milvus-layer7/*``); VerifyGrpc
and VerifyLayer4 only those under ``milvus-layer7/tokens/``
(``verify.tokenSecretArn``), never a certificate's key. A secret elsewhere
needs its own grant. Secrets encrypted with a customer-managed key need the
key in ``secretsKmsKeyArns``: ``kms:Decrypt`` on it, only through Secrets
Manager (``kms:ViaService``).

The undo's steps: ValidateUndo and DeleteCertificate find the certificates
ImportCertificate tagged for the host; DeleteCertificate may delete only those
carrying the tag (``acm:DeleteCertificate`` takes ``aws:ResourceTag``, Service
Authorization Reference, ACM); CheckIngressDeleted describes load balancers
and their tags (no resource level for either); RestoreDns lists and changes
records only in the stack's zone, for the record names and types UpsertDns may
change, with CREATE and DELETE only. Their Kubernetes verbs come from their
groups (stacks/rbac.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Acknowledgment, Fn, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks import arns
from stacks.arns import ArnPatterns
from stacks.functions import WorkflowFunctions
from stacks.runtime import ownership
from stacks.runtime import run_lock_table as run_lock

Roles = Mapping[str, iam.Role]

# UpsertDns writes alias A and AAAA records and deletes a CNAME (or old records) it replaces.
DNS_RECORD_TYPES = ("A", "AAAA", "CNAME")
DNS_CHANGE_ACTIONS = ("CREATE", "UPSERT", "DELETE")
# RestoreDns deletes UpsertDns's alias and creates what it had replaced, in one batch.
UNDO_DNS_ACTIONS = ("CREATE", "DELETE")
_PLAIN_DNS_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def acknowledge(construct: Construct, findings: Mapping[str, str]) -> None:
    """Acknowledge AwsSolutions-IAM5 findings one by one (cdk-nag v3 has no bulk suppression)."""
    for finding, reason in findings.items():
        Validations.of(construct).acknowledge(Acknowledgment(id=f"AwsSolutions-IAM5[{finding}]", reason=reason))


def normalized_record_name(name: str) -> str:
    """A record name as route53:ChangeResourceRecordSetsNormalizedRecordNames compares it."""
    lowered = name.strip().lower().rstrip(".")
    return "".join(char if char in _PLAIN_DNS_CHARACTERS else f"\\{ord(char):03o}" for char in lowered)


def record_change_conditions(host: str | None, actions: tuple[str, ...] = DNS_CHANGE_ACTIONS) -> dict[str, list[str]]:
    """What UpsertDns changes: alias A/AAAA records, or a CNAME it replaces, and nothing else.

    Condition keys and their normalized values: Route 53 developer guide, "Using IAM policy
    conditions for fine-grained access control" (lowercase names, no trailing dot).
    """
    conditions = {
        "route53:ChangeResourceRecordSetsRecordTypes": list(DNS_RECORD_TYPES),
        "route53:ChangeResourceRecordSetsActions": list(actions),
    }
    if host:
        conditions["route53:ChangeResourceRecordSetsNormalizedRecordNames"] = [normalized_record_name(host)]
    return conditions


def secret_keys(readers: Sequence[iam.Role], kms_key_arns: Sequence[str]) -> None:
    """Customer-managed keys of the secrets: decrypt only on Secrets Manager's behalf, in this region."""
    if not kms_key_arns:
        return
    via_secrets_manager = Fn.sub("secretsmanager.${AWS::Region}.${AWS::URLSuffix}")
    for role in readers:
        role.add_to_policy(iam.PolicyStatement(
            actions=["kms:Decrypt"], resources=list(kms_key_arns),
            conditions={"StringEquals": {"kms:ViaService": via_secrets_manager}},
        ))


def run_lock_steps(steps: WorkflowFunctions, patterns: ArnPatterns, *, table: dynamodb.ITable, hold_seconds: int,
                   in_vpc: bool) -> None:
    """One run per host, setup and undo together: both Validate steps take the host's run lock with a
    conditional PutItem on the lock table, and read the holder's status when it is held (DescribeExecution on
    both workflows' executions; by name, as a state machine's ARN would refer back to the functions).
    ValidateUndo also reads both workflows' past executions ("already undone", RELATED_STATE_MACHINE_ARNS)."""
    for step in ("Validate", "ValidateUndo"):
        function, role = steps.functions[step], steps.roles[step]
        function.add_environment(run_lock.TABLE_VARIABLE, table.table_name)
        function.add_environment(run_lock.HOLD_VARIABLE, str(hold_seconds))
        # Only the lock's own attributes (DynamoDB developer guide, "Using IAM policy conditions for
        # fine-grained access control": dynamodb:Attributes); the host is the caller's, so no LeadingKeys.
        role.add_to_policy(iam.PolicyStatement(
            actions=["dynamodb:PutItem"], resources=[table.table_arn],
            conditions={"ForAllValues:StringEquals": {"dynamodb:Attributes": list(run_lock.ATTRIBUTES)}}))
        role.add_to_policy(iam.PolicyStatement(actions=["states:DescribeExecution"],
                                               resources=list(patterns.executions)))
        findings = {f"Resource::{arns.nag_executions(name)}": "Execution ids are made when executions start; only "
                                                              "this stack's two workflows' executions."
                    for name in patterns.machine_names}
        if step == "ValidateUndo":
            steps.add_environment(step, related_state_machine_arns=patterns.state_machines)
            role.add_to_policy(iam.PolicyStatement(actions=["states:ListExecutions"],
                                                   resources=list(patterns.state_machines)))
        if step == "Validate" and in_vpc:
            # The functions' own route tables and NAT gateways (lambdas/validate/network.py).
            role.add_to_policy(iam.PolicyStatement(
                actions=["ec2:DescribeRouteTables", "ec2:DescribeSubnets", "ec2:DescribeNatGateways"],
                resources=["*"]))
            findings["Resource::*"] = ("EC2 Describe* actions have no resource level (Service Authorization "
                                       "Reference); read-only, to name a subnet without a route before any change.")
        acknowledge(role, findings)


def certificate_steps(roles: Roles, patterns: ArnPatterns, *, kms_key_arns: Sequence[str]) -> None:
    """ImportCertificate imports and tags certificates; VerifyGrpc reads the one the ALB should present."""
    certificates = patterns.certificates
    importer = roles["ImportCertificate"]
    importer.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"],
                                               resources=list(patterns.secrets)))
    importer.add_to_policy(iam.PolicyStatement(
        actions=["acm:ListTagsForCertificate", "acm:DescribeCertificate", "acm:GetCertificate"],
        resources=[certificates],
    ))
    # A fresh import carries the managed-by tag (ImportCertificate with Tags also authorizes
    # acm:AddTagsToCertificate: Service Authorization Reference, ACM) and only the workflow's tag keys.
    importer.add_to_policy(iam.PolicyStatement(
        sid="ImportNewManagedCertificates",
        actions=["acm:ImportCertificate", "acm:AddTagsToCertificate"], resources=[certificates],
        conditions={
            "StringEquals": {f"aws:RequestTag/{ownership.TAG_MANAGED_BY}": ownership.MANAGED_BY},
            "ForAllValues:StringEquals": {"aws:TagKeys": list(ownership.CERTIFICATE_TAG_KEYS)},
        },
    ))
    # A re-import (rotation) cannot carry tags; it and the re-tagging after it are allowed
    # only on a certificate that already has the tag.
    importer.add_to_policy(iam.PolicyStatement(
        sid="ReimportManagedCertificates",
        actions=["acm:ImportCertificate", "acm:AddTagsToCertificate"], resources=[certificates],
        conditions={"StringEquals": {f"aws:ResourceTag/{ownership.TAG_MANAGED_BY}": ownership.MANAGED_BY}},
    ))
    importer.add_to_policy(iam.PolicyStatement(actions=["acm:ListCertificates"], resources=["*"]))
    acknowledge(importer, {
        "Resource::*": "acm:ListCertificates has no resource level (finding an already imported "
                       "certificate by fingerprint).",
        f"Resource::{arns.NAG_CERTIFICATES}": "Certificates are created by ImportCertificate at "
                                              "run time: their ids are not known at deploy time.",
        f"Resource::{arns.NAG_SECRETS}": "Per-execution certificate secrets follow the "
                                         "milvus-layer7/ naming convention (stacks/grants.py).",
    })
    verifier = roles["VerifyGrpc"]
    verifier.add_to_policy(iam.PolicyStatement(actions=["acm:GetCertificate"], resources=[certificates]))
    verifier.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"],
                                               resources=[patterns.token_secrets]))
    acknowledge(verifier, {
        f"Resource::{arns.NAG_CERTIFICATES}": "The certificate (and its chain, trusted for the "
                                              "TLS check) is imported at run time.",
        f"Resource::{arns.NAG_TOKENS}": "Milvus token secrets follow the milvus-layer7/tokens/ naming "
                                        "convention (stacks/grants.py); certificate keys are outside it.",
    })
    secret_keys([importer, verifier], kms_key_arns)


def cluster_steps(kubernetes_roles: Roles, checker: iam.Role, patterns: ArnPatterns) -> None:
    """Every Kubernetes-calling step (both workflows') describes the cluster; CheckLoadBalancer reads ELBv2."""
    for role in kubernetes_roles.values():
        role.add_to_policy(iam.PolicyStatement(actions=["eks:DescribeCluster"], resources=[patterns.cluster]))
    checker.add_to_policy(iam.PolicyStatement(actions=["elasticloadbalancing:Describe*"], resources=["*"]))
    acknowledge(checker, {
        "Action::elasticloadbalancing:Describe*": "Read-only ELBv2 describe calls (load balancers, tags, "
                                                  "listeners, target groups, target health).",
        "Resource::*": "ELBv2 Describe* actions have no resource level; the ALB is created by the "
                       "load balancer controller at run time.",
    })


def dns_steps(roles: Roles, patterns: ArnPatterns, *, host: str | None) -> None:
    """UpsertDns points host at the ALB, CheckDnsChange polls the change, Validate reads the host's records."""
    upserter = roles["UpsertDns"]
    # The alias target: the ALB's DNS name and canonical hosted zone.
    upserter.add_to_policy(iam.PolicyStatement(actions=["elasticloadbalancing:DescribeLoadBalancers"],
                                               resources=["*"]))
    acknowledge(upserter, {"Resource::*": "elasticloadbalancing:DescribeLoadBalancers has no resource "
                                          "level; the ALB is created at run time."})
    checker = roles["CheckDnsChange"]
    checker.add_to_policy(iam.PolicyStatement(actions=["route53:GetChange"], resources=[patterns.dns_changes]))
    acknowledge(checker, {f"Resource::{arns.NAG_CHANGES}": "Route 53 change ids are returned by "
                                                           "ChangeResourceRecordSets at run time."})
    if patterns.hosted_zone:
        zone = patterns.hosted_zone
        upserter.add_to_policy(iam.PolicyStatement(
            actions=["route53:GetHostedZone", "route53:ListResourceRecordSets"], resources=[zone]))
        # Validate reads the host's records to refuse, before any change, an AAAA record an ipv4 ALB cannot
        # take over (lambdas/validate/dns.py): read-only, on the stack's zone alone.
        roles["Validate"].add_to_policy(iam.PolicyStatement(actions=["route53:ListResourceRecordSets"],
                                                            resources=[zone]))
        upserter.add_to_policy(iam.PolicyStatement(
            actions=["route53:ChangeResourceRecordSets"], resources=[zone],
            conditions={"ForAllValues:StringEquals": record_change_conditions(host)}))


def undo_steps(roles: Roles, patterns: ArnPatterns, *, host: str | None, kms_key_arns: Sequence[str]) -> None:
    """The undo's own steps (module docstring); its Kubernetes steps are in ``cluster_steps`` with setup's."""
    certificates = patterns.certificates
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
        acknowledge(role, {
            "Resource::*": "acm:ListCertificates has no resource level (finding the certificates "
                           "ImportCertificate tagged for the host).",
            f"Resource::{arns.NAG_CERTIFICATES}": "Certificates are imported at run time; DeleteCertificate "
                                                  "only on those tagged milvus-layer7:managed-by.",
        })
    verifier = roles["VerifyLayer4"]
    verifier.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"],
                                               resources=[patterns.token_secrets]))
    acknowledge(verifier, {f"Resource::{arns.NAG_TOKENS}": "Milvus token secrets follow the "
                                                           "milvus-layer7/tokens/ naming convention."})
    secret_keys([verifier], kms_key_arns)
    watcher = roles["CheckIngressDeleted"]
    watcher.add_to_policy(iam.PolicyStatement(
        actions=["elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTags"],
        resources=["*"]))
    acknowledge(watcher, {"Resource::*": "ELBv2 Describe actions have no resource level; the ALB was "
                                         "made by the load balancer controller at run time."})
    if patterns.hosted_zone:
        restorer = roles["RestoreDns"]
        restorer.add_to_policy(iam.PolicyStatement(actions=["route53:ListResourceRecordSets"],
                                                   resources=[patterns.hosted_zone]))
        # What UpsertDns replaced comes back, its alias goes: the same names and types, CREATE and DELETE only.
        restorer.add_to_policy(iam.PolicyStatement(
            actions=["route53:ChangeResourceRecordSets"], resources=[patterns.hosted_zone],
            conditions={"ForAllValues:StringEquals": record_change_conditions(host, UNDO_DNS_ACTIONS)}))


# The ELBv2 calls CheckDrift makes (lambdas/check_drift), named one by one.
DRIFT_ELBV2_ACTIONS = ("DescribeLoadBalancers", "DescribeListeners", "DescribeTargetGroups", "DescribeTags",
                       "DescribeTargetHealth")


def drift_check(role: iam.Role, patterns: ArnPatterns) -> None:
    """CheckDrift only reads: ELBv2 descriptions, the certificate's description, body (GetCertificate: the
    certificate and its chain, public, to hold what the ALB presents against it; never the key) and tags (the
    fingerprint ImportCertificate imported, against the body: a re-import by hand), the stack's
    zone's records, the certificate secrets' version list (with the readers' Kubernetes group and
    eks:DescribeCluster, as every Kubernetes step)."""
    role.add_to_policy(iam.PolicyStatement(
        actions=[f"elasticloadbalancing:{action}" for action in DRIFT_ELBV2_ACTIONS], resources=["*"]))
    role.add_to_policy(iam.PolicyStatement(
        actions=["acm:DescribeCertificate", "acm:GetCertificate", "acm:ListTagsForCertificate"],
        resources=[patterns.certificates]))
    if patterns.hosted_zone:
        role.add_to_policy(iam.PolicyStatement(actions=["route53:ListResourceRecordSets"],
                                               resources=[patterns.hosted_zone]))
    # Metadata only (the versions' stages and dates, never a value): whether a renewal has a newer certificate.
    role.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:ListSecretVersionIds"],
                                           resources=list(patterns.secrets)))
    acknowledge(role, {
        f"Resource::{arns.NAG_SECRETS}": "The setups' certificate secrets follow the milvus-layer7/ naming "
                                         "convention; ListSecretVersionIds reads no secret value.",
        "Resource::*": "ELBv2 Describe* actions have no resource level; the ALB is created by the load "
                       "balancer controller at run time. Read-only.",
        f"Resource::{arns.NAG_CERTIFICATES}": "The setup's certificate is imported at run time; "
                                              "DescribeCertificate, GetCertificate and ListTagsForCertificate "
                                              "only read it.",
    })


def drift_repair_lock(validators: Sequence[iam.Role], drift_machine_name: str, executions: str) -> None:
    """A drift repair holds the host's run lock (stacks/drift_repair.py): Validate and ValidateUndo read the
    holder's status (DescribeExecution) of the drift state machine's executions too, to take over an ended one."""
    for role in validators:
        role.add_to_policy(iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[executions]))
        acknowledge(role, {f"Resource::{arns.nag_executions(drift_machine_name)}":
                           "Execution ids are made when executions start; only this stack's drift check's."})
