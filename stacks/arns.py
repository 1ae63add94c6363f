"""The ARN patterns the grants scope to, built once per stack and handed to stacks/grants.py.

Account and region are the stack's pseudo parameters (the stack is
environment-agnostic). cdk-nag names a resource by its unresolved form
(``<AWS::Partition>`` for ``${AWS::Partition}``, ...): the ``NAG_*`` strings
are those forms, as an acknowledgment must spell them.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import ArnFormat, Stack

from stacks import names
from stacks.config import StackConfig, is_full_secret_arn
from stacks.runtime import ownership
from stacks.tasks import setup_state_machine_name, undo_state_machine_name

NAG_CERTIFICATES = "arn:<AWS::Partition>:acm:<AWS::Region>:<AWS::AccountId>:certificate/*"
NAG_SECRETS = f"arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:{names.SECRET_NAME_PREFIX}*"
NAG_TOKENS = (f"arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:"
              f"{ownership.TOKEN_SECRET_PREFIX}*")
NAG_CHANGES = "arn:<AWS::Partition>:route53:::change/*"


def nag_executions(machine_name: str) -> str:
    return f"arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{machine_name}:*"


@dataclass(frozen=True)
class ArnPatterns:
    """What the steps may touch, by ARN (a pattern where the resource is made at run time)."""

    certificates: str  # every ACM certificate: imported at run time
    secrets: tuple[str, ...]  # the configured certificate secret, then the milvus-layer7/ convention
    token_secrets: str  # milvus-layer7/tokens/*: Milvus tokens, never a certificate's key
    cluster: str
    dns_changes: str
    hosted_zone: str | None  # None: no hostedZoneId, no DNS grants
    machine_names: tuple[str, ...]  # setup's and the undo's state machines, by name
    state_machines: tuple[str, ...]
    executions: tuple[str, ...]  # of those state machines

    @classmethod
    def of(cls, stack: Stack, config: StackConfig) -> ArnPatterns:
        def secret(name: str) -> str:
            return stack.format_arn(service="secretsmanager", resource="secret", resource_name=name,
                                    arn_format=ArnFormat.COLON_RESOURCE_NAME)

        secrets = [secret(f"{names.SECRET_NAME_PREFIX}*")]
        if config.certificate_secret_arn:
            # A partial ARN names no secret by itself: Secrets Manager appends "-" and six characters
            # (Secrets Manager user guide, "Permissions": the ``-??????`` wildcard).
            configured = config.certificate_secret_arn
            secrets.insert(0, configured if is_full_secret_arn(configured) else f"{configured}-??????")
        machine_names = (setup_state_machine_name(stack.stack_name), undo_state_machine_name(stack.stack_name))
        return cls(
            certificates=stack.format_arn(service="acm", resource="certificate", resource_name="*"),
            secrets=tuple(secrets),
            token_secrets=secret(f"{ownership.TOKEN_SECRET_PREFIX}*"),
            cluster=stack.format_arn(service="eks", resource="cluster", resource_name=config.cluster_name),
            dns_changes=stack.format_arn(service="route53", region="", account="", resource="change",
                                         resource_name="*"),
            hosted_zone=(stack.format_arn(service="route53", region="", account="", resource="hostedzone",
                                          resource_name=config.hosted_zone_id) if config.hosted_zone_id else None),
            machine_names=machine_names,
            state_machines=tuple(stack.format_arn(service="states", resource="stateMachine", resource_name=name,
                                                  arn_format=ArnFormat.COLON_RESOURCE_NAME)
                                 for name in machine_names),
            executions=tuple(stack.format_arn(service="states", resource="execution", resource_name=f"{name}:*",
                                              arn_format=ArnFormat.COLON_RESOURCE_NAME) for name in machine_names),
        )
