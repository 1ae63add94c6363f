"""The stack: composes the capabilities and wires who may do what.

Every grant lives here, next to the step it is for, each scoped to its
resource. Actions without resource-level permissions use ``*`` and are
acknowledged in cdk-nag with the reason (``_acknowledge``).

Secrets naming convention: besides the configured ``certificateSecretArn``,
the steps may read any secret named ``milvus-layer7/...`` in the stack's
account and region (``arn:...:secret:milvus-layer7/*``). Put per-execution
certificate secrets and the ``verify.tokenSecretArn`` secrets under that
prefix; a secret elsewhere needs its own grant.
"""

from __future__ import annotations

from typing import Any, cast

from aws_cdk import Acknowledgment, Annotations, ArnFormat, CfnElement, CfnOutput, Stack, Tags, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks import names, steps
from stacks.cluster_access import ClusterAccess, ClusterNetwork
from stacks.config import StackConfig, is_full_secret_arn
from stacks.functions import WorkflowFunctions
from stacks.monitoring import Monitoring
from stacks.rotation import CertificateRotation
from stacks.triggers import RuleTargets, SetupRequestedTrigger
from stacks.workflow import Workflow, setup_state_machine_name


class MilvusLayer7Stack(Stack):
    """Step functions, workflow, cluster access, triggers and monitoring for one EKS cluster."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        network = None
        if config.in_vpc:
            network = ClusterNetwork(self, "Network", vpc_id=config.vpc_id or "",
                                     subnet_ids=config.private_subnet_ids)
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
        self.workflow = Workflow(
            self, "Workflow", functions=dict(self.steps.functions),
            verify_retry_interval_seconds=config.verify_retry_interval_seconds,
            verify_max_attempts=config.verify_max_attempts,
        )
        self.rule_targets = RuleTargets(self, "RuleTargets", state_machines=[self.workflow.state_machine])
        self.trigger = SetupRequestedTrigger(self, "Trigger", state_machine=self.workflow.state_machine,
                                             rule_targets=self.rule_targets)
        rules = [self.trigger.rule]
        if config.certificate_rotation:
            rotation = CertificateRotation(self, "CertificateRotation", state_machine=self.workflow.state_machine,
                                           secret_arn=config.certificate_secret_arn or "",
                                           rule_targets=self.rule_targets)
            rules.append(rotation.rule)
        self.monitoring = Monitoring(
            self, "Monitoring", state_machine=self.workflow.state_machine, functions=dict(self.steps.functions),
            alarm_email=config.alarm_email, alarm_topic_arn=config.alarm_topic_arn,
            rules=rules, dead_letter_queue=self.rule_targets.dead_letter_queue,
        )
        kubernetes_roles = {step.name: self.steps.roles[step.name] for step in steps.STEPS
                            if step.calls_kubernetes}
        if config.create_access_entry:
            ClusterAccess(self, "ClusterAccess", cluster_name=config.cluster_name, namespace=config.namespace,
                          roles=kubernetes_roles)
        self._grant_validate()
        self._grant_certificate_steps()
        self._grant_cluster_steps(kubernetes_roles)
        self._grant_dns_steps()
        self._acknowledge_workflow_findings()
        self._add_outputs(kubernetes_roles)
        Tags.of(self).add("project", names.SERVICE_NAME)

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

    def _certificate_arn_pattern(self) -> str:
        return self.format_arn(service="acm", resource="certificate", resource_name="*")

    # cdk-nag names a resource by its unresolved form: <AWS::Partition> for ${AWS::Partition}, ...
    _NAG_CERTIFICATES = "arn:<AWS::Partition>:acm:<AWS::Region>:<AWS::AccountId>:certificate/*"
    _NAG_SECRETS = (f"arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:"
                    f"{names.SECRET_NAME_PREFIX}*")
    _NAG_CHANGES = "arn:<AWS::Partition>:route53:::change/*"

    def _grant_validate(self) -> None:
        """One run per host: Validate reads which executions of this stack's workflows are running, and for what."""
        validator = self.steps.roles["Validate"]
        machine_name = setup_state_machine_name(self.stack_name)
        machine = self.format_arn(service="states", resource="stateMachine", resource_name=machine_name,
                                  arn_format=ArnFormat.COLON_RESOURCE_NAME)
        executions = self.format_arn(service="states", resource="execution", resource_name=f"{machine_name}:*",
                                     arn_format=ArnFormat.COLON_RESOURCE_NAME)
        validator.add_to_policy(iam.PolicyStatement(actions=["states:ListExecutions"], resources=[machine]))
        validator.add_to_policy(iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[executions]))
        self._acknowledge(validator, {
            f"Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{machine_name}:*":
                "Execution ids are made when executions start; only this workflow's executions.",
        })

    def _grant_certificate_steps(self) -> None:
        roles = self.steps.roles
        importer = roles["ImportCertificate"]
        importer.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"],
                                                   resources=self._secret_arns()))
        importer.add_to_policy(iam.PolicyStatement(
            actions=["acm:ImportCertificate", "acm:AddTagsToCertificate", "acm:ListTagsForCertificate",
                     "acm:DescribeCertificate", "acm:GetCertificate"],
            resources=[self._certificate_arn_pattern()],
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
                                                   resources=[self._secret_arns()[-1]]))
        self._acknowledge(verifier, {
            f"Resource::{self._NAG_CERTIFICATES}": "The certificate (and its chain, trusted for the "
                                                            "TLS check) is imported at run time.",
            f"Resource::{self._NAG_SECRETS}": "Milvus token secrets follow the milvus-layer7/ naming "
                                                    "convention (stack docstring).",
        })

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
                actions=["route53:ChangeResourceRecordSets", "route53:GetHostedZone",
                         "route53:ListResourceRecordSets"], resources=[zone_arn]))

    def _acknowledge_workflow_findings(self) -> None:
        state_machine = self.workflow.state_machine
        self._acknowledge(state_machine, {
            "Resource::*": "CloudWatch Logs delivery (CreateLogDelivery, ...) and X-Ray actions have no "
                           "resource level; added by the state machine's logging and tracing.",
        })
        for function in self.steps.functions.values():
            self._acknowledge(state_machine, {
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
        # Clusters on the aws-auth ConfigMap map these roles by hand (README).
        CfnOutput(self, "KubernetesRoleArns", value=",".join(r.role_arn for r in kubernetes_roles.values()),
                  description="Roles that call the Kubernetes API "
                              "(ApplyIngress, CheckLoadBalancer, UpsertDns, RemoveLayer4)")
        CfnOutput(self, "DashboardName", value=self.monitoring.dashboard.dashboard_name,
                  description="CloudWatch dashboard of the workflow")
        example_input = '{"host":"milvus.example.com","certificate":{"secretArn":"<secret ARN>"}}'
        CfnOutput(self, "StartExecutionCommand", description="Example: start one execution",
                  value=f"aws stepfunctions start-execution --state-machine-arn {arn} "
                        f"--input '{example_input}'")
