"""The AWS clients one command uses, all in one region and one profile.

Two deployments in two regions are two stacks of the same name; every
client of a command is made from one session so that --region picks one
deployment for all of its calls, never the stack from one region and the
state machine from another.

The region and profile are read as the AWS CLI reads them: --region, else
AWS_REGION, else AWS_DEFAULT_REGION, else the profile's; --profile, else
AWS_PROFILE, else the default profile. boto3 itself reads AWS_DEFAULT_REGION
only, so AWS_REGION is read here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3


@dataclass(frozen=True)
class Clients:
    sfn: Any
    cfn: Any
    region: str
    lambda_: Any = None  # status: the drift check is a function
    logs: Any = None  # logs: CloudWatch Logs
    stacks: dict[str, Any] = field(default_factory=dict, compare=False)  # DescribeStacks, once per command


def region_to_use(given: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """--region, else AWS_REGION; None leaves AWS_DEFAULT_REGION and the profile's region to the SDK."""
    return given or environ.get("AWS_REGION") or None


def connect_to_aws(region: str | None, profile: str | None = None) -> Clients:
    """Clients for `region` and `profile` (None: as the AWS CLI would choose; botocore raises NoRegionError
    without a region, ProfileNotFound for a profile not in the config files)."""
    session = boto3.Session(profile_name=profile, region_name=region_to_use(region))
    sfn = session.client("stepfunctions")
    return Clients(sfn=sfn, cfn=session.client("cloudformation"), region=sfn.meta.region_name,
                   lambda_=session.client("lambda"), logs=session.client("logs"))
