"""CheckLoadBalancer: one look at the Ingress and the ALB behind it.

The step keeps no state: the state machine calls it, waits ``waitSeconds`` and
calls it again; elapsed time is measured from ``$.ingress.appliedAt``. An
address on the Ingress is not readiness (the controller writes it as soon as
the ALB exists, still ``provisioning`` and without healthy targets), so ready
means: address, ALB ``active``, at least one healthy target.

A Warning event from the load balancer controller (``FailedBuildModel``,
``FailedDeployModel``, ...) ends the wait at once with ``IngressRejected``:
the controller will not get further without a change, and its message (a
missing certificate, untagged subnets, a bad annotation) is what the operator
needs. Events from before this workflow last changed the Ingress are
ignored, so a fixed input is not failed by the previous run's complaint.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from layer7 import aws
from layer7 import kube as k8s
from layer7.errors import IngressRejected, LoadBalancerTimeout
from layer7.models import CheckLoadBalancerEvent, LoadBalancerStatus
from layer7.observability import logger, metrics

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_elbv2 import ElasticLoadBalancingv2Client
    from types_boto3_elbv2.type_defs import LoadBalancerTypeDef

MIN_WAIT_SECONDS = 2
MAX_WAIT_SECONDS = 30
# Clock skew allowed between this function and the API server when no
# managedFields time is available to date the last apply.
SKEW_SECONDS = 5


# --- Kubernetes side -------------------------------------------------------


def _parse_time(value: Any) -> float | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def event_time(event: dict[str, Any]) -> float | None:
    """When the event last happened (aggregated events keep their first time separately)."""
    candidates = [
        event.get("lastTimestamp"),
        event.get("eventTime"),
        (event.get("series") or {}).get("lastObservedTime"),
        event.get("firstTimestamp"),
        (event.get("metadata") or {}).get("creationTimestamp"),
    ]
    times = [t for t in (_parse_time(c) for c in candidates) if t is not None]
    return max(times) if times else None


def last_applied(ingress: dict[str, Any], applied_at: float) -> float:
    """When this workflow last changed the Ingress; Warning events before that are stale.

    The API server moves a manager's managedFields time only when that
    manager's apply changes something: a re-run with the same input leaves it,
    so a controller failure that still stands is reported at once, while a run
    that changes the Ingress moves it and older complaints stop counting. It is
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


def controller_failure(events: list[dict[str, Any]], since: float) -> dict[str, Any] | None:
    """The newest Warning ``Failed*`` event since ``since``, unless the controller reconciled after it."""
    failure: dict[str, Any] | None = None
    failure_time = float("-inf")
    success_time = float("-inf")
    for event in events:
        when = event_time(event)
        stamp = when if when is not None else float("inf")  # undated: treat as just now
        if when is not None and when < since:
            continue
        reason = str(event.get("reason") or "")
        if event.get("type") == "Warning" and reason.startswith("Failed"):
            if stamp >= failure_time:
                failure, failure_time = event, stamp
        elif event.get("type") == "Normal" and reason == "SuccessfullyReconciled":
            success_time = max(success_time, stamp)
    return failure if failure is not None and failure_time >= success_time else None


