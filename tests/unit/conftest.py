"""Fixtures the step tests share."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass
class FakeLambdaContext:
    """What Powertools' inject_lambda_context and the handlers read from a real context."""

    function_name: str = "milvus-layer7-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:milvus-layer7-test"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """moto's server in this process, with the sandbox's patches (one test module at a time)."""
    from sandbox.aws.server import MotoSandbox

    moto = MotoSandbox(cache_dir=tmp_path_factory.mktemp("lambda-cache")).start()
    yield moto
    moto.stop()
