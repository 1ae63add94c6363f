"""Certificate rotation without a person (context ``certificateRotation``): a renewal per new current value.

ACM never renews an imported certificate. When the configured certificate
secret gets a new *current* value, the rule starts an execution with input
``{"renew": true}``: Validate takes the stack's ``host``, ReadSetupRecord
puts the setup recorded for it on its Ingress in place of the input, so the
run re-applies exactly that setup (scheme, DNS, Layer-4 choice, the caller's
annotations) with the secret's current certificate, re-imported into the
same ACM ARN where ACM allows it.

The event is Secrets Manager's own ``Secret Label Updated`` (user guide,
"Secret event notifications"; on the default bus for every secret, no
CloudTrail trail needed), sent "when a staging label moves to a new version
of a secret": ``detail.labelUpdated`` ``AWSCURRENT`` is exactly "the value
clients get changed", whichever call moved it (PutSecretValue,
UpdateSecret with a value, UpdateSecretVersionStage, a rotation's
``finishSecret``); a value written under AWSPENDING alone moves nothing.
CloudTrail's API-call events were the other way: they hold the call, not its
effect (a PutSecretValue event carries ``requestParameters.secretId`` and
``responseElements.arn``, no version; an UpdateSecret that changes only the
description looks like one that writes a value), so a rule on them starts
runs for writes that changed nothing and can miss ones that did. The event
names the secret by its full ARN in ``resources`` (config.py requires the
full ARN when rotation is on). EventBridge delivers at least once: a
duplicate finds the certificate already in ACM and served, and changes
nothing; one that overlaps a running renewal ends in RunInProgress.
"""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.triggers import RuleTargets

LABEL_UPDATED = "Secret Label Updated"
RENEWAL_INPUT = {"renew": True}


def new_current_value_pattern(full_secret_arn: str) -> events.EventPattern:
    return events.EventPattern(
        source=["aws.secretsmanager"],
        detail_type=[LABEL_UPDATED],
        resources=[full_secret_arn],
        detail={"labelUpdated": ["AWSCURRENT"]},
    )


class CertificateRotation(Construct):
    """The rule that renews the host's setup when the certificate secret gets a new current value."""

    def __init__(self, scope: Construct, construct_id: str, *, state_machine: sfn.IStateMachine,
                 secret_arn: str, rule_targets: RuleTargets) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self, "NewCertificateRule",
            rule_name=rule_targets.rule_name("NewCertificate"),
            description="Renew the milvus-layer7 setup when the certificate secret gets a new current value",
            event_pattern=new_current_value_pattern(secret_arn),
        )
        self.rule.add_target(rule_targets.target(state_machine, events.RuleTargetInput.from_object(RENEWAL_INPUT)))
