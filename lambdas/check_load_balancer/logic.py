"""CheckLoadBalancer: one look at the Ingress and the ALB behind it.

The step keeps no state: the state machine calls it, waits ``waitSeconds`` and
calls it again; elapsed time is measured from ``$.ingress.appliedAt``. An
address on the Ingress is not readiness (the controller writes it as soon as
the ALB exists, still ``provisioning`` and without healthy targets), so ready
means: address, ALB ``active``, tagged for this Ingress, at least one healthy
target in this Ingress's own target groups (``layer7.load_balancers``).

The controller's Warning events end the wait with ``IngressRejected`` only
when the failure persists (``layer7.controller_events``); until then they are part
of what the step reports having seen.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from aws_lambda_powertools.metrics import MetricUnit

from layer7 import controller_events
from layer7 import kube as k8s
from layer7.errors import IngressRejected, LoadBalancerTimeout
from layer7.ingress import ingress_hostname
from layer7.load_balancers import find_load_balancer, healthy_targets, owner_of
from layer7.models import CheckLoadBalancerEvent, LoadBalancerStatus
from layer7.observability import logger, metrics
from layer7.waits import next_wait


def _rejected(namespace: str, name: str, failure: controller_events.ControllerFailure, now: float) -> IngressRejected:
    standing = max(0, round(now - failure.first_seen))
    return IngressRejected(
        f"the load balancer controller rejected Ingress {namespace}/{name}: {failure.describe()} "
        f"({failure.kind}: seen {failure.count} time(s), standing for {standing} s with no successful reconcile since)"
    )


def check_load_balancer(
    event: CheckLoadBalancerEvent, kube: k8s.Kube, elbv2: Any, *, now: Callable[[], float] = time.time
) -> LoadBalancerStatus:
    request, applied = event.request, event.ingress
    namespace, name = applied.namespace, applied.name
    ingress = kube.get(k8s.ingress_path(namespace, name), f"read Ingress {namespace}/{name}")
    events = kube.list(
        k8s.events_path(namespace),
        f"list Events of Ingress {namespace}/{name}",
        fieldSelector=f"involvedObject.kind=Ingress,involvedObject.name={name}",
    )
    moment = now()
    failure = controller_events.controller_failure(
        events, controller_events.last_applied(ingress, applied.applied_at), moment)
    if failure is not None and failure.verdict(moment):
        raise _rejected(namespace, name, failure, moment)

    dns_name = ingress_hostname(ingress)
    lb = find_load_balancer(elbv2, dns_name) if dns_name else None
    state = str((lb.get("State") or {}).get("Code")) if lb else None
    owned, healthy = healthy_targets(elbv2, lb["LoadBalancerArn"], owner_of(request)) \
        if lb and state == "active" else (False, 0)
    # The controller replaces an ALB whose scheme changes (load_balancer_synthesizer.go,
    # isSDKLoadBalancerRequiresReplacement) and moves the Ingress's status only once the new one exists: until then
    # the status names the old ALB, active, ours and healthy, and about to be deleted.
    scheme = lb.get("Scheme") if lb else None
    replaced = bool(scheme and scheme != request.scheme)
    ready = bool(dns_name and state == "active" and owned and healthy > 0 and not replaced)

    elapsed = max(0.0, moment - applied.applied_at)
    remaining = request.alb_timeout_seconds - elapsed
    if not dns_name:
        seen = "the Ingress has no address yet (is the AWS Load Balancer Controller running and watching class alb?)"
    elif lb and state == "active" and not owned:
        seen = f"ALB {dns_name} does not carry this Ingress's controller tags (stack {owner_of(request).stack})"
    elif replaced:
        seen = f"ALB {dns_name} is {scheme}, not {request.scheme}: the controller replaces it"
    else:
        seen = f"ALB {dns_name} is {state or 'not found in ELBv2'} with {healthy} healthy targets"
    if failure is not None:
        seen += f"; the controller is retrying after {failure.describe()}"
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
