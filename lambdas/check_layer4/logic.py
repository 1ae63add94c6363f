"""CheckLayer4: does the restored Service's Layer-4 load balancer serve yet?

Stateless like CheckLoadBalancer: the state machine calls it, waits
``waitSeconds`` and calls it again, and the time is measured from
``$.restore.restoredAt``. An address in ``status.loadBalancer.ingress`` is
not enough: the service controller writes it once EnsureLoadBalancer
returned (k8s.io/cloud-provider ``controllers/service/controller.go``), and
ELB gives a Network Load Balancer its DNS name while it is still
``provisioning``; it routes only once its targets are registered and pass
their first health checks, which "can take a few minutes" (ELB user guide,
"Register targets for your Network Load Balancer"). An NLB passes TCP through
to a target, so ready means one TCP connect from the function's subnets to
``address:layer4Verify.port`` succeeds, within ``CONNECT_TIMEOUT_SECONDS``;
the result says why not otherwise (no address yet, the name does not
resolve, the connection was refused or timed out). Whether Milvus answers
through it is VerifyLayer4's to say. Past ``layer4TimeoutSeconds`` the run
ends in ``LoadBalancerTimeout``, quoting that reason and what the service
controller last said (its ``SyncLoadBalancerFailed`` Warning events on the
Service), with the ALB still serving.
"""

from __future__ import annotations

import socket
import time
from typing import Any, Callable

from layer7 import kube as k8s
from layer7.errors import LoadBalancerTimeout
from layer7.layer4 import layer4_address
from layer7.observability import logger
from layer7.undo_models import CheckLayer4Event, Layer4Status
from layer7.waits import next_wait

# One look: short, so a load balancer that drops the SYN costs the Lambda seconds, not its timeout.
CONNECT_TIMEOUT_SECONDS = 3.0


def tcp_probe(address: str, port: int, timeout: float = CONNECT_TIMEOUT_SECONDS) -> str | None:
    """None when a TCP connection to ``address:port`` opens; else why not, in words."""
    try:
        socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"{address} does not resolve ({exc.strerror or exc})"
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return None
    except ConnectionRefusedError:
        return f"{address}:{port} refused the connection"
    except TimeoutError:
        return f"{address}:{port} did not answer within {timeout:g} s"
    except OSError as exc:
        return f"{address}:{port} could not be reached ({exc.strerror or exc})"


def last_warning(events: list[dict[str, Any]]) -> str | None:
    warnings = [e for e in events if e.get("type") == "Warning"]
    if not warnings:
        return None
    newest = max(warnings, key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))
    return f"{newest.get('reason')}: {newest.get('message')}"


def check_layer4(event: CheckLayer4Event, kube: k8s.Kube, *, now: Callable[[], float] = time.time,
                 probe: Callable[[str, int], str | None] = tcp_probe) -> Layer4Status:
    request, restore = event.request, event.restore
    namespace, name = request.namespace, request.service_name
    service = k8s.read_service(kube, namespace, name)
    address = layer4_address(service)
    port = request.layer4_verify.port
    reason = probe(address, port) if address else "the Service has no Layer-4 address yet"
    elapsed = max(0.0, now() - restore.restored_at)
    remaining = request.layer4_timeout_seconds - elapsed
    if address and reason is None:
        logger.info("Layer-4 load balancer serves", extra={"address": address, "elapsed": round(elapsed, 1)})
        return Layer4Status(ready=True, address=address, port=port, elapsed_seconds=round(elapsed, 3))
    if remaining <= 0:
        events = kube.list(k8s.events_path(namespace), f"list Events of Service {namespace}/{name}",
                           fieldSelector=f"involvedObject.kind=Service,involvedObject.name={name}")
        said = last_warning(events)
        raise LoadBalancerTimeout(
            f"Service {namespace}/{name}'s Layer-4 load balancer did not serve within "
            f"{request.layer4_timeout_seconds} s of the undo restoring it ({(service.get('spec') or {}).get('type')}):"
            f" {reason}"
            + (f"; the service controller said {said}" if said else "; the service controller said nothing")
            + ". The ALB still serves Milvus; fix the cause (kubectl -n NS describe svc NAME) and start the undo again"
        )
    wait = next_wait(elapsed, remaining)
    logger.info("Layer-4 load balancer not serving yet", extra={"reason": reason, "elapsed": round(elapsed, 1),
                                                                "wait": wait})
    return Layer4Status(ready=False, address=address, port=port, reason=reason, wait_seconds=wait,
                        elapsed_seconds=round(elapsed, 3))
