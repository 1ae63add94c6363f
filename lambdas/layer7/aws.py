"""boto3 clients whose reads retry in the SDK and whose writes do not, and AWS faults sorted into contract terms.

A read (an operation named ``Describe*``, ``List*`` or ``Get*``: AWS's names
for calls without side effects) gets botocore's standard retry mode,
``READ_ATTEMPTS`` attempts in all: a throttled ELBv2 read (the load balancer
controller shares the account's ELBv2 rate limits) no longer fails the step.
A write gets one attempt: the state machine retries ``TransientError`` with
backoff, where an operator can see it, and a write retried by both would be
tried attempts x attempts times. Endpoints follow boto3's usual rules,
AWS_ENDPOINT_URL included, which is how the sandbox points every step at its
local AWS.
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

READ_ATTEMPTS = 3  # botocore's standard mode default: the first try and two retries
READ_PREFIXES = ("Describe", "List", "Get")
CLIENT_CONFIG = Config(retries={"total_max_attempts": READ_ATTEMPTS, "mode": "standard"}, connect_timeout=5,
                       read_timeout=30)

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
    """A boto3 client for ``service`` in the function's region: reads retried by the SDK, writes tried once."""
    return reads_retry_only(boto3.client(service, config=CLIENT_CONFIG))


def is_read(operation: str) -> bool:
    """Whether ``operation`` (the API's name, ``DescribeLoadBalancers``) only reads."""
    return operation.startswith(READ_PREFIXES)


def reads_retry_only(made: Any) -> Any:
    """``made`` (a client in standard retry mode) with botocore's retries refused to every write.

    One client per service, the rule decided per call, rather than a read client
    and a write client: the steps' functions take one client per service and
    most both read and write with it (UpsertDns lists the records and changes
    them, the run lock reads the holder's execution and puts the item), so two
    clients would double every signature and leave each call site to pick the
    right one. Here a function cannot pick wrong: whatever client it is given
    retries what only reads.

    botocore asks its ``needs-retry.<service>.<operation>`` handlers whether to
    try again and takes the first answer that is not None, False included
    (botocore/endpoint.py ``_needs_retry``); this handler goes first and answers
    False for a write, None (no say: the standard handler decides) for a read.
    """
    service = made.meta.service_model.service_id.hyphenize()
    made.meta.events.register_first(f"needs-retry.{service}", _refuse_write_retries)
    return made


def _refuse_write_retries(operation: Any, **_: Any) -> bool | None:
    return None if is_read(operation.name) else False


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
