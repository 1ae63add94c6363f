"""Certificate rotation without a person (context ``certificateRotation``).

ACM never renews an imported certificate. When the configured certificate
secret gets a new version, these rules start an execution with input ``{}``:
Validate fills in the stack's ``host`` and ``certificateSecretArn``, and the
workflow is idempotent, so the Ingress is re-applied unchanged, the new PEMs
are re-imported into the same ACM ARN (the host's certificate was imported
before) and the ALB serves them.

Secrets Manager changes reach EventBridge as CloudTrail events (a trail that
logs management events is needed on real AWS):

* ``AWS API Call via CloudTrail``, ``PutSecretValue`` or ``UpdateSecret``,
  with ``requestParameters.secretId`` as the caller wrote it;
* ``AWS Service Event via CloudTrail``, ``RotationSucceeded``, with
  ``additionalEventData.SecretId``.

A caller may name the secret by its full ARN, its partial ARN (without the
random suffix) or its name, so all three are matched. The name is the ARN's
resource part without the ``-XXXXXX`` suffix Secrets Manager appends.
"""

from __future__ import annotations

import re

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks import names

_SECRETS_MANAGER = "secretsmanager.amazonaws.com"
_RANDOM_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")


def secret_ids(secret_arn: str) -> list[str]:
    """Every way a CloudTrail event may name the secret: full ARN, partial ARN, name."""
    prefix, _, resource = secret_arn.partition(":secret:")
    name = _RANDOM_SUFFIX.sub("", resource)
    ids = [secret_arn, f"{prefix}:secret:{name}", name]
    return list(dict.fromkeys(ids))  # an ARN given without its suffix is already partial


class CertificateRotation(Construct):
    """Rules that restart the workflow when the certificate secret changes."""

    def __init__(self, scope: Construct, construct_id: str, *, state_machine: sfn.IStateMachine,
                 secret_arn: str) -> None:
        super().__init__(scope, construct_id)
        ids = secret_ids(secret_arn)
        self.secret_value_rule = self._rule(
            "SecretValueChangedRule",
            "Start the milvus-layer7 workflow when the certificate secret gets a new value",
            detail_type="AWS API Call via CloudTrail",
            detail={"eventSource": [_SECRETS_MANAGER], "eventName": list(names.SECRET_VALUE_CALLS),
                    "requestParameters": {"secretId": ids}},
            state_machine=state_machine)
        self.rotation_rule = self._rule(
            "RotationSucceededRule",
            "Start the milvus-layer7 workflow when Secrets Manager rotated the certificate secret",
            detail_type="AWS Service Event via CloudTrail",
            detail={"eventSource": [_SECRETS_MANAGER], "eventName": [names.SECRET_ROTATION_EVENT],
                    "additionalEventData": {"SecretId": ids}},
            state_machine=state_machine)

    def _rule(self, construct_id: str, description: str, *, detail_type: str, detail: dict[str, object],
              state_machine: sfn.IStateMachine) -> events.Rule:
        rule = events.Rule(
            self, construct_id, description=description,
            event_pattern=events.EventPattern(source=["aws.secretsmanager"], detail_type=[detail_type],
                                              detail=detail),
        )
        # The target's role is the state machine's one events role: states:StartExecution on it alone.
        rule.add_target(targets.SfnStateMachine(state_machine, input=events.RuleTargetInput.from_object({})))
        return rule
