"""Finding the workflow's state machine without making the operator copy ARNs."""

from __future__ import annotations

import os
from typing import Any

NAME_PREFIX = "MilvusLayer7"


class StateMachineNotFound(Exception):
    pass


def find_state_machine(sfn: Any) -> str:
    """$MILVUS_LAYER7_STATE_MACHINE_ARN, else the one state machine named MilvusLayer7*."""
    if os.environ.get("MILVUS_LAYER7_STATE_MACHINE_ARN"):
        return os.environ["MILVUS_LAYER7_STATE_MACHINE_ARN"]
    found = [
        machine["stateMachineArn"]
        for page in sfn.get_paginator("list_state_machines").paginate()
        for machine in page["stateMachines"]
        if machine["name"].startswith(NAME_PREFIX)
    ]
    if len(found) != 1:
        raise StateMachineNotFound(
            f"found {len(found)} state machines named {NAME_PREFIX}*: pass --state-machine-arn "
            "(the stack output StateMachineArn) or set MILVUS_LAYER7_STATE_MACHINE_ARN"
        )
    return found[0]
