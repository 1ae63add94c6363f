"""The stack: composes the capabilities and wires who may do what.

Every grant lives here, next to the step it is for, each scoped to its
resource. Actions without resource-level permissions use ``*`` and are
acknowledged in cdk-nag with the reason (``_acknowledge``).

Secrets naming convention: besides the configured ``certificateSecretArn``,
ImportCertificate may read any secret named ``milvus-layer7/...`` in the
stack's account and region (``arn:...:secret:milvus-layer7/*``); VerifyGrpc
only those under ``milvus-layer7/tokens/`` (``verify.tokenSecretArn``), never
a certificate's key. A secret elsewhere needs its own grant. Secrets
encrypted with a customer-managed key need the key in ``secretsKmsKeyArns``:
``kms:Decrypt`` on it, only through Secrets Manager (``kms:ViaService``).
"""

from __future__ import annotations

from typing import Any, cast

from aws_cdk import Acknowledgment, Annotations, ArnFormat, CfnElement, CfnOutput, Fn, Stack, Tags, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from layer7 import ownership, run_lock
from stacks import names, rbac, steps, undo_grants
from stacks.cluster_access import ClusterAccess, ClusterNetwork
from stacks.config import StackConfig, is_full_secret_arn
from stacks.functions import WorkflowFunctions
from stacks.monitoring import Monitoring
from stacks.rotation import CertificateRotation
from stacks.run_lock import RunLockTable
from stacks.tasks import setup_state_machine_name, undo_state_machine_name
from stacks.triggers import RuleTargets, SetupRequestedTrigger, UndoRequestedTrigger
from stacks.undo_workflow import UndoWorkflow
from stacks.workflow import Workflow

# UpsertDns writes alias A and AAAA records and deletes a CNAME (or old records) it replaces.
DNS_RECORD_TYPES = ("A", "AAAA", "CNAME")
DNS_CHANGE_ACTIONS = ("CREATE", "UPSERT", "DELETE")
_PLAIN_DNS_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def normalized_record_name(name: str) -> str:
    """A record name as route53:ChangeResourceRecordSetsNormalizedRecordNames compares it."""
    lowered = name.strip().lower().rstrip(".")
    return "".join(char if char in _PLAIN_DNS_CHARACTERS else f"\\{ord(char):03o}" for char in lowered)


