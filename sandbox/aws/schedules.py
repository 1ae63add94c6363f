"""EventBridge Scheduler schedules, deployed by CloudFormation and fired when the sandbox is asked.

Two gaps in moto 5.2.5's Scheduler:

1. CloudFormation skips ``AWS::Scheduler::Schedule`` (moto's ``Schedule`` is no CloudFormationModel). ``install()``
   adds the model: the template's properties become a schedule in moto's Scheduler backend, Ref is its name and
   ``Arn`` its ARN (CloudFormation user guide, ``AWS::Scheduler::Schedule`` "Return values").
2. Nothing fires a schedule. ``run_schedules()`` plays one firing of every ENABLED schedule, now (no clock runs).

A firing of the one templated target the product uses, Step Functions ``StartExecution`` (EventBridge Scheduler
user guide, "Using templated targets"), sends the target's ``Input`` with the context attributes replaced
("Adding context attributes"); the API reference's ``Target.Input``: a templated Step Functions target's input
"must be a well-formed JSON". The call is made as the target's ``RoleArn`` ("Set up the execution role"): a role
Scheduler may not assume (its trust policy does not name ``scheduler.amazonaws.com``) or whose inline policies do
not allow ``states:StartExecution`` on the target starts nothing, as on AWS (where the failure goes to the
dead-letter queue; the sandbox raises). Managed policies are not read: the stack grants inline, and a grant the
stand-in cannot see fails loudly. Other targets are not played (``NotImplementedError``).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import logging
import secrets
import uuid
from datetime import datetime, timezone
from typing import Any

LOG = logging.getLogger(__name__)
CFN_TYPE = "AWS::Scheduler::Schedule"
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"


@functools.cache  # moto's model classes are process-wide: added once
def install() -> None:
    from moto.core.common_models import CloudFormationModel

    from sandbox.aws.cfn_models import models_added

    type("SandboxSchedule", (ScheduleModel, CloudFormationModel), {})
    models_added()


def _backend(account_id: str, region: str) -> Any:
    from moto.scheduler.models import scheduler_backends

    return scheduler_backends[account_id][region]


class ScheduleModel:
    """The CloudFormation face of a schedule in moto's Scheduler backend."""

    def __init__(self, schedule: Any, account_id: str, region: str) -> None:
        self.schedule, self.account_id, self.region = schedule, account_id, region

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def cloudformation_type(cls) -> str:
        return CFN_TYPE

    @property
    def physical_resource_id(self) -> str:
        return str(self.schedule.name)

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return str(self.schedule.arn)

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> Any:
        props = cloudformation_json.get("Properties") or {}
        schedule = _backend(account_id, region_name).create_schedule(
            description=props.get("Description"), end_date=props.get("EndDate"),
            flexible_time_window=props.get("FlexibleTimeWindow") or {"Mode": "OFF"},
            group_name=props.get("GroupName"), kms_key_arn=props.get("KmsKeyArn"),
            name=props.get("Name") or resource_name, schedule_expression=props["ScheduleExpression"],
            schedule_expression_timezone=props.get("ScheduleExpressionTimezone"), start_date=props.get("StartDate"),
            state=props.get("State"), target=dict(props["Target"]), action_after_completion=None)
        return cls(schedule, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str) -> Any:
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def delete(self, account_id: str, region: str) -> None:  # moto's CloudFormation deletes through this
        _backend(account_id, region).delete_schedule(self.schedule.group_name, self.schedule.name)


def run_schedules(account_id: str, region: str) -> list[str]:
    """One firing of each ENABLED schedule; the ARNs of the executions started."""
    # moto's paginated list: (schedules, next token), every one of them when no page size is given
    enabled, _ = _backend(account_id, region).list_schedules(group_names=None, state="ENABLED")
    return [_fire(schedule, account_id, region) for schedule in enabled]


def _fire(schedule: Any, account_id: str, region: str) -> str:
    from moto.stepfunctions.responses import get_backend

    target = schedule.target
    arn = str(target["Arn"])
    if ":states:" not in arn or ":stateMachine:" not in arn:
        raise NotImplementedError(f"schedule {schedule.name}: only Step Functions targets are played, not {arn}")
    refused = _role_refuses(str(target.get("RoleArn") or ""), arn, account_id)
    if refused:
        raise PermissionError(f"schedule {schedule.name}: {refused}")
    execution_id = secrets.token_hex(8)
    text = str(target.get("Input") or "{}")
    for name, value in {"schedule-arn": schedule.arn, "execution-id": execution_id, "attempt-number": "1",
                        "scheduled-time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}.items():
        text = text.replace(f"<aws.scheduler.{name}>", value)
    json.loads(text)  # a templated Step Functions target's input is JSON (API reference, Target.Input)
    execution = get_backend(account_id, region).start_execution(arn, name=str(uuid.uuid4()), execution_input=text)
    LOG.info("schedule %s started %s", schedule.name, execution.execution_arn)
    return str(execution.execution_arn)


def _role_refuses(role_arn: str, target_arn: str, account_id: str) -> str | None:
    """Why Scheduler could not start ``target_arn`` as ``role_arn``; None when it could."""
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    iam = iam_backends[account_id][get_partition(target_arn.split(":")[3])]
    role = next((r for r in iam.roles.values() if r.arn == role_arn), None)
    if role is None:
        return f"execution role {role_arn or '(none)'} does not exist"
    trust = json.loads(role.assume_role_policy_document) if isinstance(role.assume_role_policy_document, str) \
        else role.assume_role_policy_document
    if not any(_names(statement.get("Principal", {}).get("Service")) & {SCHEDULER_PRINCIPAL}
               for statement in trust.get("Statement", []) if statement.get("Effect") == "Allow"):
        return f"role {role.name} does not trust {SCHEDULER_PRINCIPAL}"
    # Its inline policies (CloudFormation's AWS::IAM::Policy puts one per role it names): what CDK grants.
    for document in (json.loads(text) if isinstance(text, str) else text for text in role.policies.values()):
        for statement in document.get("Statement", []):
            if statement.get("Effect") == "Allow" and "states:StartExecution" in _names(statement.get("Action")) \
                    and any(fnmatch.fnmatchcase(target_arn, pattern) for pattern in _names(statement.get("Resource"))):
                return None
    return f"role {role.name} may not states:StartExecution on {target_arn}"


def _names(value: Any) -> set[str]:
    return {value} if isinstance(value, str) else set(value or [])
