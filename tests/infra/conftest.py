"""Synthesize the app once per context and share the result.

``skipLayerBundling`` keeps these synths fast (placeholder layers); only
test_bundling.py builds real layers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

import app as app_module
from stacks.config import NO_VPC
from stacks.names import STACK_NAME

ROOT = Path(__file__).resolve().parents[2]

VPC_CONTEXT = {
    "vpcId": "vpc-0123456789abcdef0",
    "privateSubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
    "host": "milvus.example.com",
    "certificateSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:milvus-cert-AbCdEf",
    "hostedZoneId": "Z0123456789ABCDEFGHIJ",
    "lambdaArchitecture": "x86_64",
    "lambdaPythonVersion": "3.11",
    "sandbox": "true",  # as the sandbox deploys it: AWS refuses 3.11 (stacks/config.py)
    "verifyRetryIntervalSeconds": "3",
    "verifyMaxAttempts": "4",
}
# Everything on: VPC, alarm e-mail (topic, key, subscription, ACM expiry rule), rotation rules, the drift schedule
# and its repairs.
FULL_CONTEXT = {**VPC_CONTEXT, "alarmEmail": "ops@example.com", "certificateRotation": "true",
                "driftCheckSchedule": "rate(1 hour)", "driftRepair": "true"}
ALARM_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:ops-alarms"
ANNOTATIONS = "Construct Annotations"  # aws-cdk-lib's source name for annotations in the validation report


@dataclass(frozen=True)
class Synth:
    template: Template
    raw: dict[str, Any]
    outdir: Path
    stack: Any

    @property
    def resources(self) -> dict[str, Any]:
        return self.raw["Resources"]

    def of_type(self, kind: str) -> dict[str, Any]:
        return {key: value for key, value in self.resources.items() if value["Type"] == kind}

    def machine_id(self, workflow: str = "Setup") -> str:
        """The logical id of the state machine named ``<stack>-<workflow>``."""
        (logical_id,) = [key for key, m in self.of_type("AWS::StepFunctions::StateMachine").items()
                         if str(m["Properties"]["StateMachineName"]).endswith(f"-{workflow}")]
        return logical_id

    def definition(self, workflow: str = "Setup") -> dict[str, Any]:
        """A state machine's definition (``Setup`` or ``Undo``) with every token replaced by a placeholder string."""
        (machine,) = [m for m in self.of_type("AWS::StepFunctions::StateMachine").values()
                      if str(m["Properties"]["StateMachineName"]).endswith(f"-{workflow}")]
        parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
        # Tokens (function ARNs, partition) sit inside JSON strings: "X" keeps the JSON valid.
        return json.loads("".join(part if isinstance(part, str) else "X" for part in parts))

    def validation_violations(self) -> list[dict[str, Any]]:
        """The policy plugins' (cdk-nag's) findings; with @aws-cdk/core:annotationsInValidationReport (cdk.json)
        the report also lists the constructs' own warnings under "Construct Annotations", which are no finding."""
        report = json.loads((self.outdir / "validation-report.json").read_text())
        return [violation for plugin in report["pluginReports"] if plugin.get("pluginName") != ANNOTATIONS
                for violation in plugin["violations"]]


def synthesize(tmp_path_factory: pytest.TempPathFactory, **overrides: Any) -> Synth:
    # vpcId=none unless cdk.json or the test names a VPC: cdk.json ships without one (stacks/config.py NO_VPC)
    context = {"vpcId": NO_VPC, **json.loads((ROOT / "cdk.json").read_text())["context"], "skipLayerBundling": True,
               **overrides}
    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stack = app_module.build_app(cdk.App(context=context, outdir=str(outdir)))
    assembly = app.synth()  # raises ValidationFailed on any unacknowledged cdk-nag finding
    raw = assembly.get_stack_by_name(overrides.get("stackName", STACK_NAME)).template
    return Synth(template=Template.from_json(raw), raw=raw, outdir=outdir, stack=stack)


@pytest.fixture(scope="session")
def default_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """cdk.json's context and vpcId=none: no VPC, arm64, Python 3.14."""
    return synthesize(tmp_path_factory)


@pytest.fixture(scope="session")
def vpc_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Everything configured, as the sandbox does (x86_64, 3.11)."""
    return synthesize(tmp_path_factory, **VPC_CONTEXT)


@pytest.fixture(scope="session")
def full_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Every optional capability on: alarm topic from alarmEmail, certificate rotation."""
    return synthesize(tmp_path_factory, **FULL_CONTEXT)


@pytest.fixture(scope="session")
def topic_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """Notifications to an existing topic (alarmTopicArn)."""
    return synthesize(tmp_path_factory, alarmTopicArn=ALARM_TOPIC_ARN)
