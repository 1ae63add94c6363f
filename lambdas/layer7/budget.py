"""The time a check may take within one Lambda invocation.

Shared by VerifyGrpc and VerifyLayer4, whose checks (``verify.timeoutSeconds``, ``layer4Verify.timeoutSeconds``,
up to 900 s) run inside functions of the same 900 s timeout (stacks/steps.py).
"""

from __future__ import annotations

from typing import Any

# Left for the runtime to report a failure before the function times out.
_SAFETY_MARGIN_SECONDS = 5.0


def invocation_budget(wanted_seconds: float, context: Any) -> float:
    """The check's timeout, cut to what the invocation has left: VerificationFailed beats a timeout."""
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if remaining_ms is None:
        return float(wanted_seconds)
    return max(1.0, min(float(wanted_seconds), remaining_ms() / 1000 - _SAFETY_MARGIN_SECONDS))
