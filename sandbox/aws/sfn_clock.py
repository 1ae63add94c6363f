"""The sandbox's clock for the waits Step Functions plays: Wait states and Retry intervals.

A run on AWS waits what its definition asks: a Wait state's ``Seconds`` or
``SecondsPath`` (the drain after a DNS change: the old record's TTL, 60 s,
plus ``layer4DrainSeconds``; CheckLoadBalancer's polls) and each Retrier's
interval (its backoff, cap and jitter applied). The sandbox plays both at
``scale`` times their length, as it plays the ALB's health checks and the
load balancers' provisioning shortened, so a test sees the same order of
events in a fraction of the time. What the workflow asked for stays in the
execution history (the Wait state's input, the definition's Retry): tests
read the durations there, never from the wall clock. ``scale`` 1.0 is AWS's
pace. (Retry intervals were once left at the definition's pace because the
controller stand-in rebuilt an ALB on any annotation change; it modifies one
in place now, as the controller's deployer does.)

moto 5.2.5's interpreter waits in ``WaitFunction._wait_interval`` (the
execution's ``program_state_event``, so that stopping an execution ends the
wait); it is made to wait the scaled time, still ending early when the
execution stops. A Retrier sleeps with ``time.sleep`` in ``retrier_decl``
(after its interval, backoff, MaxDelaySeconds and jitter are computed); that
module's ``time`` is given a ``sleep`` of the scaled length.
"""

from __future__ import annotations

import time
import types
from typing import Any

_clock = {"scale": 1.0}


def set_scale(scale: float) -> None:
    if not 0 < scale <= 1:
        raise ValueError(f"clock scale {scale}: must be above 0 and at most 1")
    _clock["scale"] = scale


def scaled(seconds: float) -> float:
    return seconds * _clock["scale"]


def install() -> None:
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    if getattr(WaitFunction._wait_interval, "_sandbox", False):
        return

    def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        deadline = time.monotonic() + scaled(wait_seconds)
        while env.is_running():  # the event is set when the execution stops: the wait ends with it
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            env.program_state_event.wait(remaining)

    _wait_interval._sandbox = True  # type: ignore[attr-defined]  # marks our patch: install() applies it once
    WaitFunction._wait_interval = _wait_interval  # type: ignore[method-assign]  # the patch itself

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    # the module's only use of time is that sleep
    retrier_decl.time = types.SimpleNamespace(sleep=lambda seconds: time.sleep(scaled(seconds)))  # type: ignore[assignment]
