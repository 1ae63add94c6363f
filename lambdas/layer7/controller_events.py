"""What the load balancer controller's Warning events on the Ingress mean, and when they are a verdict.

The controller records a Warning with one of the reasons of its
``pkg/k8s/events.go`` (``FailedBuildModel``, ``FailedDeployModel``,
``FailedAddFinalizer``, ``FailedLoadGroupID``, ...) on every failed reconcile
and then retries with controller-runtime's backoff, from 5 ms doubling to
1,000 s, for ever (kubernetes-sigs/aws-load-balancer-controller
``controllers/ingress/group_controller.go``, ``pkg/runtime/reconcile.go``;
maintainer in issue #1999). Kubernetes folds the repeats into one Event whose
``count`` and ``lastTimestamp`` grow. So one Warning is not a verdict: the run
ends in ``IngressRejected`` only when the failure persists, and how long it
must persist depends on what failed (``classify``):

* the event's reason: ``group_controller.go`` writes ``Failed <step> due to
  <error>``. A model build that fails without an AWS error is the Ingress as
  given (an annotation, a missing Service): permanent. Finalizer and status
  writes are Kubernetes API calls (an optimistic-lock conflict, a webhook not
  answering): transient.
* the AWS error inside the message. The controller calls AWS through
  aws-sdk-go-v2 (its ``go.mod``) with the standard retryer, 10 attempts
  (``pkg/aws/aws_config.go``, ``pkg/aws/cloud_config.go``), and prints the
  error with ``%v``: smithy-go's ``OperationError`` (``operation error
  <service id>: <operation>, <cause>``), around the retryer's
  ``MaxAttemptsError`` when the attempts ran out (``exceeded maximum number of
  attempts, 10, <cause>``), around aws-sdk-go-v2's ``ResponseError`` (``https
  response error StatusCode: <n>, RequestID: <id>, <api error>``), around the
  API error: ``api error <Code>: <message>`` for a code the operation does not
  model (smithy-go ``GenericAPIError``), ``<Code>: <message>`` for one it does
  (``service/elasticloadbalancingv2/types/errors.go``). Its code is looked up in
  ``AWS_ERROR_CODES``; a code not there falls back on the status code (5xx is
  transient, as the SDK retries those).

Persistence needed, by class: a permanent failure is a verdict once the
controller has repeated it or it has stood for ``REJECTION_GRACE_SECONDS`` (the
controller retries at once, so a real rejection still ends the run in seconds);
a transient one once it has stood for ``TRANSIENT_GRACE_SECONDS`` (Terraform's
AWS provider waits as long for a new certificate's ``CertificateNotFound``);
anything else (an unknown reason, an unlisted code, a deploy failure with no AWS
error in it) once it has stood for ``UNKNOWN_GRACE_SECONDS``, however often it
repeated: bounded, so an unforeseen eventual-consistency error gets a chance and
an unforeseen rejection still ends the run well before ``albTimeoutSeconds``.

A ``SuccessfullyReconciled`` after the failure clears it. Events from before
this workflow last changed the Ingress are ignored, so a fixed input is not
failed by the previous run's complaint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from layer7 import kube as k8s

REJECTION_GRACE_SECONDS = 20
UNKNOWN_GRACE_SECONDS = 90
TRANSIENT_GRACE_SECONDS = 300
# Clock skew allowed between this function and the API server when no
# managedFields time is available to date the last apply.
SKEW_SECONDS = 5

TRANSIENT, PERMANENT, UNKNOWN = "transient", "permanent", "unknown"

# The Ingress event reasons of pkg/k8s/events.go, by what fails behind them (group_controller.go,
# eventhandlers/ingress_events.go, group_loader.go).
REASONS = {
    "FailedBuildModel": PERMANENT,  # the model builder refused the Ingress; an AWS error inside decides instead
    "FailedLoadGroupID": PERMANENT,  # an invalid group.name annotation
    "FailedDeployModel": UNKNOWN,  # an AWS call failed: the AWS error inside decides
    "FailedAddFinalizer": TRANSIENT,  # Kubernetes API writes: conflicts, webhooks, the API server's load
    "FailedRemoveFinalizer": TRANSIENT,
    "FailedUpdateStatus": TRANSIENT,
}

# AWS error codes as the controller's AWS calls return them. Sources: aws-sdk-go-v2 aws/retry/standard.go
# (DefaultThrottleErrorCodes, DefaultRetryableErrorCodes: what the SDK itself retries); the Elastic Load Balancing
# API reference (Common Errors; each action's Errors, e.g. CreateListener's CertificateNotFound, "The specified
# certificate does not exist", which ELBv2 also answers while a certificate ACM just imported is not yet visible to
# it); the EC2 API's "Eventual consistency" page (InvalidGroup.NotFound after CreateSecurityGroup) and its error
# codes; the ACM API reference (RequestInProgressException, ThrottlingException).
AWS_ERROR_CODES = {
    # throttling (SDK DefaultThrottleErrorCodes; ELBv2 and ACM Throttling(Exception), EC2 RequestLimitExceeded)
    "Throttling": TRANSIENT,
    "ThrottlingException": TRANSIENT,
    "RequestLimitExceeded": TRANSIENT,
    "TooManyRequestsException": TRANSIENT,
    "RequestThrottled": TRANSIENT,
    "RequestThrottledException": TRANSIENT,
    "PriorRequestNotComplete": TRANSIENT,
    "EC2ThrottledException": TRANSIENT,
    # the service's own fault (Common Errors: InternalFailure 500, ServiceUnavailable 503; SDK RequestTimeout)
    "InternalFailure": TRANSIENT,
    "InternalError": TRANSIENT,  # EC2's 500
    "ServiceUnavailable": TRANSIENT,
    "Unavailable": TRANSIENT,  # EC2's 503
    "RequestTimeout": TRANSIENT,
    "RequestTimeoutException": TRANSIENT,
    # eventual consistency: a resource just made elsewhere not yet visible here
    "CertificateNotFound": TRANSIENT,  # ELBv2 CreateListener/ModifyListener/AddListenerCertificates after ACM import
    "InvalidGroup.NotFound": TRANSIENT,  # EC2, the security group the controller just created
    "RequestInProgressException": TRANSIENT,  # ACM, a certificate still being processed
    "ResourceInUse": TRANSIENT,  # ELBv2, a target group still referenced until the listener change lands
    # the request as given, or the controller's rights: no retry changes them
    "ValidationError": PERMANENT,  # ELBv2 and the Query APIs: input fails a constraint
    "AccessDenied": PERMANENT,
    "AccessDeniedException": PERMANENT,
    "UnauthorizedOperation": PERMANENT,  # EC2
    "AuthFailure": PERMANENT,
    "InvalidClientTokenId": PERMANENT,
    "OptInRequired": PERMANENT,
    "InvalidParameterValue": PERMANENT,
    "InvalidParameterCombination": PERMANENT,
    "MissingParameter": PERMANENT,
    "InvalidConfigurationRequest": PERMANENT,  # ELBv2
    "UnsupportedCertificate": PERMANENT,  # ELBv2: the certificate's key or signature is not supported
    "IncompatibleProtocols": PERMANENT,
    "InvalidScheme": PERMANENT,
    "InvalidSubnet": PERMANENT,
    "SubnetNotFound": PERMANENT,
    "InvalidSecurityGroup": PERMANENT,
    "InvalidTarget": PERMANENT,
    "InvalidLoadBalancerAction": PERMANENT,
    "SSLPolicyNotFound": PERMANENT,
    "ALPNPolicyNotFound": PERMANENT,
    "AvailabilityZoneNotSupported": PERMANENT,
    "OperationNotPermitted": PERMANENT,
    "TooManyLoadBalancers": PERMANENT,  # quotas: raised by a request to AWS, not by waiting
    "TooManyListeners": PERMANENT,
    "TooManyTargetGroups": PERMANENT,
    "TooManyRules": PERMANENT,
    "TooManyCertificates": PERMANENT,
    "TooManyTags": PERMANENT,
    "TooManyTargets": PERMANENT,
    "TargetGroupAssociationLimit": PERMANENT,
    "InvalidSubnetID.NotFound": PERMANENT,  # EC2: the subnets pre-exist the controller's calls
    "RulesPerSecurityGroupLimitExceeded": PERMANENT,
    "SecurityGroupLimitExceeded": PERMANENT,
}
# smithy-go OperationError / aws-sdk-go-v2 retry.MaxAttemptsError / awshttp.ResponseError / the API error
AWS_ERROR = re.compile(
    r"operation error (?P<service>[^:,]+): (?P<operation>\w+), "
    r"(?:exceeded maximum number of attempts, \d+, )?"
    r"https response error StatusCode: (?P<status>\d{3}), RequestID: [^,]*, "
    r"(?:api error )?(?P<code>[A-Za-z][A-Za-z0-9.]*):")


@dataclass(frozen=True)
class AwsError:
    """The AWS error an event's message carries, as the controller's SDK printed it."""

    service: str  # the SDK's service id: "Elastic Load Balancing v2", "EC2", "ACM"
    operation: str
    status: int
    code: str


def aws_error(message: str) -> AwsError | None:
    found = AWS_ERROR.search(message)
    if found is None:
        return None
    return AwsError(found["service"], found["operation"], int(found["status"]), found["code"])


def classify(reason: str, message: str) -> str:
    """``transient``, ``permanent`` or ``unknown``: what the controller's reason and the AWS error in it say."""
    error = aws_error(message)
    if error is not None:
        known = AWS_ERROR_CODES.get(error.code)
        if known is not None:
            return known
        return TRANSIENT if error.status >= 500 else UNKNOWN
    return REASONS.get(reason, UNKNOWN)


