"""boto3 clients without hidden retries, and AWS faults sorted into contract terms.

botocore's own retry loop is off (one attempt): the state machine retries
``TransientError`` with backoff, where an operator can see it. Endpoints follow
boto3's usual rules, AWS_ENDPOINT_URL included, which is how the sandbox points
every step at its local AWS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from layer7.errors import TransientError

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_acm import ACMClient
    from types_boto3_ec2 import EC2Client
    from types_boto3_eks import EKSClient
    from types_boto3_elbv2 import ElasticLoadBalancingv2Client
    from types_boto3_route53 import Route53Client
    from types_boto3_secretsmanager import SecretsManagerClient
    from types_boto3_stepfunctions import SFNClient
    from types_boto3_sts import STSClient

Service = Literal["acm", "dynamodb", "ec2", "eks", "elbv2", "route53", "secretsmanager", "stepfunctions", "sts"]

_NO_HIDDEN_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)

_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "PriorRequestNotComplete",
        "SlowDown",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalError",
        "InternalServiceError",
    }
)


@overload
def client(service: Literal["acm"]) -> ACMClient: ...
@overload
def client(service: Literal["dynamodb"]) -> Any: ...  # no stubs in requirements-dev.txt
@overload
def client(service: Literal["ec2"]) -> EC2Client: ...
@overload
def client(service: Literal["eks"]) -> EKSClient: ...
@overload
def client(service: Literal["elbv2"]) -> ElasticLoadBalancingv2Client: ...
@overload
def client(service: Literal["route53"]) -> Route53Client: ...
@overload
def client(service: Literal["secretsmanager"]) -> SecretsManagerClient: ...
@overload
def client(service: Literal["stepfunctions"]) -> SFNClient: ...
@overload
def client(service: Literal["sts"]) -> STSClient: ...
def client(service: Service) -> Any:
    """A boto3 client for ``service`` in the function's region."""
    return boto3.client(service, config=_NO_HIDDEN_RETRIES)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_transient(exc: Exception) -> bool:
    """Throttling, 429 and 5xx answers, and a connection that failed outright."""
    if isinstance(exc, EndpointConnectionError):
        return True
    if not isinstance(exc, ClientError):
        return False
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return error_code(exc) in _THROTTLING_CODES or status == 429 or status >= 500


def raise_if_transient(exc: Exception, what: str) -> None:
    """Re-raise ``exc`` as ``TransientError`` when another try may succeed."""
    if is_transient(exc):
        code = error_code(exc) if isinstance(exc, ClientError) else ""
        raise TransientError(f"{what}: {type(exc).__name__} {code}".strip()) from exc
