"""The contract's names, as the stack writes them (docs/CONTRACT.md): one place, so they stay the same words.

Error names have one home, the Lambdas' own ``layer7.errors``; the stack
takes them through stacks/runtime.py.
"""

from __future__ import annotations

from stacks.runtime import errors

CONTRACT_ERROR_NAMES = errors.CONTRACT_ERROR_NAMES

__all__ = ["CONTRACT_ERROR_NAMES"]

STACK_NAME = "MilvusLayer7"
SERVICE_NAME = "milvus-layer7"
METRICS_NAMESPACE = "MilvusLayer7"  # the default stack's: a stack's metrics are under its own name


def metrics_namespace(stack_name: str) -> str:
    """The CloudWatch namespace of a stack's metrics: its name, so one stack's alarms never read another's data
    (the default stack's is METRICS_NAMESPACE, as before stacks had other names)."""
    return stack_name

# "Events"
EVENT_SOURCE = "milvus.layer7"
# The stack an event is for (detail.stack): a request's routing (stacks/triggers.py), the published events' origin.
REQUEST_STACK_FIELD = "stack"
DETAIL_TYPE_REQUESTED = "Milvus Layer7 Setup Requested"
DETAIL_TYPE_READY = "Milvus Layer7 Endpoint Ready"
# Before the Layer-4 load balancer goes: the ALB serves; whoever still dials the old one has the drain to move.
DETAIL_TYPE_AVAILABLE = "Milvus Layer7 Endpoint Available"
DETAIL_TYPE_FAILED = "Milvus Layer7 Setup Failed"
DETAIL_TYPE_UNDO_REQUESTED = "Milvus Layer7 Undo Requested"
DETAIL_TYPE_UNDO_COMPLETED = "Milvus Layer7 Undo Completed"
DETAIL_TYPE_UNDO_FAILED = "Milvus Layer7 Undo Failed"
# The scheduled drift check (stacks/drift_schedule.py): one per host whose check found something.
DETAIL_TYPE_DRIFT = "Milvus Layer7 Drift Detected"

# Per-execution secrets (certificates, verify tokens) follow this naming
# convention so that the functions can read them without a grant per secret.
SECRET_NAME_PREFIX = "milvus-layer7/"  # noqa: S105 - a naming convention, not a secret

# "Execution output": the keys BuildOutput writes, in order.
OUTPUT_KEYS = ("certificateArn", "certificateImported", "loadBalancer", "ingress", "service",
               "verification", "dnsRecord", "warnings")
# "The undo workflow", its output: the keys BuildUndoOutput writes, in order.
UNDO_OUTPUT_KEYS = ("service", "verification", "dnsRecord", "ingress", "certificates", "alreadyUndoneBy",
                    "warnings")

# The Lambdas' Powertools EMF metrics (lambdas/layer7/observability.py: the
# namespace, and the "service" dimension Powertools adds to every metric).
METRIC_DIMENSIONS = {"service": SERVICE_NAME}
METRIC_ALB_WAIT = "AlbWaitSeconds"  # CheckLoadBalancer, when the ALB is ready
METRIC_VERIFICATION_LATENCY = "VerificationLatencyMs"  # VerifyGrpc, VerifyLayer4: the gRPC answer's latency
METRIC_VERIFICATION_SECONDS = "VerificationSeconds"  # VerifyGrpc, VerifyLayer4: the whole check that passed
METRIC_CERTIFICATE_DAYS = "CertificateDaysUntilExpiry"  # ImportCertificate
METRIC_REPLACED_CERTIFICATE_DAYS = "ReplacedCertificateDaysLeft"  # ImportCertificate, on a renewal
# The scheduled drift check's state machine: one data point per finding, dimensions METRIC_DIMENSIONS and the kind.
METRIC_DRIFT_FINDINGS = "DriftFindings"
METRIC_DRIFT_KIND_DIMENSION = "kind"

# ACM's own daily event for a certificate close to expiry (imported ones included).
ACM_EVENT_SOURCE = "aws.acm"
ACM_DETAIL_TYPE_EXPIRING = "ACM Certificate Approaching Expiration"