@dataclass(frozen=True)
class ControllerFailure:
    """The controller's newest unresolved complaint about the Ingress."""

    reason: str
    message: str
    first_seen: float  # epoch seconds, never before the last apply
    count: int
    kind: str  # TRANSIENT, PERMANENT or UNKNOWN (classify)

    @property
    def transient(self) -> bool:
        return self.kind == TRANSIENT

    def verdict(self, now: float) -> bool:
        """True once the failure counts as the controller's answer (module docstring)."""
        standing = now - self.first_seen
        if self.kind == PERMANENT:
            return self.count >= 2 or standing >= REJECTION_GRACE_SECONDS
        return standing >= (TRANSIENT_GRACE_SECONDS if self.kind == TRANSIENT else UNKNOWN_GRACE_SECONDS)

    def describe(self) -> str:
        return f"{self.reason}: {self.message}"


def _parse_time(value: Any) -> float | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def event_times(event: dict[str, Any]) -> tuple[float | None, float | None]:
    """(first, last) occurrence; aggregated events keep their first time apart from the last."""
    first = [_parse_time(event.get(key)) for key in ("firstTimestamp", "eventTime")]
    first.append(_parse_time((event.get("metadata") or {}).get("creationTimestamp")))
    last = [_parse_time(event.get("lastTimestamp")), _parse_time((event.get("series") or {}).get("lastObservedTime")),
            _parse_time(event.get("eventTime"))]
    known_first = [t for t in first if t is not None]
    known_last = [t for t in last if t is not None]
    first_time = min(known_first) if known_first else (max(known_last) if known_last else None)
    last_time = max(known_last) if known_last else first_time
    return first_time, last_time