def ingress_hostname(ingress: dict[str, Any]) -> str | None:
    entries = ((ingress.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return (entries[0].get("hostname") or None) if entries else None


# --- AWS side --------------------------------------------------------------


def find_load_balancer(elbv2: ElasticLoadBalancingv2Client, dns_name: str) -> LoadBalancerTypeDef | None:
    """The ELBv2 load balancer whose DNS name is the Ingress's address."""
    wanted = dns_name.lower().rstrip(".")
    try:
        for page in elbv2.get_paginator("describe_load_balancers").paginate():
            for lb in page.get("LoadBalancers", []):
                if str(lb.get("DNSName", "")).lower().rstrip(".") == wanted:
                    return lb
    except ClientError as exc:
        aws.raise_if_transient(exc, "DescribeLoadBalancers")
        raise
    return None


def healthy_targets(elbv2: ElasticLoadBalancingv2Client, load_balancer_arn: str) -> int:
    """Healthy targets over all the ALB's target groups."""
    healthy = 0
    try:
        groups = elbv2.describe_target_groups(LoadBalancerArn=load_balancer_arn).get("TargetGroups", [])
        for group in groups:
            health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
            healthy += sum(
                1 for d in health.get("TargetHealthDescriptions", [])
                if (d.get("TargetHealth") or {}).get("State") == "healthy"
            )
    except ClientError as exc:
        aws.raise_if_transient(exc, "DescribeTargetHealth")
        if aws.error_code(exc) in ("LoadBalancerNotFound", "TargetGroupNotFound"):
            return 0  # the controller is still building or replacing it; look again next time
        raise
    return healthy


# --- the step --------------------------------------------------------------


def next_wait(elapsed: float, remaining: float) -> int:
    """About a quarter of the time waited so far, 2 to 30 s, never past the deadline."""
    wait = min(max(elapsed / 4, MIN_WAIT_SECONDS), MAX_WAIT_SECONDS, remaining)
    return max(1, int(wait))


def check_load_balancer(
    event: CheckLoadBalancerEvent,
    kube: k8s.Kube,
    elbv2: ElasticLoadBalancingv2Client,
    *,
    now: Callable[[], float] = time.time,
) -> LoadBalancerStatus:
    request, applied = event.request, event.ingress
    namespace, name = applied.namespace, applied.name
    ingress = kube.get(k8s.ingress_path(namespace, name), f"read Ingress {namespace}/{name}")
    events = kube.list(
        k8s.events_path(namespace),
        f"list Events of Ingress {namespace}/{name}",
        fieldSelector=f"involvedObject.kind=Ingress,involvedObject.name={name}",
    )
    failure = controller_failure(events, last_applied(ingress, applied.applied_at))
    if failure is not None:
        raise IngressRejected(
            f"the load balancer controller rejected Ingress {namespace}/{name} "
            f"({failure.get('reason')}): {failure.get('message') or 'no message'}"
        )

    dns_name = ingress_hostname(ingress)
    lb = find_load_balancer(elbv2, dns_name) if dns_name else None
    state = str((lb.get("State") or {}).get("Code")) if lb else None
    healthy = healthy_targets(elbv2, lb["LoadBalancerArn"]) if lb and state == "active" else 0
    ready = bool(dns_name and state == "active" and healthy > 0)

    elapsed = max(0.0, now() - applied.applied_at)
    remaining = request.alb_timeout_seconds - elapsed
    seen = (
        f"ALB {dns_name} is {state or 'not found in ELBv2'} with {healthy} healthy targets"
        if dns_name
        else "the Ingress has no address yet (is the AWS Load Balancer Controller running and watching class alb?)"
    )
    if ready:
        metrics.add_metric(name="AlbWaitSeconds", unit=MetricUnit.Seconds, value=round(elapsed, 3))
        wait = 0
    elif remaining <= 0:
        raise LoadBalancerTimeout(
            f"no active ALB with a healthy target for Ingress {namespace}/{name} within "
            f"{request.alb_timeout_seconds} s; last seen: {seen}"
        )
    else:
        wait = next_wait(elapsed, remaining)
    logger.info("Load balancer checked",
                extra={"ready": ready, "seen": seen, "elapsed": round(elapsed, 1), "wait": wait})
    return LoadBalancerStatus(
        ready=ready,
        dns_name=dns_name,
        arn=lb.get("LoadBalancerArn") if lb else None,
        state=state,
        healthy_targets=healthy,
        listen_port=request.listen_port,
        canonical_hosted_zone_id=lb.get("CanonicalHostedZoneId") if lb else None,
        wait_seconds=wait,
        elapsed_seconds=round(elapsed, 3),
    )
