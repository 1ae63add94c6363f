"""Settings every test shares: a fake AWS account, no tracing daemon."""

import os
from pathlib import Path

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
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_SERVICE_NAME": "milvus-layer7",
        "POWERTOOLS_METRICS_NAMESPACE": "MilvusLayer7",
    }
)
