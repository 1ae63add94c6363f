"""How long a polling step asks the state machine to wait before its next look (setup's and the undo's loops)."""

from __future__ import annotations

MIN_WAIT_SECONDS = 2
MAX_WAIT_SECONDS = 30


def next_wait(elapsed: float, remaining: float) -> int:
    """About a quarter of the time waited so far, 2 to 30 s, never past the deadline."""
    wait = min(max(elapsed / 4, MIN_WAIT_SECONDS), MAX_WAIT_SECONDS, remaining)
    return max(1, int(wait))
