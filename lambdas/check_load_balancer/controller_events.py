"""What the load balancer controller's Warning events on the Ingress mean, and when they are a verdict.

The controller records ``FailedBuildModel`` / ``FailedDeployModel`` (and a few
other ``Failed*`` reasons) on every failed reconcile and then retries with
controller-runtime's backoff, from 5 ms doubling to 1,000 s, for ever
(kubernetes-sigs/aws-load-balancer-controller ``controllers/ingress/group_controller.go``,
``pkg/runtime/reconcile.go``; maintainer in issue #1999). Kubernetes folds the
repeats into one Event whose ``count`` and ``lastTimestamp`` grow. So one
Warning is not a verdict: the run ends in ``IngressRejected`` only when the
failure persists.

* A failure AWS's own eventual consistency or load explains (the certificate
  ImportCertificate just created not yet visible to ELBv2, throttling, an
  optimistic-lock conflict, a webhook call timing out) is a verdict only once
  it has stood for ``TRANSIENT_GRACE_SECONDS``: Terraform's AWS provider
  waits as long for a new certificate's ``CertificateNotFound``.
* Any other failure (a bad annotation, untagged subnets, missing IAM rights)
  is a verdict once the controller has repeated it, or it has stood for
  ``REJECTION_GRACE_SECONDS``: the controller retries at once, so a real
  rejection still ends the run in seconds, well before ``albTimeoutSeconds``.

A ``SuccessfullyReconciled`` after the failure clears it. Events from before
this workflow last changed the Ingress are ignored, so a fixed input is not
failed by the previous run's complaint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from layer7 import kube as k8s

REJECTION_GRACE_SECONDS = 20
TRANSIENT_GRACE_SECONDS = 300
# Clock skew allowed between this function and the API server when no
# managedFields time is available to date the last apply.
SKEW_SECONDS = 5
# Causes the controller recovers from by retrying: ELBv2 not yet seeing a new ACM certificate, AWS throttling,
# a conflicting write to the Ingress, its webhook or AWS not answering in time.
TRANSIENT_MARKERS = (
    "certificatenotfound",
    "throttl",
    "rate exceeded",
    "requestlimitexceeded",
    "the object has been modified",
    "failed calling webhook",
    "context deadline exceeded",
    "timeout",
    "serviceunavailable",
    "internalfailure",
)


@dataclass(frozen=True)
class ControllerFailure:
    """The controller's newest unresolved complaint about the Ingress."""

    reason: str
    message: str
    first_seen: float  # epoch seconds, never before the last apply
    count: int
    transient: bool

    def verdict(self, now: float) -> bool:
        """True once the failure counts as the controller's answer (module docstring)."""
        standing = now - self.first_seen
        if self.transient:
            return standing >= TRANSIENT_GRACE_SECONDS
        return self.count >= 2 or standing >= REJECTION_GRACE_SECONDS

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


def is_transient(message: str) -> bool:
    text = message.lower()
    return any(marker in text for marker in TRANSIENT_MARKERS)


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
        transient=is_transient(message),
    )
