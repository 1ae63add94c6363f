"""The AWS clients one command uses, all in one region.

Two deployments in two regions are two stacks of the same name; every
client of a command is made from one session so that --region picks one
deployment for all of its calls, never the stack from one region and the
state machine from another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3


@dataclass(frozen=True)
class Clients:
    sfn: Any
    cfn: Any
    region: str
    lambda_: Any = None  # status: the drift check is a function


def connect_to_aws(region: str | None) -> Clients:
    """Clients for `region`, or for the SDK's region when None (botocore raises NoRegionError without one)."""
    session = boto3.Session(region_name=region)
    sfn = session.client("stepfunctions")
    return Clients(sfn=sfn, cfn=session.client("cloudformation"), region=sfn.meta.region_name,
                   lambda_=session.client("lambda"))
