"""One sandbox for the whole e2e session, put back to a fresh state for each module (or test) that asks.

A sandbox's start is a ``cdk bootstrap`` and ``cdk deploy`` of the stack
(about 30 s here); a reset is what the stand-ins take to let go of what the
last scenario made (sandbox/reset.py). The stack is deployed once with what
any journey here needs: a hosted zone for the host, the certificate
rotation rule, which stays disabled unless a scenario turns it on, and the
drift check's schedule, which fires only when a scenario asks
(``Sandbox.run_schedules``). Only the
command line's own paths (``demo``, ``serve``) start sandboxes of their own;
``serve``'s is started with the session, beside it (tests/e2e/serve_shell.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sandbox.environment import Sandbox, SandboxSettings
from tests.e2e.serve_shell import DemoCommand, ServeShell

# What a fresh scenario gets unless it asks otherwise: the ALB quick, no rotation rule delivering.
SCENARIO_DEFAULTS: dict[str, Any] = {"alb_delay": 1.0, "certificate_rotation": False}


_STARTED: list[Sandbox] = []
TWO_RUNS_JOURNEY = "test_two_runs_set_up_the_endpoint_and_reuse_the_certificate"  # tests/e2e/test_demo_cli.py


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A journey marked ``destroys_session`` (the teardown's ``cdk destroy``) runs after every other one: it takes
    the session's stack away. The demo's two runs, started with the session, are read just before it: by then
    the command has long ended, and nobody waited for it."""
    items.sort(key=lambda item: (item.get_closest_marker("destroys_session") is not None,
                                 item.name == TWO_RUNS_JOURNEY))


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


@pytest.fixture(scope="session", autouse=True)
def serve_shell(request: pytest.FixtureRequest, deployed_sandbox: Sandbox) -> Iterator[ServeShell | None]:
    """``python -m sandbox serve`` started once the session's own sandbox is up, when a serve test is in the
    session: a deploy keeps both cores busy, so serve's runs beside the session's journeys (which wait on their
    sandbox's clock more than they compute), not beside the session's deploy."""
    if not any(item.path.name == "test_sandbox_serve.py" for item in request.session.items):
        yield None
        return
    shell = ServeShell("--parent-pipeline", "--certificate-rotation", "--alb-delay", "1")
    try:
        yield shell
    finally:
        shell.kill()


@pytest.fixture(scope="session", autouse=True)
def demo_command(request: pytest.FixtureRequest, deployed_sandbox: Sandbox) -> Iterator[DemoCommand | None]:
    """``python -m sandbox demo --runs 2`` (``make demo``'s path) started with serve, once the session's sandbox is
    up, when its journey is in the session: its own deploy and runs go beside the session's journeys."""
    if not any(item.name == TWO_RUNS_JOURNEY for item in request.session.items):
        yield None
        return
    command = DemoCommand("--runs", "2")
    try:
        yield command
    finally:
        command.kill()
