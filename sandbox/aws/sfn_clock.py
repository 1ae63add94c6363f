"""The sandbox's clock for the Wait states Step Functions plays.

A run on AWS waits what its definition asks: a Wait state's ``Seconds`` or
``SecondsPath`` (the drain after a DNS change: the old record's TTL, 60 s,
plus ``layer4DrainSeconds``; CheckLoadBalancer's polls). The sandbox plays
those waits at ``scale`` times their length, as it plays the ALB's health
checks and the load balancers' provisioning shortened, so a test sees the
same order of events in a fraction of the time. What the workflow asked for
stays in the execution history (the Wait state's input): tests read the
durations there, never from the wall clock. ``scale`` 1.0 is AWS's pace.

Retry intervals are left at the definition's pace: the sandbox's context
already shortens VerifyGrpc's (``verifyRetryIntervalSeconds``), and the
controller stand-in rebuilds an ALB whose annotations change where the real
controller modifies it in place, so a run right after another with other
annotations needs its verification retries' full few seconds while the
rebuilt ALB turns active.

moto 5.2.5's interpreter waits in ``WaitFunction._wait_interval`` (the
execution's ``program_state_event``, so that stopping an execution ends the
wait); it is made to wait the scaled time, still ending early when the
execution stops.
"""

from __future__ import annotations

import time
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
