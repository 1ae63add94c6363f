"""One sandbox for the whole e2e session, put back to a fresh state for each module (or test) that asks.

A sandbox's start is a ``cdk bootstrap`` and ``cdk deploy`` of the stack
(about 30 s here); a reset is what the stand-ins take to let go of what the
last scenario made (sandbox/reset.py). The stack is deployed once with what
any journey here needs: a hosted zone for the host, the certificate
rotation rule, which stays disabled unless a scenario turns it on, and the
drift check's schedule, which fires only when a scenario asks
(``Sandbox.run_schedules``). Only the
command line's own paths (``demo``, ``serve``) start sandboxes of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sandbox.environment import Sandbox, SandboxSettings

# What a fresh scenario gets unless it asks otherwise: the ALB quick, no rotation rule delivering.
SCENARIO_DEFAULTS: dict[str, Any] = {"alb_delay": 1.0, "certificate_rotation": False}


_STARTED: list[Sandbox] = []


@pytest.fixture(scope="session")
def deployed_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxSettings(alb_delay=1.0, dns=True, certificate_rotation=True,
                                 drift_check_schedule="rate(1 hour)"),
                 log=lambda *a, **k: None) as box:
        _STARTED.append(box)
        yield box
        _STARTED.remove(box)


@pytest.fixture(scope="session")
def fresh_sandbox(deployed_sandbox: Sandbox) -> Callable[..., Sandbox]:
    """``fresh_sandbox(**changes)``: the session's sandbox reset, with these run-time settings changed."""
    def fresh(**changes: Any) -> Sandbox:
        return deployed_sandbox.reset(**{**SCENARIO_DEFAULTS, **changes})

    return fresh


@pytest.fixture
def no_alb_of_the_session() -> None:
    """For a test that starts a sandbox of its own: the session's, if started, serves no ALB, whose data plane
    (nginx) holds the listen port the other sandbox's ALB needs."""
    for box in _STARTED:
        box.reset(**SCENARIO_DEFAULTS)
