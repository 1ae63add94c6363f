"""The workflow's error names.

Each class name is public interface (docs/CONTRACT.md, "Errors"): the
Lambda runtime reports it as ``errorType``, Step Functions as the state's
error, and Retry / Catch match it by name. Messages must be something a person
can act on and must never carry key material.
Only the standard library here: the CDK app loads this module (stacks/runtime.py).
"""


class Layer7Error(Exception):
    """A failure the contract names; the execution ends with this class's name."""


class InvalidInput(Layer7Error):
    """The execution input breaks the contract's input table."""


class CertificateNotFound(Layer7Error):
    """The secret or ACM certificate named does not exist or cannot be read."""


class CertificateInvalid(Layer7Error):
    """Bad PEM, key mismatch, host not covered, outside validity, broken chain."""


class ClusterNotFound(Layer7Error):
    """The EKS cluster does not exist or is not ACTIVE."""


class KubernetesForbidden(Layer7Error):
    """The cluster refused the workflow's identity (401/403)."""


class ServiceNotFound(Layer7Error):
    """No such Service in the namespace."""


class IngressRejected(Layer7Error):
    """The load balancer controller rejected the Ingress: a failure that persists, or its webhook's denial."""


class LoadBalancerTimeout(Layer7Error):
    """No active ALB with healthy targets within albTimeoutSeconds."""


class VerificationFailed(Layer7Error):
    """The gRPC check through the ALB failed (retried by the state machine)."""


class RunInProgress(Layer7Error):
    """Another execution for the same host is running; this one changed nothing."""


class NetworkMisconfigured(Layer7Error):
    """The functions' network cannot reach what the run needs (route, NAT, TLS to the cluster's endpoint)."""


class TransientError(Exception):
    """Throttling, 5xx, 429: worth another try later.

    Not a contract error: the state machine retries it with backoff, so a
    Lambda never hides a retry loop. Only if every retry fails does an
    execution end with this name.
    """


CONTRACT_ERRORS: tuple[type[Layer7Error], ...] = (
    InvalidInput,
    CertificateNotFound,
    CertificateInvalid,
    ClusterNotFound,
    KubernetesForbidden,
    ServiceNotFound,
    IngressRejected,
    LoadBalancerTimeout,
    VerificationFailed,
    RunInProgress,
    NetworkMisconfigured,
)
CONTRACT_ERROR_NAMES: tuple[str, ...] = tuple(cls.__name__ for cls in CONTRACT_ERRORS)