class MilvusLayer7Stack(Stack):
    """Step functions, workflow, cluster access, triggers and monitoring for one EKS cluster."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        network = None
        if config.in_vpc:
            network = ClusterNetwork(self, "Network", vpc_id=config.vpc_id or "",
                                     subnet_ids=config.private_subnet_ids, listen_ports=config.alb_listen_ports,
                                     cluster_security_group_id=config.cluster_security_group_id,
                                     layer4_ports=config.layer4_ports)
        else:
            Annotations.of(self).add_warning_v2(
                "milvus-layer7:NoVpc",
                "No vpcId/privateSubnetIds in context: the step functions run outside any VPC and can only "
                "reach a public EKS API endpoint.",
            )
        if config.skip_layer_bundling:
            Annotations.of(self).add_warning_v2(
                "milvus-layer7:PlaceholderLayers",
                "skipLayerBundling=true: the dependency layers are empty placeholders. For template tests "
                "only; never deploy this synth.",
            )
        self.steps = WorkflowFunctions(
            self, "Steps", config=config,
            vpc=network.vpc if network else None,
            subnets=network.subnets if network else None,
            security_group=network.security_group if network else None,
        )
        self.run_lock = RunLockTable(self, "RunLock")
        self.workflow = Workflow(
            self, "Workflow", functions=self._functions_of(steps.SETUP),
            verify_retry_interval_seconds=config.verify_retry_interval_seconds,
            verify_max_attempts=config.verify_max_attempts, run_lock=self.run_lock,
        )
        self.undo = UndoWorkflow(self, "Undo", functions=self._functions_of(steps.UNDO),
                                 verify_retry=self.workflow.verify_retry, run_lock=self.run_lock)
        self.rule_targets = RuleTargets(self, "RuleTargets", state_machines=[self.workflow.state_machine,
                                                                             self.undo.state_machine])
        self.trigger = SetupRequestedTrigger(self, "Trigger", state_machine=self.workflow.state_machine,
                                             rule_targets=self.rule_targets)
        self.undo_trigger = UndoRequestedTrigger(self, "UndoTrigger", state_machine=self.undo.state_machine,
                                                 rule_targets=self.rule_targets)
        rules = [self.trigger.rule, self.undo_trigger.rule]
        if config.certificate_rotation:
            rotation = CertificateRotation(self, "CertificateRotation", state_machine=self.workflow.state_machine,
                                           secret_arn=config.certificate_secret_arn or "",
                                           rule_targets=self.rule_targets)
            rules.append(rotation.rule)
        self.monitoring = Monitoring(
            self, "Monitoring", state_machine=self.workflow.state_machine, functions=dict(self.steps.functions),
            alarm_email=config.alarm_email, alarm_topic_arn=config.alarm_topic_arn,
            rules=rules, dead_letter_queue=self.rule_targets.dead_letter_queue,
            undo_state_machine=self.undo.state_machine,
        )
        kubernetes_roles = {step.name: self.steps.roles[step.name] for step in steps.STEPS
                            if step.calls_kubernetes}
        if config.create_access_entry:
            ClusterAccess(self, "ClusterAccess", cluster_name=config.cluster_name,
                          roles={step.name: (self.steps.roles[step.name], step.kubernetes_group or "")
                                 for step in steps.STEPS if step.calls_kubernetes})
        self._grant_validate()
        self._grant_certificate_steps()
        self._grant_cluster_steps(kubernetes_roles)
        self._grant_dns_steps()
        self._grant_undo_steps()
        self._grant_drift_check()
        self._acknowledge_workflow_findings()
        self._add_outputs(kubernetes_roles)
        Tags.of(self).add("project", names.SERVICE_NAME)

    def _functions_of(self, workflow: str) -> dict[str, Any]:
        return {step.name: self.steps.functions[step.name] for step in steps.steps_of(workflow)}

    # --- grants -----------------------------------------------------------

    def _secret_arns(self) -> list[str]:
        arns = [self.format_arn(service="secretsmanager", resource="secret",
                                resource_name=f"{names.SECRET_NAME_PREFIX}*",
                                arn_format=ArnFormat.COLON_RESOURCE_NAME)]
        configured = self.config.certificate_secret_arn
        if configured:
            # A partial ARN names no secret by itself: Secrets Manager appends "-" and six characters
            # (Secrets Manager user guide, "Permissions": the ``-??????`` wildcard).
            arns.insert(0, configured if is_full_secret_arn(configured) else f"{configured}-??????")
        return arns

    def _token_secret_arns(self) -> str:
        return self.format_arn(service="secretsmanager", resource="secret",
                               resource_name=f"{ownership.TOKEN_SECRET_PREFIX}*",
                               arn_format=ArnFormat.COLON_RESOURCE_NAME)

    def _grant_secret_keys(self, readers: list[iam.Role]) -> None:
        """Customer-managed keys of the secrets: decrypt only on Secrets Manager's behalf, in this region."""
        if not self.config.secrets_kms_key_arns:
            return
        via_secrets_manager = Fn.sub("secretsmanager.${AWS::Region}.${AWS::URLSuffix}")
        for role in readers:
            role.add_to_policy(iam.PolicyStatement(
                actions=["kms:Decrypt"], resources=list(self.config.secrets_kms_key_arns),
                conditions={"StringEquals": {"kms:ViaService": via_secrets_manager}},
            ))

    def _certificate_arn_pattern(self) -> str:
        return self.format_arn(service="acm", resource="certificate", resource_name="*")

    # cdk-nag names a resource by its unresolved form: <AWS::Partition> for ${AWS::Partition}, ...
    _NAG_CERTIFICATES = "arn:<AWS::Partition>:acm:<AWS::Region>:<AWS::AccountId>:certificate/*"
    _NAG_SECRETS = (f"arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:"
                    f"{names.SECRET_NAME_PREFIX}*")
    _NAG_TOKENS = (f"arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:"
                   f"{ownership.TOKEN_SECRET_PREFIX}*")
    _NAG_CHANGES = "arn:<AWS::Partition>:route53:::change/*"

    def _grant_validate(self) -> None:
        """One run per host, setup and undo together: both Validate steps take the host's run lock with a
        conditional PutItem on the lock table, and read the holder's status when it is held (DescribeExecution on
        both workflows' executions; by name, as a state machine's ARN would refer back to the functions).
        ValidateUndo also reads both workflows' past executions ("already undone", RELATED_STATE_MACHINE_ARNS)."""
        machine_names = [setup_state_machine_name(self.stack_name), undo_state_machine_name(self.stack_name)]
        machines = [self.format_arn(service="states", resource="stateMachine", resource_name=name,
                                    arn_format=ArnFormat.COLON_RESOURCE_NAME) for name in machine_names]
        executions = [self.format_arn(service="states", resource="execution", resource_name=f"{name}:*",
                                      arn_format=ArnFormat.COLON_RESOURCE_NAME) for name in machine_names]
        hold_seconds = max(self.workflow.timeout_seconds, self.undo.timeout_seconds)
        for step in ("Validate", "ValidateUndo"):
            function, role = self.steps.functions[step], self.steps.roles[step]
            function.add_environment(run_lock.TABLE_VARIABLE, self.run_lock.table.table_name)
            function.add_environment(run_lock.HOLD_VARIABLE, str(hold_seconds))
            # Only the lock's own attributes (DynamoDB developer guide, "Using IAM policy conditions for
            # fine-grained access control": dynamodb:Attributes); the host is the caller's, so no LeadingKeys.
            role.add_to_policy(iam.PolicyStatement(
                actions=["dynamodb:PutItem"], resources=[self.run_lock.table.table_arn],
                conditions={"ForAllValues:StringEquals": {"dynamodb:Attributes": list(run_lock.ATTRIBUTES)}}))
            role.add_to_policy(iam.PolicyStatement(actions=["states:DescribeExecution"], resources=executions))
            findings = {
                f"Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{name}:*":
                    "Execution ids are made when executions start; only this stack's two workflows' executions."
                for name in machine_names}
            if step == "ValidateUndo":
                self.steps.add_environment(step, related_state_machine_arns=tuple(machines))
                role.add_to_policy(iam.PolicyStatement(actions=["states:ListExecutions"], resources=machines))
            if step == "Validate" and self.config.in_vpc:
                # The functions' own route tables and NAT gateways (lambdas/validate/network.py).
                role.add_to_policy(iam.PolicyStatement(
                    actions=["ec2:DescribeRouteTables", "ec2:DescribeSubnets", "ec2:DescribeNatGateways"],
                    resources=["*"]))
                findings["Resource::*"] = ("EC2 Describe* actions have no resource level (Service Authorization "
                                           "Reference); read-only, to name a subnet without a route before any "
                                           "change.")
            self._acknowledge(role, findings)
        Validations.of(self.run_lock.table).acknowledge(Acknowledgment(
            id="AwsSolutions-DDB3",
            reason="A lock table: one item per host naming the execution that runs for it. Nothing in it is worth "
                   "restoring; a restored lock would only name executions that have ended (stacks/run_lock.py).",
        ))

    def _grant_certificate_steps(self) -> None:
        roles = self.steps.roles
        importer = roles["ImportCertificate"]
        importer.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"],
                                                   resources=self._secret_arns()))
        certificates = self._certificate_arn_pattern()
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
        self._acknowledge(importer, {
            "Resource::*": "acm:ListCertificates has no resource level (finding an already imported "
                           "certificate by fingerprint).",
            f"Resource::{self._NAG_CERTIFICATES}": "Certificates are created by ImportCertificate at "
                                                            "run time: their ids are not known at deploy time.",
            f"Resource::{self._NAG_SECRETS}": "Per-execution certificate secrets follow the "
                                                    "milvus-layer7/ naming convention (stack docstring).",
        })
        verifier = roles["VerifyGrpc"]
        verifier.add_to_policy(iam.PolicyStatement(actions=["acm:GetCertificate"],
                                                   resources=[self._certificate_arn_pattern()]))
        verifier.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"],
                                                   resources=[self._token_secret_arns()]))
        self._acknowledge(verifier, {
            f"Resource::{self._NAG_CERTIFICATES}": "The certificate (and its chain, trusted for the "
                                                            "TLS check) is imported at run time.",
            f"Resource::{self._NAG_TOKENS}": "Milvus token secrets follow the milvus-layer7/tokens/ naming "
                                             "convention (stack docstring); certificate keys are outside it.",
        })
        self._grant_secret_keys([importer, verifier])

    def _grant_cluster_steps(self, kubernetes_roles: dict[str, iam.Role]) -> None:
        cluster_arn = self.format_arn(service="eks", resource="cluster", resource_name=self.config.cluster_name)
        for role in kubernetes_roles.values():
            role.add_to_policy(iam.PolicyStatement(actions=["eks:DescribeCluster"], resources=[cluster_arn]))
        checker = self.steps.roles["CheckLoadBalancer"]
        checker.add_to_policy(iam.PolicyStatement(actions=["elasticloadbalancing:Describe*"], resources=["*"]))
        self._acknowledge(checker, {
            "Action::elasticloadbalancing:Describe*": "Read-only ELBv2 describe calls (load balancers, tags, "
                                                      "listeners, target groups, target health).",
            "Resource::*": "ELBv2 Describe* actions have no resource level; the ALB is created by the "
                           "load balancer controller at run time.",
        })

    def _grant_dns_steps(self) -> None:
        change_arn = self.format_arn(service="route53", region="", account="", resource="change",
                                     resource_name="*")
        reason = "Route 53 change ids are returned by ChangeResourceRecordSets at run time."
        upserter = self.steps.roles["UpsertDns"]
        # The alias target: the ALB's DNS name and canonical hosted zone.
        upserter.add_to_policy(iam.PolicyStatement(actions=["elasticloadbalancing:DescribeLoadBalancers"],
                                                   resources=["*"]))
        self._acknowledge(upserter, {"Resource::*": "elasticloadbalancing:DescribeLoadBalancers has no resource "
                                                    "level; the ALB is created at run time."})
        checker = self.steps.roles["CheckDnsChange"]
        checker.add_to_policy(iam.PolicyStatement(actions=["route53:GetChange"], resources=[change_arn]))
        self._acknowledge(checker, {f"Resource::{self._NAG_CHANGES}": reason})
        if self.config.hosted_zone_id:
            zone_arn = self.format_arn(service="route53", region="", account="", resource="hostedzone",
                                       resource_name=self.config.hosted_zone_id)
            upserter.add_to_policy(iam.PolicyStatement(
                actions=["route53:GetHostedZone", "route53:ListResourceRecordSets"], resources=[zone_arn]))
            # Validate reads the host's records to refuse, before any change, an AAAA record an ipv4 ALB cannot
            # take over (lambdas/validate/dns.py): read-only, on the stack's zone alone.
            self.steps.roles["Validate"].add_to_policy(iam.PolicyStatement(
                actions=["route53:ListResourceRecordSets"], resources=[zone_arn]))
            upserter.add_to_policy(iam.PolicyStatement(
                actions=["route53:ChangeResourceRecordSets"], resources=[zone_arn],
                conditions={"ForAllValues:StringEquals": self._record_change_conditions()}))

    def _record_change_conditions(self, actions: tuple[str, ...] = DNS_CHANGE_ACTIONS) -> dict[str, list[str]]:
        """What UpsertDns changes: alias A/AAAA records, or a CNAME it replaces, and nothing else.

        Condition keys and their normalized values: Route 53 developer guide, "Using IAM policy
        conditions for fine-grained access control" (lowercase names, no trailing dot).
        """
        conditions = {
            "route53:ChangeResourceRecordSetsRecordTypes": list(DNS_RECORD_TYPES),
            "route53:ChangeResourceRecordSetsActions": list(actions),
        }
        if self.config.host:
            conditions["route53:ChangeResourceRecordSetsNormalizedRecordNames"] = [
                normalized_record_name(self.config.host)]
        return conditions

    def _grant_undo_steps(self) -> None:
        undo_grants.grant(self)

    # The ELBv2 calls CheckDrift makes (layer7/load_balancers.py and its listener look), no more.
    DRIFT_ELBV2_ACTIONS = ("DescribeLoadBalancers", "DescribeListeners", "DescribeTargetGroups", "DescribeTags",
                           "DescribeTargetHealth")

    def _grant_drift_check(self) -> None:
        """CheckDrift only reads: ELBv2 descriptions, the certificate's description, the stack's zone's records
        (with the readers' Kubernetes group and eks:DescribeCluster, as every Kubernetes step)."""
        role = self.steps.roles["CheckDrift"]
        role.add_to_policy(iam.PolicyStatement(
            actions=[f"elasticloadbalancing:{action}" for action in self.DRIFT_ELBV2_ACTIONS], resources=["*"]))
        role.add_to_policy(iam.PolicyStatement(actions=["acm:DescribeCertificate"],
                                               resources=[self._certificate_arn_pattern()]))
        if self.config.hosted_zone_id:
            role.add_to_policy(iam.PolicyStatement(
                actions=["route53:ListResourceRecordSets"],
                resources=[self.format_arn(service="route53", region="", account="", resource="hostedzone",
                                           resource_name=self.config.hosted_zone_id)]))
        self._acknowledge(role, {
            "Resource::*": "ELBv2 Describe* actions have no resource level; the ALB is created by the load "
                           "balancer controller at run time. Read-only.",
            f"Resource::{self._NAG_CERTIFICATES}": "The setup's certificate is imported at run time; "
                                                   "DescribeCertificate only reads it.",
        })

    def _acknowledge_workflow_findings(self) -> None:
        functions = dict(self.steps.functions)
        for workflow, machine in ((steps.SETUP, self.workflow.state_machine), (steps.UNDO, self.undo.state_machine)):
            self._acknowledge(machine, {
                "Resource::*": "CloudWatch Logs delivery (CreateLogDelivery, ...) and X-Ray actions have no "
                               "resource level; added by the state machine's logging and tracing.",
            })
            for step in steps.steps_of(workflow):
                function = functions[step.name]
                self._acknowledge(machine, {
                    # a Function's default child is its CfnFunction
                    f"Resource::<{self.get_logical_id(cast(CfnElement, function.node.default_child))}.Arn>:*":
                        "lambda:InvokeFunction on the step function's versions and aliases (added by LambdaInvoke).",
                })

    @staticmethod
    def _acknowledge(construct: Construct, findings: dict[str, str]) -> None:
        """Acknowledge AwsSolutions-IAM5 findings one by one (cdk-nag v3 has no bulk suppression)."""
        for finding, reason in findings.items():
            Validations.of(construct).acknowledge(Acknowledgment(id=f"AwsSolutions-IAM5[{finding}]",
                                                                 reason=reason))

    # --- outputs ----------------------------------------------------------

    def _add_outputs(self, kubernetes_roles: dict[str, iam.Role]) -> None:
        arn = self.workflow.state_machine.state_machine_arn
        CfnOutput(self, "StateMachineArn", value=arn, description="The milvus-layer7 workflow")
        CfnOutput(self, "SetupTimeoutSeconds", value=str(self.workflow.timeout_seconds),
                  description="The workflow's timeout: a parent pipeline must wait at least this long for it")
        CfnOutput(self, "UndoStateMachineArn", value=self.undo.state_machine.state_machine_arn,
                  description="The milvus-layer7 undo workflow (layer7ctl undo)")
        CfnOutput(self, "UndoTimeoutSeconds", value=str(self.undo.timeout_seconds),
                  description="The undo workflow's timeout: a parent pipeline must wait at least this long for it")
        # Clusters on the aws-auth ConfigMap map these roles by hand (README).
        CfnOutput(self, "KubernetesRoleArns", value=",".join(r.role_arn for r in kubernetes_roles.values()),
                  description="Roles that call the Kubernetes API (" + ", ".join(kubernetes_roles) + ")")
        CfnOutput(self, "KubernetesRbacManifest", value=rbac.manifest_json(self.config.namespace),
                  description="Roles and RoleBindings the Kubernetes-calling roles need: kubectl apply -f it once")
        CfnOutput(self, "AwsAuthMapRoles", value=self.to_json_string([
            {"rolearn": self.steps.roles[step.name].role_arn, "username": f"milvus-layer7:{step.name}",
             "groups": [step.kubernetes_group]} for step in steps.STEPS if step.calls_kubernetes]),
                  description="For clusters on the aws-auth ConfigMap: its mapRoles entries (README)")
        CfnOutput(self, "DriftCheckFunctionName", value=self.steps.functions["CheckDrift"].function_name,
                  description="The read-only drift check (layer7ctl status --host H invokes it)")
        CfnOutput(self, "DashboardName", value=self.monitoring.dashboard.dashboard_name,
                  description="CloudWatch dashboard of the workflow")
        example_input = '{"host":"milvus.example.com","certificate":{"secretArn":"<secret ARN>"}}'
        CfnOutput(self, "StartExecutionCommand", description="Example: start one execution",
                  value=f"aws stepfunctions start-execution --state-machine-arn {arn} "
                        f"--input '{example_input}'")
