"""Settings every test shares: a fake AWS account, no tracing daemon, a fake Lambda context."""

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# Never reach a real AWS account from a test, whatever the machine has.
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)
# In-process synths (tests/infra) start jsii's `node`: the one package.json
# pins (Node 24 LTS, `npm ci`), not the machine's, which may be end-of-life.
_PROJECT_NODE = Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "node"
if _PROJECT_NODE.exists():
    os.environ.setdefault("JSII_NODE", str(_PROJECT_NODE))
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "milvus-layer7",
        "POWERTOOLS_METRICS_NAMESPACE": "MilvusLayer7",
    }
)


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


@pytest.fixture(autouse=True)
def _no_metrics_left_over() -> None:
    """Steps' logic adds to the one Powertools Metrics object; a test that calls it without a handler (whose
    ``publishing_metrics`` flushes) would leave them to be printed by the next test's handler."""
    observability = sys.modules.get("layer7.observability")
    if observability is not None:
        observability.metrics.clear_metrics()
