"""The EventBridge rule that starts an execution (CONTRACT.md "Events").

A ``Milvus Layer7 Setup Requested`` event's ``detail`` is the execution input,
so the target passes ``$.detail`` and nothing else.
"""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks import names


class SetupRequestedTrigger(Construct):
    """Default-bus rule: source milvus.layer7, detail-type "Milvus Layer7 Setup Requested"."""

    def __init__(self, scope: Construct, construct_id: str, *, state_machine: sfn.IStateMachine) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self, "Rule",
            description="Start the milvus-layer7 workflow with the event's detail as input",
            event_pattern=events.EventPattern(source=[names.EVENT_SOURCE],
                                              detail_type=[names.DETAIL_TYPE_REQUESTED]),
        )
        self.rule.add_target(targets.SfnStateMachine(
            state_machine, input=events.RuleTargetInput.from_event_path("$.detail"),
        ))