def last_applied(ingress: dict[str, Any], applied_at: float) -> float:
    """When this workflow last changed the Ingress; Warning events before that are stale.

    The API server moves a manager's managedFields time only when that
    manager's apply changes something: a re-run with the same input leaves it,
    so a controller failure that still stands counts at once, while a run that
    changes the Ingress moves it and older complaints stop counting. It is
    never later than appliedAt (less some clock skew), so a server that stamps
    every write cannot hide a fresh failure.
    """
    cutoff = applied_at - SKEW_SECONDS
    for entry in (ingress.get("metadata") or {}).get("managedFields") or []:
        if entry.get("manager") == k8s.FIELD_MANAGER and entry.get("operation") == "Apply":
            parsed = _parse_time(entry.get("time"))
            if parsed is not None:
                cutoff = min(cutoff, parsed)
    return cutoff


def controller_failure(events: list[dict[str, Any]], since: float, now: float) -> ControllerFailure | None:
    """The controller's newest Warning ``Failed*`` since ``since``, unless a reconcile succeeded after it.

    Its persistence counts from the first failure of the run it ends (messages that carry a request id
    are separate Events until client-go's recorder combines them), and so do its repeats. A failure and a
    success in the same second count as a failure: the check errs towards waiting on, not towards ready.
    """
    successes, failures = [], []
    for event in events:
        first, last = event_times(event)
        first, last = (first if first is not None else now), (last if last is not None else now)
        if last < since:
            continue
        reason = str(event.get("reason") or "")
        if event.get("type") == "Normal" and reason == "SuccessfullyReconciled":
            successes.append(last)
        elif event.get("type") == "Warning" and reason.startswith("Failed"):
            failures.append((event, first, last))
    start = max([since, *successes])
    run = [(event, first, last) for event, first, last in failures if last >= start]
    if not run:
        return None
    newest = max(run, key=lambda item: item[2])[0]
    message = str(newest.get("message") or "no message")
    return ControllerFailure(
        reason=str(newest.get("reason")),
        message=message,
        first_seen=max(min(first for _, first, _ in run), start),
        count=sum(int(event.get("count") or 1) if first >= start else 1 for event, first, _ in run),
        kind=classify(str(newest.get("reason")), message),
    )
