"""The parent pipeline example waits at least as long as the workflow it runs may take."""

from __future__ import annotations

import json
import sys

import aws_cdk as cdk
from aws_cdk.assertions import Template

from tests.infra.conftest import ROOT

sys.path.insert(0, str(ROOT / "examples" / "parent_pipeline"))
from construct import CHILD_TIMEOUT_SECONDS, ParentPipeline  # noqa: E402 - the example's own folder


def test_the_example_knows_the_workflows_timeout(default_synth):
    assert default_synth.definition()["TimeoutSeconds"] == CHILD_TIMEOUT_SECONDS
    assert default_synth.raw["Outputs"]["SetupTimeoutSeconds"]["Value"] == str(CHILD_TIMEOUT_SECONDS)


def test_the_parent_outwaits_the_child():
    stack = cdk.Stack(cdk.App(), "Parent")
    ParentPipeline(stack, "Parent", child_state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:x")
    (machine,) = Template.from_stack(stack).find_resources("AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    definition = "".join(part if isinstance(part, str) else "X" for part in parts)
    parsed = json.loads(definition)
    task = parsed["States"]["SetUpLayer7"]
    assert task["TimeoutSeconds"] > CHILD_TIMEOUT_SECONDS
    assert parsed["TimeoutSeconds"] > task["TimeoutSeconds"]
