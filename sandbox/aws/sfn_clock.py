"""The sandbox's clock for the waits Step Functions plays: Wait states and Retry intervals.

On AWS a run waits what its definition asks: a Wait state's ``Seconds`` or ``SecondsPath`` (the drain after a
DNS change, CheckLoadBalancer's polls) and each Retrier's interval (backoff, cap and jitter applied). The sandbox
plays both at ``scale`` times their length (1.0 is AWS's pace), as it shortens the ALB's health checks and
provisioning: the same order of events in a fraction of the time. What was asked stays in the execution history
(the Wait state's input, the definition's Retry): tests read durations there, never from the wall clock.

moto 5.2.5's interpreter waits in ``WaitFunction._wait_interval`` on the execution's ``program_state_event`` (so
stopping the execution ends the wait), made here to wait the scaled time; a Retrier sleeps with ``time.sleep`` in
``retrier_decl`` after computing its interval, and that module's ``time`` gets a scaled ``sleep``.
"""

from __future__ import annotations

import functools
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


@functools.cache  # the patches are process-wide, as moto's classes are: applied once
def install() -> None:
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        deadline = time.monotonic() + scaled(wait_seconds)
        while env.is_running():  # the event is set when the execution stops: the wait ends with it
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            env.program_state_event.wait(remaining)

    WaitFunction._wait_interval = _wait_interval  # type: ignore[method-assign]  # the patch itself

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    # the module's only use of time is that sleep
    retrier_decl.time = types.SimpleNamespace(sleep=lambda seconds: time.sleep(scaled(seconds)))  # type: ignore[assignment]
