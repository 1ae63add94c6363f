"""Settings every test shares: a fake AWS account, no tracing daemon."""

import os

# Never reach a real AWS account from a test, whatever the machine has.
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)
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
