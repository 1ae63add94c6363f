"""Certificate rotation without a person (context ``certificateRotation``): one run per new current certificate.

ACM never renews an imported certificate. When the configured certificate
secret gets a new *current* value, the rule starts an execution with input
``{}``: Validate fills in the stack's ``host`` and ``certificateSecretArn``,
and the workflow is idempotent, so the Ingress is re-applied unchanged, the
new PEMs are re-imported into the same ACM ARN and the ALB serves them.

Secrets Manager's writes reach EventBridge as CloudTrail events (a trail that
logs management events is needed on real AWS), and only these make a value
current (Secrets Manager API reference):

* ``PutSecretValue`` without ``VersionStages``, or with ``AWSCURRENT`` among
  them. A rotation function's first step (``createSecret``) writes the new
  value under ``AWSPENDING`` only: that is not yet the certificate to serve.
* ``UpdateSecret`` that created a version (its response has a ``versionId``);
  one that changes only the description or key creates none.
* ``UpdateSecretVersionStage`` moving ``AWSCURRENT`` to a version: how a
  rotation's last step (``finishSecret``) makes its value current, and how a
  person promotes a version by hand. The ``RotationSucceeded`` service event
  that follows a rotation is not matched: it would start a second run for
  the same value.

Failed calls are in CloudTrail too, with an ``errorCode``; they start nothing.
The secret is matched by ``requestParameters.secretId``, which holds what the
caller wrote: the full ARN, the partial one, or the name. The context gives
the full ARN (config.py refuses another when rotation is on), so the other two
are its ARN and name without the ``-XXXXXX`` suffix Secrets Manager appends,
cut exactly, whatever the name itself ends with.
"""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.triggers import RuleTargets

_SECRETS_MANAGER = "secretsmanager.amazonaws.com"
FULL_ARN_SUFFIX_LENGTH = 7  # "-" and six random characters


def secret_ids(full_secret_arn: str) -> list[str]:
    """Every way a CloudTrail event may name the secret: full ARN, partial ARN, name."""
    prefix, _, resource = full_secret_arn.partition(":secret:")
    name = resource[:-FULL_ARN_SUFFIX_LENGTH]
    return [full_secret_arn, f"{prefix}:secret:{name}", name]


def new_current_value_pattern(full_secret_arn: str) -> events.EventPattern:
    return events.EventPattern(
        source=["aws.secretsmanager"],
        detail_type=["AWS API Call via CloudTrail"],
        detail={
            "eventSource": [_SECRETS_MANAGER],
            "errorCode": [{"exists": False}],
            "requestParameters": {"secretId": secret_ids(full_secret_arn)},
            "$or": [
                {"eventName": ["PutSecretValue"], "requestParameters": {"versionStages": [{"exists": False}]}},
                {"eventName": ["PutSecretValue"], "requestParameters": {"versionStages": ["AWSCURRENT"]}},
                {"eventName": ["UpdateSecret"], "responseElements": {"versionId": [{"exists": True}]}},
                {"eventName": ["UpdateSecretVersionStage"],
                 "requestParameters": {"versionStage": ["AWSCURRENT"], "moveToVersionId": [{"exists": True}]}},
            ],
        },
    )


class CertificateRotation(Construct):
    """The rule that restarts the workflow when the certificate secret gets a new current value."""

    def __init__(self, scope: Construct, construct_id: str, *, state_machine: sfn.IStateMachine,
                 secret_arn: str, rule_targets: RuleTargets) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self, "NewCertificateRule",
            rule_name=rule_targets.rule_name("NewCertificate"),
            description="Start the milvus-layer7 workflow when the certificate secret gets a new current value",
            event_pattern=new_current_value_pattern(secret_arn),
        )
        self.rule.add_target(rule_targets.target(state_machine, events.RuleTargetInput.from_object({})))
