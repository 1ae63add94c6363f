"""The stack: composes the capabilities and wires who may do what.

Who may do what is in stacks/grants.py, one function per group of steps,
each given the roles and the ARN patterns (stacks/arns.py) it scopes to; the
stack calls them in ``__init__`` where a reader sees every grant made.
"""

from __future__ import annotations

import json
from typing import Any, cast

from aws_cdk import Acknowledgment, Annotations, ArnFormat, CfnElement, CfnOutput, Stack, Tags, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks import grants, names, rbac, steps
from stacks.arns import ArnPatterns
from stacks.cluster_access import ClusterAccess, ClusterNetwork
from stacks.config import StackConfig
from stacks.drift_schedule import DriftSchedule
from stacks.functions import WorkflowFunctions
from stacks.monitoring import Monitoring
from stacks.rotation import CertificateRotation
from stacks.run_lock import RunLockTable
from stacks.triggers import RuleTargets, SetupRequestedTrigger, UndoRequestedTrigger
from stacks.undo_workflow import UndoWorkflow
from stacks.workflow import Workflow


class MilvusLayer7Stack(Stack):
    """Step functions, workflow, cluster access, triggers and monitoring for one EKS cluster."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: Any) -> None:
        # The stack's own tags, which CloudFormation puts on every resource it can: given here, since with
        # @aws-cdk/core:explicitStackTags (cdk.json) Tags.of(stack) reaches the template's resources only.
        super().__init__(scope, construct_id, tags={"project": names.SERVICE_NAME, **kwargs.pop("tags", {})},
                         **kwargs)
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
                "vpcId=none in context: the step functions run outside any VPC and can only "
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
        self.drift: DriftSchedule | None = None
        if config.drift_check_schedule:
            self.drift = DriftSchedule(self, "DriftCheck", function=self.steps.functions["CheckDrift"],
                                       expression=config.drift_check_schedule,
                                       dead_letter_queue=self.rule_targets.dead_letter_queue,
                                       repair_functions=self._functions_of(steps.DRIFT),
                                       setup_state_machine=self.workflow.state_machine, run_lock=self.run_lock,
                                       repair=config.drift_repair)
        self.monitoring = Monitoring(
            self, "Monitoring", state_machine=self.workflow.state_machine, functions=dict(self.steps.functions),
            alarm_email=config.alarm_email, alarm_topic_arn=config.alarm_topic_arn,
            rules=rules, dead_letter_queue=self.rule_targets.dead_letter_queue,
            undo_state_machine=self.undo.state_machine,
            drift_state_machine=self.drift.state_machine if self.drift else None,
        )
        kubernetes_roles = {step.name: self.steps.roles[step.name] for step in steps.STEPS
                            if step.calls_kubernetes}
        if config.create_access_entry:
            ClusterAccess(self, "ClusterAccess", cluster_name=config.cluster_name,
                          roles={step.name: (self.steps.roles[step.name], step.kubernetes_group or "")
                                 for step in steps.STEPS if step.calls_kubernetes})
        roles, patterns = self.steps.roles, ArnPatterns.of(self, config)
        grants.run_lock_steps(self.steps, patterns, table=self.run_lock.table, in_vpc=config.in_vpc,
                              hold_seconds=max(self.workflow.timeout_seconds, self.undo.timeout_seconds))
        Validations.of(self.run_lock.table).acknowledge(Acknowledgment(
            id="AwsSolutions-DDB3",
            reason="A lock table: one item per host naming the execution that runs for it. Nothing in it is worth "
                   "restoring; a restored lock would only name executions that have ended (stacks/run_lock.py).",
        ))
        grants.certificate_steps(roles, patterns, kms_key_arns=config.secrets_kms_key_arns)
        grants.cluster_steps(kubernetes_roles, roles["CheckLoadBalancer"], patterns)
        grants.dns_steps(roles, patterns, host=config.host)
        grants.undo_steps(roles, patterns, host=config.host, kms_key_arns=config.secrets_kms_key_arns)
        grants.drift_check(roles["CheckDrift"], patterns)
        if self.drift is not None:
            grants.drift_repair_lock([roles["Validate"], roles["ValidateUndo"]], self.drift.machine_name,
                                     self.format_arn(service="states", resource="execution",
                                                     resource_name=f"{self.drift.machine_name}:*",
                                                     arn_format=ArnFormat.COLON_RESOURCE_NAME))
        self._acknowledge_workflow_findings()
        self._add_outputs(kubernetes_roles)
        Tags.of(self).add("project", names.SERVICE_NAME)

    def _functions_of(self, workflow: str) -> dict[str, Any]:
        return {step.name: self.steps.functions[step.name] for step in steps.steps_of(workflow)}

    def _acknowledge_workflow_findings(self) -> None:
        functions = dict(self.steps.functions)
        machines = [(steps.SETUP, self.workflow.state_machine), (steps.UNDO, self.undo.state_machine)]
        if self.drift is not None:
            machines.append((steps.DRIFT, self.drift.state_machine))
        for workflow, machine in machines:
            grants.acknowledge(machine, {
                "Resource::*": "CloudWatch Logs delivery (CreateLogDelivery, ...) and X-Ray actions have no "
                               "resource level; added by the state machine's logging and tracing. (The drift "
                               "check's cloudwatch:PutMetricData has none either: held to the stack's own "
                               "namespace by its condition.)",
            })
            for step in steps.steps_of(workflow):
                function = functions[step.name]
                grants.acknowledge(machine, {
                    # a Function's default child is its CfnFunction
                    f"Resource::<{self.get_logical_id(cast(CfnElement, function.node.default_child))}.Arn>:*":
                        "lambda:InvokeFunction on the step function's versions and aliases (added by LambdaInvoke).",
                })

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
        if self.drift is not None:
            CfnOutput(self, "DriftStateMachineArn", value=self.drift.state_machine.state_machine_arn,
                      description="The scheduled drift check (context driftCheckSchedule) of every recorded host")
        # Said at every deploy, since a destroy cannot say it: what a setup made is not the stack's
        # (layer7ctl/teardown.py LEFT_BEHIND), and the destroy takes the undo workflow with it.
        CfnOutput(self, "BeforeDestroy", description="Taking it down: the undos first (layer7ctl teardown)",
                  value="Before cdk destroy, run layer7ctl teardown --start: it undoes every live setup. The "
                        "destroy removes the undo workflow and leaves what each setup made outside "
                        "CloudFormation: its ACM certificate, the Ingress with its ALB, the Route 53 alias, the "
                        "Service as ClusterIP.")
        CfnOutput(self, "DashboardName", value=self.monitoring.dashboard.dashboard_name,
                  description="CloudWatch dashboard of the workflow")
        # What the stack has no default for, and nothing else: with host and secret in context, {} is a whole input.
        needed = {**({} if self.config.host else {"host": "<host>"}),
                  **({} if self.config.certificate_secret_arn else {"certificate": {"secretArn": "<secret ARN>"}})}
        example_input = json.dumps(needed, separators=(",", ":"))
        CfnOutput(self, "StartExecutionCommand", description="Example: start one execution",
                  value=f"aws stepfunctions start-execution --state-machine-arn {arn} "
                        f"--input '{example_input}'")
