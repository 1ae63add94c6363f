"""Finding the workflow's state machines without making the operator copy ARNs.

The stack's outputs are the handle: ``StateMachineArn`` for setup,
``UndoStateMachineArn`` for undo. The state machines have explicit names
(stacks/tasks.py, from the stack name), but a name alone says neither the account nor whether the
stack that owns it is the one asked for; the outputs of the stack named by
--stack-name do. An ARN given explicitly wins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from layer7ctl.exits import OperatorError

DEFAULT_STACK_NAME = "MilvusLayer7"  # stacks/names.py STACK_NAME (context stackName unset); a test keeps them equal
STACK_NAME_VARIABLE = "MILVUS_LAYER7_STACK_NAME"


@dataclass(frozen=True)
class Workflow:
    """One of the stack's state machines and the ways an operator can name it."""

    label: str
    output_key: str
    option: str  # the command-line option that names its ARN
    variable: str  # the environment variable that does the same


SETUP = Workflow("setup", "StateMachineArn", "--state-machine-arn", "MILVUS_LAYER7_STATE_MACHINE_ARN")
UNDO = Workflow("undo", "UndoStateMachineArn", "--undo-state-machine-arn", "MILVUS_LAYER7_UNDO_STATE_MACHINE_ARN")
# Not a state machine, found the same way: the function layer7ctl status invokes.
DRIFT_CHECK = Workflow("drift check", "DriftCheckFunctionName", "--drift-check-function",
                       "MILVUS_LAYER7_DRIFT_CHECK_FUNCTION")


def stack_name(given: str | None, environ: Mapping[str, str] = os.environ) -> str:
    return given or environ.get(STACK_NAME_VARIABLE) or DEFAULT_STACK_NAME


def state_machine_arn(workflow: Workflow, *, given: str | None, cfn: Any, stack: str, region: str,
                      environ: Mapping[str, str] = os.environ, read: dict[str, Any] | None = None) -> str:
    """The option, else its environment variable, else the stack's output."""
    return given or environ.get(workflow.variable) or stack_output(cfn, workflow, stack=stack, region=region,
                                                                  read=read)


def stack_output(cfn: Any, workflow: Workflow, *, stack: str, region: str, read: dict[str, Any] | None = None) -> str:
    """The output named `workflow.output_key`, or one whose key starts with it (CDK may add a suffix).

    `read` keeps the stack as DescribeStacks answered, for a command that needs two of its outputs (list).
    """
    what_to_pass = f"pass --stack-name and --region of the deployment, or {workflow.option} / ${workflow.variable}"
    read = {} if read is None else read
    try:
        if stack not in read:
            read[stack] = cfn.describe_stacks(StackName=stack)["Stacks"]
        found = read[stack]
    except ClientError as error:
        if "does not exist" not in error.response.get("Error", {}).get("Message", ""):
            raise
        raise OperatorError(f"no stack {stack} in {region}: {what_to_pass}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in found[0].get("Outputs", [])}
    if workflow.output_key in outputs:
        return outputs[workflow.output_key]
    matching = sorted(key for key in outputs if key.startswith(workflow.output_key))
    if len(matching) == 1:
        return outputs[matching[0]]
    if matching:
        raise OperatorError(f"stack {stack} in {region} has {len(matching)} outputs named "
                            f"{workflow.output_key}* ({', '.join(matching)}): pass {workflow.option}")
    raise OperatorError(f"stack {stack} in {region} ({found[0].get('StackStatus', 'status unknown')}) has no "
                        f"output {workflow.output_key} (the {workflow.label} workflow): deploy a version that "
                        f"has it, or {what_to_pass}")
