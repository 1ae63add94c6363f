"""A target health check that lags like the ALB's.

The ALB checks every 15 s and marks a target unhealthy only after two failed
checks, so a backend that dies is still reported healthy for up to 30 s. The
sandbox's ``--milvus down`` relies on that window: the ALB turns ready, the
backend goes away, and the workflow's gRPC verification is what notices.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class LaggingHealthCheck:
    def __init__(self, check: Callable[[], bool], lag_seconds: float = 30.0) -> None:
        self._check = check
        self._lag_seconds = lag_seconds
        self._held_until = 0.0

    def hold_healthy(self) -> None:
        """Keep answering healthy for the lag, as the ALB does between its checks."""
        self._held_until = time.monotonic() + self._lag_seconds

    def __call__(self) -> bool:
        return time.monotonic() < self._held_until or self._check()
