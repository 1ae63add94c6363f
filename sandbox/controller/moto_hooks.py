"""Where the controller stand-in reaches into moto's ELBv2 objects, because moto's answers are not AWS's.

moto turns a load balancer ``active`` on the first describe and reports every registered target ``healthy``; on AWS
an ALB is ``provisioning`` for a while after CreateLoadBalancer, and a target is ``initial`` until its health checks
pass, then follows them ("Target health status", ALB user guide). So, with moto in this process, the stand-in holds
the load balancer's state back (its ``activate``) and answers target health itself (the target group's
``health_for``); with moto out of process (no backend), moto's own answers stand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def hold_provisioning(backend: Any | None, state: dict[str, Any]) -> None:
    lb = backend.load_balancers.get(state["lb_arn"]) if backend is not None else None
    if lb is not None:
        lb.state = "provisioning"
        lb.activate = lambda: None  # moto would turn it active on the next describe


def set_active(backend: Any | None, state: dict[str, Any]) -> None:
    lb = backend.load_balancers.get(state["lb_arn"]) if backend is not None else None
    if lb is not None:
        lb.state = "active"
    state["active"] = True


def control_health(backend: Any | None, state: dict[str, Any], health: Callable[[], str]) -> None:
    """``initial`` until the ALB is active, then what ``health()`` says."""
    tg = backend.target_groups.get(state["tg_arn"]) if backend is not None else None
    if tg is None:
        return
    from moto.elbv2.models import FakeHealthStatus

    original = tg.health_for

    def health_for(target: dict[str, Any], ec2_backend: Any) -> Any:
        status = original(target, ec2_backend)
        if status.status != "healthy":
            return status  # not registered, draining: moto's answer stands
        if not state.get("active"):
            return FakeHealthStatus(status.instance_id, status.port, status.health_check_port, "initial",
                                    "Elb.RegistrationInProgress", "Target registration is in progress")
        now = health()
        if now == "healthy":
            return status
        # the reason codes and texts of the ALB guide's "Health check reason codes"
        reason, text = (("Elb.InitialHealthChecking", "Initial health checks in progress") if now == "initial"
                        else ("Target.FailedHealthChecks", "Health checks failed"))
        return FakeHealthStatus(status.instance_id, status.port, status.health_check_port, now, reason, text)

    tg.health_for = health_for
