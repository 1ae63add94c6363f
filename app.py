#!/usr/bin/env python3
"""The CDK app: read the context, build the stack, check it with cdk-nag.

Synth needs no AWS credentials and makes no lookups: the stack is
environment-agnostic (account and region are CloudFormation pseudo
parameters) and the VPC is imported from the ids given in context.
Configuration errors stop synth with the key at fault (stacks/config.py).
"""

from __future__ import annotations

import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.config import ConfigError, StackConfig
from stacks.milvus_layer7_stack import MilvusLayer7Stack


def build_app(app: cdk.App | None = None) -> tuple[cdk.App, MilvusLayer7Stack]:
    """The app with its one stack, named by context stackName (default MilvusLayer7), and the AwsSolutions
    checks (every finding fails synth unless acknowledged with a reason where it is accepted)."""
    app = app or cdk.App()
    config = StackConfig.from_context(app.node.try_get_context)
    stack = MilvusLayer7Stack(
        app, config.stack_name, config=config, stack_name=config.stack_name,
        description="milvus-layer7: Step Functions workflow that puts Milvus on EKS behind an ALB",
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


def main() -> int:
    try:
        app, _ = build_app()
    except ConfigError as error:
        print(f"milvus-layer7: invalid configuration: {error}", file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
