"""Names and sizes shared by the constructs, kept in one place so that the
state names, Lambda names and the contract's step names stay the same words."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

STACK_NAME = "MilvusLayer7"
SERVICE_NAME = "milvus-layer7"
METRICS_NAMESPACE = "MilvusLayer7"

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LAMBDAS_DIR = PROJECT_ROOT / "lambdas"
LAYERS_DIR = PROJECT_ROOT / "layers"
LAYER_CACHE_DIR = PROJECT_ROOT / ".cache" / "layers"
PLACEHOLDER_LAYER_DIR = Path(__file__).resolve().parent / "placeholder_layer"

# What never goes into a function's code asset.
CODE_EXCLUDES = ["tests", "**/tests", "**/__pycache__", "**/*.pyc", ".pytest_cache", "**/.pytest_cache"]

# Public interface (CONTRACT.md, "Events").
EVENT_SOURCE = "milvus.layer7"
DETAIL_TYPE_REQUESTED = "Milvus Layer7 Setup Requested"
DETAIL_TYPE_READY = "Milvus Layer7 Endpoint Ready"
DETAIL_TYPE_FAILED = "Milvus Layer7 Setup Failed"

# Per-execution secrets (certificates, verify tokens) follow this naming
# convention so that the functions can read them without a grant per secret.
SECRET_NAME_PREFIX = "milvus-layer7/"  # noqa: S105 - a naming convention, not a secret

EKS_EDIT_POLICY = "AmazonEKSEditPolicy"

LOG_RETENTION_DAYS = 30
WORKFLOW_TIMEOUT_HOURS = 2

# Lambda service errors worth another try, plus the Lambdas' own TransientError
# (DESIGN.md, "Retry").
RETRYABLE_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "TransientError",
)
RETRY_INTERVAL_SECONDS = 2
RETRY_BACKOFF_RATE = 2.0
RETRY_MAX_ATTEMPTS = 3
DNS_WAIT_SECONDS = 5

# The layer budget: code plus layers, unzipped, per function.
FUNCTION_SIZE_BUDGET_BYTES = 150 * 1024 * 1024

DEFAULT_NAMESPACE = "milvus"
DEFAULT_ARCHITECTURE = "arm64"
DEFAULT_PYTHON_VERSION = "3.14"
NEWEST_PYTHON_VERSION = "3.14"


@dataclass(frozen=True)
class StepSpec:
    """One workflow step: its state name, handler, layers and sizing."""

    name: str
    handler: str
    layers: tuple[str, ...]
    timeout_seconds: int = 60
    memory_mb: int = 256
    calls_kubernetes: bool = False


# DESIGN.md, "Lambda entry points": state name = function construct id.
STEPS: tuple[StepSpec, ...] = (
    StepSpec("Validate", "validate.handler.lambda_handler", ("common",), timeout_seconds=30),
    StepSpec("ImportCertificate", "import_certificate.handler.lambda_handler", ("common",)),
    StepSpec("ApplyIngress", "apply_ingress.handler.lambda_handler", ("common", "kubernetes"),
             calls_kubernetes=True),
    StepSpec("CheckLoadBalancer", "check_load_balancer.handler.lambda_handler", ("common", "kubernetes"),
             calls_kubernetes=True),
    # verify.timeoutSeconds may be up to 900 s: the function must outlive it.
    StepSpec("VerifyGrpc", "verify_grpc.handler.lambda_handler", ("common", "milvus"),
             timeout_seconds=900, memory_mb=1024),
    StepSpec("RemoveLayer4", "remove_layer4.handler.lambda_handler", ("common", "kubernetes"),
             calls_kubernetes=True),
    StepSpec("UpsertDns", "upsert_dns.handler.lambda_handler", ("common",)),
    StepSpec("CheckDnsChange", "upsert_dns.handler.check_change_handler", ("common",)),
)
STEP_NAMES = tuple(step.name for step in STEPS)
LAYER_NAMES = ("common", "kubernetes", "milvus")


def _contract_error_names() -> tuple[str, ...]:
    """Read the nine names from ``lambdas/layer7/errors.py`` (the one source),
    without importing the ``layer7`` package and its dependencies."""
    path = LAMBDAS_DIR / "layer7" / "errors.py"
    spec = importlib.util.spec_from_file_location("_layer7_errors", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(module.CONTRACT_ERROR_NAMES)


CONTRACT_ERROR_NAMES = _contract_error_names()

# CONTRACT.md "Execution output": the keys BuildOutput writes, in order.
OUTPUT_KEYS = ("certificateArn", "certificateImported", "loadBalancer", "ingress", "service",
               "verification", "dnsRecord", "warnings")
# What the state holds once the Dns? choice is reached (NoDns rebuilds it).
STATE_KEYS_BEFORE_DNS = ("request", "certificate", "ingress", "loadBalancer", "verification", "service")

# The Lambdas' Powertools EMF metrics (lambdas/layer7/observability.py: the
# namespace, and the "service" dimension Powertools adds to every metric).
METRIC_DIMENSIONS = {"service": SERVICE_NAME}
METRIC_ALB_WAIT = "AlbWaitSeconds"  # CheckLoadBalancer, when the ALB is ready
METRIC_VERIFICATION_LATENCY = "VerificationLatencyMs"  # VerifyGrpc
METRIC_CERTIFICATE_DAYS = "CertificateDaysUntilExpiry"  # ImportCertificate
CERTIFICATE_ALARM_DAYS = 30

# ACM's own daily event for a certificate close to expiry (imported ones included).
ACM_EVENT_SOURCE = "aws.acm"
ACM_DETAIL_TYPE_EXPIRING = "ACM Certificate Approaching Expiration"

# Secrets Manager calls that give the certificate secret a new version (rotation.py).
SECRET_VALUE_CALLS = ("PutSecretValue", "UpdateSecret")
SECRET_ROTATION_EVENT = "RotationSucceeded"  # noqa: S105 - an event name, not a secret
