"""CheckLayer4: has the cloud's service controller given the restored Service its load balancer yet?

Stateless like CheckLoadBalancer: the state machine calls it, waits
``waitSeconds`` and calls it again, and the time is measured from
``$.restore.restoredAt``. Ready means an address in
``status.loadBalancer.ingress``, which the service controller writes once
EnsureLoadBalancer returned (k8s.io/cloud-provider
``controllers/service/controller.go``); whether Milvus answers through it is
VerifyLayer4's to say, with retries, as a new load balancer's name takes a
while to resolve. Past ``layer4TimeoutSeconds`` the run ends in
``LoadBalancerTimeout``, quoting what the service controller last said
(its ``SyncLoadBalancerFailed`` Warning events on the Service), with the ALB
still serving.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from check_load_balancer.logic import next_wait
from layer7 import kube as k8s
from layer7.errors import LoadBalancerTimeout
from layer7.observability import logger
from layer7.undo_models import CheckLayer4Event, Layer4Status
from remove_layer4.logic import layer4_address


def last_warning(events: list[dict[str, Any]]) -> str | None:
    warnings = [e for e in events if e.get("type") == "Warning"]
    if not warnings:
        return None
    newest = max(warnings, key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))
    return f"{newest.get('reason')}: {newest.get('message')}"


def check_layer4(event: CheckLayer4Event, kube: k8s.Kube, *, now: Callable[[], float] = time.time) -> Layer4Status:
    request, restore = event.request, event.restore
    namespace, name = request.namespace, request.service_name
    service = k8s.read_service(kube, namespace, name)
    address = layer4_address(service)
    moment = now()
    elapsed = max(0.0, moment - restore.restored_at)
    remaining = request.layer4_timeout_seconds - elapsed
    port = request.layer4_verify.port
    if address:
        logger.info("Layer-4 address assigned", extra={"address": address, "elapsed": round(elapsed, 1)})
        return Layer4Status(ready=True, address=address, port=port, elapsed_seconds=round(elapsed, 3))
    if remaining <= 0:
        events = kube.list(k8s.events_path(namespace), f"list Events of Service {namespace}/{name}",
                           fieldSelector=f"involvedObject.kind=Service,involvedObject.name={name}")
        said = last_warning(events)
        raise LoadBalancerTimeout(
            f"Service {namespace}/{name} got no Layer-4 load balancer address within "
            f"{request.layer4_timeout_seconds} s of the undo restoring it ({(service.get('spec') or {}).get('type')})"
            + (f"; the service controller said {said}" if said else "; the service controller said nothing")
            + ". The ALB still serves Milvus; fix the cause (kubectl -n NS describe svc NAME) and start the undo again"
        )
    wait = next_wait(elapsed, remaining)
    logger.info("no Layer-4 address yet", extra={"elapsed": round(elapsed, 1), "wait": wait})
    return Layer4Status(ready=False, port=port, wait_seconds=wait, elapsed_seconds=round(elapsed, 3))
