#!/usr/bin/env python3
"""Deploys the ParentPipeline example alone: ``cdk deploy -c childStateMachineArn=<StateMachineArn>``.

The child's ARN is the milvus-layer7 stack's output ``StateMachineArn``. With
``-c undoStateMachineArn=<UndoStateMachineArn>`` the RollbackPipeline example
(rollback.py: a failed release stage runs the undo) is deployed beside it.
"""

from __future__ import annotations

import sys

import aws_cdk as cdk

from construct import ParentPipeline
from rollback import RollbackPipeline

STACK_NAME = "Layer7ParentPipelineExample"


def main() -> int:
    app = cdk.App()
    child_arn = app.node.try_get_context("childStateMachineArn")
    if not child_arn:
        print("parent pipeline example: pass -c childStateMachineArn=<milvus-layer7 StateMachineArn>",
              file=sys.stderr)
        return 2
    stack = cdk.Stack(app, STACK_NAME, stack_name=STACK_NAME,
                      description="Example: a parent workflow that runs milvus-layer7 with startExecution.sync:2")
    pipeline = ParentPipeline(stack, "ParentPipeline", child_state_machine_arn=child_arn)
    cdk.CfnOutput(stack, "ParentStateMachineArn", value=pipeline.state_machine.state_machine_arn)
    undo_arn = app.node.try_get_context("undoStateMachineArn")
    if undo_arn:
        rollback = RollbackPipeline(stack, "RollbackPipeline", child_state_machine_arn=child_arn,
                                    undo_state_machine_arn=undo_arn)
        cdk.CfnOutput(stack, "RollbackStateMachineArn", value=rollback.state_machine.state_machine_arn)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
