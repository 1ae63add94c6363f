"""The parent pipeline example waits at least as long as the workflow it runs may take."""

from __future__ import annotations

import json
import sys

import aws_cdk as cdk
from aws_cdk.assertions import Template

from tests.infra.conftest import ROOT

sys.path.insert(0, str(ROOT / "examples" / "parent_pipeline"))
from construct import CHILD_TIMEOUT_SECONDS, ParentPipeline  # noqa: E402 - the example's own folder
from rollback import UNDO_TIMEOUT_SECONDS, RollbackPipeline  # noqa: E402


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


def test_the_rollback_example_knows_the_undos_timeout(default_synth):
    assert default_synth.definition("Undo")["TimeoutSeconds"] == UNDO_TIMEOUT_SECONDS
    assert default_synth.raw["Outputs"]["UndoTimeoutSeconds"]["Value"] == str(UNDO_TIMEOUT_SECONDS)


def test_a_failed_release_stage_runs_the_undo_with_setups_identifying_fields():
    # Given the rollback example
    stack = cdk.Stack(cdk.App(), "Rollback")
    RollbackPipeline(stack, "Rollback", child_state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:s",
                     undo_state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:u")
    (machine,) = Template.from_stack(stack).find_resources("AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    states = json.loads("".join(part if isinstance(part, str) else "X" for part in parts))["States"]
    # Then setup runs first, the release stages after it, and any failure of theirs goes to the undo
    assert states["SetUpLayer7"]["Next"] == "Release" and states["Release"]["Next"] == "Released"
    assert states["Release"]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.releaseError",
                                           "Next": "RollBackLayer7"}]
    undo = states["RollBackLayer7"]
    assert undo["Resource"].endswith(":states:startExecution.sync:2")
    assert undo["Parameters"]["Input"] == {"host.$": "$.host", "namespace.$": "$.namespace",
                                           "serviceName.$": "$.serviceName"}
    assert undo["TimeoutSeconds"] > UNDO_TIMEOUT_SECONDS and undo["Next"] == "ReleaseRolledBack"
    assert states["ReleaseRolledBack"]["Type"] == "Fail"
