"""The ALB's health checks of one registered target, as the ALB guide (target-group-health-checks) describes them.

- "The load balancer sends a health check request to each registered target every HealthCheckIntervalSeconds
  seconds ... Each health check request is independent and the result lasts for the entire interval. The time it
  takes for the target to respond does not affect the interval for the next health check request": checks at fixed
  times, one interval apart. AWS does not say that the first is sent at once, so the first comes one interval after
  registration completes (in the stand-in: when the ALB turns active; before, the target is ``initial`` with
  ``Elb.RegistrationInProgress``).
- HealthCheckTimeoutSeconds: "The amount of time, in seconds, during which no response from a target means a failed
  health check": the probe gets that long.
- "After your target is registered, it must pass one health check to be considered healthy": ``initial``
  (``Elb.InitialHealthChecking``) turns ``healthy`` at the first passing check.
- UnhealthyThresholdCount: "The number of consecutive failed health checks required before considering a target
  unhealthy"; HealthyThresholdCount: "The number of consecutive successful health checks required before
  considering an unhealthy target healthy": a healthy (or initial) target turns ``unhealthy``
  (``Target.FailedHealthChecks``) after that many failures in a row, an unhealthy one ``healthy`` after that many
  passes in a row.

``scale`` multiplies every interval and timeout: the sandbox plays AWS's model faster, without changing it. A backend
that dies after turning healthy is therefore still reported healthy for up to UnhealthyThresholdCount intervals, as
on AWS; ``--milvus down`` relies on that window (sandbox/environment.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HealthCheckSettings:
    """A target group's HealthCheckIntervalSeconds, HealthCheckTimeoutSeconds and thresholds."""

    interval_seconds: int = 15  # the controller's defaults: model_builder.go Build
    timeout_seconds: int = 5
    healthy_threshold_count: int = 2
    unhealthy_threshold_count: int = 2


class TargetHealthChecks:
    """The checks of one target: ``start`` when it is registered, ``tick`` often, read ``state``.

    ``probe(timeout)`` is one health check: True when the target answered as
    the matcher wants within ``timeout`` seconds.
    """

    def __init__(self, probe: Callable[[float], bool], settings: HealthCheckSettings, *, scale: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.probe, self.settings, self.scale, self.clock = probe, settings, scale, clock
        self.state, self.reason = "initial", "Elb.RegistrationInProgress"
        self.checks: list[tuple[float, bool]] = []  # (when, passed), for tests and the bench
        self.healthy_at: float | None = None  # when the target first turned healthy (its check ran, not was due)
        self._next: float | None = None
        self._passes = self._failures = 0
        self._lock = threading.Lock()

    @property
    def interval(self) -> float:
        return self.settings.interval_seconds * self.scale

    def start(self, at: float | None = None) -> None:
        """Registration is complete: the first check is due one interval from ``at`` (now by default)."""
        with self._lock:
            if self._next is None:
                self._next = (self.clock() if at is None else at) + self.interval
                self.reason = "Elb.InitialHealthChecking"

    def tick(self) -> None:
        """Run every check that is due by now (at most a few: a check answers within its timeout)."""
        with self._lock:
            while self._next is not None and self.clock() >= self._next:
                due, self._next = self._next, self._next + self.interval
                self._record(due, self._check(), self.clock())

    def _check(self) -> bool:
        try:
            return bool(self.probe(self.settings.timeout_seconds * self.scale))
        except Exception:  # noqa: BLE001 - a probe that fails is a failed check
            return False

    def _record(self, due: float, passed: bool, at: float) -> None:
        self.checks.append((due, passed))
        self._passes, self._failures = (self._passes + 1, 0) if passed else (0, self._failures + 1)
        if passed and (self.state == "initial" or
                       (self.state == "unhealthy" and self._passes >= self.settings.healthy_threshold_count)):
            self.state, self.reason = "healthy", ""
            if self.healthy_at is None:
                self.healthy_at = at
        elif not passed and self.state != "unhealthy" and \
                self._failures >= self.settings.unhealthy_threshold_count:
            self.state, self.reason = "unhealthy", "Target.FailedHealthChecks"
