"""Waiting in tests with a deadline, never a fixed sleep before one look."""

from __future__ import annotations

import time
from typing import Any


def holds_for(predicate: Any, seconds: float, *, every: float = 0.05) -> None:
    """Assert that ``predicate()`` stays true for ``seconds``: fails the moment it turns false.

    For "nothing happened" assertions: a fixed sleep before one look would
    miss what happened and came back, and proves nothing about the time after.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert predicate(), "the condition turned false"
        time.sleep(every)


def wait_for(predicate: Any, timeout: float = 10.0, *, every: float = 0.05) -> Any:
    """``predicate()``'s first truthy value within ``timeout`` seconds; AssertionError when none came."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("condition not met in time")
