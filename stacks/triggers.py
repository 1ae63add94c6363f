"""EventBridge rules that start the workflows, and what happens when they cannot (docs/CONTRACT.md "Events").

Every rule's target shares one role and one dead-letter queue:

* The role trusts ``events.amazonaws.com`` only for this stack's rules
  (``aws:SourceArn`` and ``aws:SourceAccount``, the confused-deputy guidance
  of the EventBridge user guide) and may only start the stack's workflows.
  The rules are named, so the trust policy names them without a reference
  back (a rule's target names the role).
* A target retries a failed delivery with backoff for at most
  ``MAX_EVENT_AGE`` and ``RETRY_ATTEMPTS`` times; EventBridge's own default is
  24 hours and 185 attempts, long after anyone waits for the run. Errors
  that no retry fixes (missing permissions, a state machine that no longer
  exists) go to the dead-letter queue at once (EventBridge user guide,
  "Using dead-letter queues"), as does every event whose retries ran out, so
  no request is dropped silently; Monitoring alarms on both.

Several stacks share the default bus (context ``stackName``), so a request
names its stack in ``detail.stack`` and each stack's rules match only their
own name. A request without the field is the default stack's alone
(``MilvusLayer7``): callers written before there could be two stacks keep
starting the one they meant, and no field-less event ever starts two
workflows. Exists matching inside ``$or`` (EventBridge user guide, "Content
filtering in Amazon EventBridge event patterns").
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, ArnFormat, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks import names
from stacks.config import DEFAULT_STACK_NAME

RETRY_ATTEMPTS = 8
MAX_EVENT_AGE = Duration.hours(1)
DLQ_RETENTION = Duration.days(14)


class RuleTargets(Construct):
    """The role and the dead-letter queue every rule's state machine target uses."""

    def __init__(self, scope: Construct, construct_id: str, *, state_machines: list[sfn.IStateMachine]) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self._rule_names: list[str] = []
        self.dead_letter_queue = sqs.Queue(
            self, "DeadLetterQueue", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
            retention_period=DLQ_RETENTION, removal_policy=RemovalPolicy.DESTROY,
        )
        Validations.of(self.dead_letter_queue).acknowledge(Acknowledgment(
            id="AwsSolutions-SQS3",
            reason="This queue is the rules' dead-letter queue: EventBridge's DeadLetterConfig, not an SQS "
                   "redrive policy, so cdk-nag cannot see it is one.",
        ))
        self.role = iam.Role(
            self, "Role", description="milvus-layer7: EventBridge starts the workflows for this stack's rules",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com").with_conditions({
                "ArnLike": {"aws:SourceArn": stack.format_arn(
                    service="events", resource="rule", resource_name=f"{stack.stack_name}-*",
                    arn_format=ArnFormat.SLASH_RESOURCE_NAME)},
                "StringEquals": {"aws:SourceAccount": stack.account},
            }),
        )
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["states:StartExecution"], resources=[machine.state_machine_arn for machine in state_machines]))

    def rule_name(self, suffix: str) -> str:
        """Rules are named ``<stack>-<suffix>``: the role trusts exactly those."""
        name = f"{Stack.of(self).stack_name}-{suffix}"
        self._rule_names.append(name)
        return name

    def target(self, state_machine: sfn.IStateMachine, message: events.RuleTargetInput) -> targets.SfnStateMachine:
        return targets.SfnStateMachine(
            state_machine, input=message, role=self.role, dead_letter_queue=self.dead_letter_queue,
            retry_attempts=RETRY_ATTEMPTS, max_event_age=MAX_EVENT_AGE,
        )


def request_pattern(stack_name: str, detail_type: str) -> events.EventPattern:
    """``detail.stack`` is this stack's name; absent too for the default stack (docs/CONTRACT.md "Events")."""
    ours: list[object] = [stack_name]
    detail: dict[str, object] = {names.REQUEST_STACK_FIELD: ours}
    if stack_name == DEFAULT_STACK_NAME:
        detail = {"$or": [detail, {names.REQUEST_STACK_FIELD: [{"exists": False}]}]}
    return events.EventPattern(source=[names.EVENT_SOURCE], detail_type=[detail_type], detail=detail)


class RequestedTrigger(Construct):
    """Default-bus rule: source milvus.layer7, one detail-type and this stack's ``detail.stack``; the event's
    detail is the execution input."""

    def __init__(self, scope: Construct, construct_id: str, *, state_machine: sfn.IStateMachine,
                 rule_targets: RuleTargets, detail_type: str, rule_suffix: str, description: str) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self, "Rule",
            rule_name=rule_targets.rule_name(rule_suffix),
            description=description,
            event_pattern=request_pattern(Stack.of(self).stack_name, detail_type),
        )
        self.rule.add_target(rule_targets.target(state_machine, events.RuleTargetInput.from_event_path("$.detail")))


class SetupRequestedTrigger(RequestedTrigger):
    """"Milvus Layer7 Setup Requested" starts the setup workflow."""

    def __init__(self, scope: Construct, construct_id: str, *, state_machine: sfn.IStateMachine,
                 rule_targets: RuleTargets) -> None:
        super().__init__(scope, construct_id, state_machine=state_machine, rule_targets=rule_targets,
                         detail_type=names.DETAIL_TYPE_REQUESTED, rule_suffix="SetupRequested",
                         description="Start the milvus-layer7 workflow with the event's detail as input")


class UndoRequestedTrigger(RequestedTrigger):
    """"Milvus Layer7 Undo Requested" starts the undo workflow (a parent pipeline's rollback, a person)."""

    def __init__(self, scope: Construct, construct_id: str, *, state_machine: sfn.IStateMachine,
                 rule_targets: RuleTargets) -> None:
        super().__init__(scope, construct_id, state_machine=state_machine, rule_targets=rule_targets,
                         detail_type=names.DETAIL_TYPE_UNDO_REQUESTED, rule_suffix="UndoRequested",
                         description="Start the milvus-layer7 undo workflow with the event's detail as input")
