"""One Lambda function per workflow step (DESIGN.md, "Lambda entry points").

Each function has its own role (so a reader finds a step's IAM next to it and
no step inherits another's rights), its own log group with a retention,
active tracing and JSON logs. The state machine decides about retries; the
functions have no asynchronous invoke configuration (no EventInvokeConfig), as
nothing invokes them asynchronously (the state machines' LambdaInvoke tasks
and layer7ctl status use RequestResponse). Roles start empty; the stack wires
the grants.

Without a VPC the functions run outside one: they can then reach only a
public EKS endpoint, and the stack says so in a warning.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aws_cdk import Acknowledgment, Annotations, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks import bundling, config, names, steps
from stacks.config import StackConfig
from stacks.runtime import FunctionEnvironment

# config.PYTHON_VERSIONS, each from the CDK's enum (which knows each runtime's family and bundling image)
RUNTIMES: dict[str, lambda_.Runtime] = {
    "3.11": lambda_.Runtime.PYTHON_3_11,
    "3.12": lambda_.Runtime.PYTHON_3_12,
    "3.13": lambda_.Runtime.PYTHON_3_13,
    "3.14": lambda_.Runtime.PYTHON_3_14,
}


class WorkflowFunctions(Construct):
    """The step functions, their layers and roles, keyed by state name."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig,
                 vpc: ec2.IVpc | None = None, subnets: list[ec2.ISubnet] | None = None,
                 security_group: ec2.ISecurityGroup | None = None) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.runtime = RUNTIMES[config.lambda_python_version]
        self.architecture = (lambda_.Architecture.ARM_64 if config.lambda_architecture == "arm64"
                             else lambda_.Architecture.X86_64)
        self.layers = {name: self._build_layer(name) for name in steps.LAYER_NAMES}
        self.environment = self._environment()
        code = bundling.function_code(python_version=config.lambda_python_version,
                                      skip_bundling=config.skip_layer_bundling)
        if not config.skip_layer_bundling and bundling.bytecode_python(config.lambda_python_version) is None:
            Annotations.of(self).add_warning_v2(
                "milvus-layer7:NoBytecode",
                f"no python{config.lambda_python_version} on this machine: the code and layers ship source only, "
                "and every cold start compiles what it imports (README, 'Cold starts'). Install that Python "
                "(e.g. `uv python install` it) where you synthesize, and synthesize again.",
            )
        self.functions: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        for step in steps.STEPS:
            self.roles[step.name] = self._build_role(step, in_vpc=vpc is not None)
            self.functions[step.name] = self._build_function(step, code, vpc=vpc, subnets=subnets,
                                                             security_group=security_group)

    def _environment(self) -> FunctionEnvironment:
        """Every function's environment (layer7/environment.py reads it back in the handlers)."""
        config = self._config
        return FunctionEnvironment(
            cluster_name=config.cluster_name,
            stack_name=Stack.of(self).stack_name,
            namespace=config.namespace,
            host=config.host or "",
            certificate_secret_arn=config.certificate_secret_arn or "",
            hosted_zone_id=config.hosted_zone_id or "",
            listen_ports=tuple(config.alb_listen_ports),
            layer4_ports=tuple(config.layer4_ports),
            subnet_ids=tuple(config.private_subnet_ids),
            # the one record the Route 53 grant covers, when the stack has both a host and a zone
            dns_record_name=config.host if config.host and config.hosted_zone_id else "",
            service_name=names.SERVICE_NAME,
            metrics_namespace=names.metrics_namespace(Stack.of(self).stack_name),
        )

    def add_environment(self, step: str, **changes: Any) -> None:
        """Give one step's function the variables ``changes`` (fields of FunctionEnvironment) add to the others'."""
        others = self.environment.to_environment()
        for key, value in replace(self.environment, **changes).to_environment().items():
            if others.get(key) != value:
                self.functions[step].add_environment(key, value)

    def _build_layer(self, name: str) -> lambda_.LayerVersion:
        config = self._config
        return lambda_.LayerVersion(
            self, f"{name.capitalize()}Layer",
            code=bundling.layer_code(name, architecture=config.lambda_architecture,
                                     python_version=config.lambda_python_version,
                                     skip_bundling=config.skip_layer_bundling),
            compatible_runtimes=[self.runtime],
            compatible_architectures=[self.architecture],
            description=f"milvus-layer7 '{name}' dependencies (layers/{name}.lock)",
        )

    def _build_role(self, step: steps.StepSpec, *, in_vpc: bool) -> iam.Role:
        role = iam.Role(self, f"{step.name}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"milvus-layer7 {step.name} step")
        if in_vpc:
            # What AWSLambdaVPCAccessExecutionRole grants, inline: the Lambda
            # service creates and removes the function's network interfaces.
            role.add_to_policy(iam.PolicyStatement(
                actions=["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
                         "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
                         "ec2:UnassignPrivateIpAddresses"],
                resources=["*"],
            ))
            Validations.of(role).acknowledge(Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="AWS's requirement for a function in a VPC: the actions of AWSLambdaVPCAccessExecutionRole "
                       "on *, as Lambda creates and removes the function's network interfaces, whose ids do not "
                       "exist before, and Describe* has no resource level.",
            ))
        return role

    def _build_function(self, step: steps.StepSpec, code: lambda_.Code, *, vpc: ec2.IVpc | None,
                        subnets: list[ec2.ISubnet] | None,
                        security_group: ec2.ISecurityGroup | None) -> lambda_.Function:
        role = self.roles[step.name]
        log_group = logs.LogGroup(self, f"{step.name}Logs", retention=logs.RetentionDays.ONE_MONTH,
                                  removal_policy=RemovalPolicy.DESTROY)
        function = lambda_.Function(
            self, step.name,
            description=f"milvus-layer7 workflow step {step.name}",
            runtime=self.runtime,
            architecture=self.architecture,
            handler=step.handler,
            code=code,
            layers=[self.layers[name] for name in step.layers],
            role=role,
            timeout=Duration.seconds(step.timeout_seconds),
            memory_size=step.memory_mb,
            environment=self.environment.to_environment(),
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=log_group,
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnets=subnets) if vpc is not None else None,
            security_groups=[security_group] if security_group is not None else None,
        )
        log_group.grant_write(role)
        # Function(tracing=ACTIVE) adds xray:PutTraceSegments/PutTelemetryRecords on "*".
        Validations.of(role).acknowledge(Acknowledgment(
            id="AwsSolutions-IAM5[Resource::*]",
            reason="AWS's requirement for active tracing: X-Ray PutTraceSegments/PutTelemetryRecords have no "
                   "resource level (AWSXRayDaemonWriteAccess grants them on *; added by tracing=ACTIVE).",
        ))
        if self._config.lambda_python_version != config.NEWEST_PYTHON_VERSION:
            Validations.of(function).acknowledge(Acknowledgment(
                id="AwsSolutions-L1",
                reason=f"lambdaPythonVersion={self._config.lambda_python_version} chosen in context "
                       f"(the local sandbox runs the functions on this machine's Python).",
            ))
        return function
