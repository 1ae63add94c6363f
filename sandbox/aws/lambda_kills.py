"""Lambda invocations killed on purpose: the ``lambda`` target of ``sandbox/faults.py`` (issue 19).

Each invocation rolls the target's dice (``lambda:kill=0.05`` is 5 % of them):

* ``kill``: the process dies (SIGKILL, as Lambda's out-of-memory kill) just before the ``randint(1, MAX_CALL)``-th
  outbound call of the invocation, or before it answers when it makes fewer;
* ``timeout``: the same, answered as the end of the function's time;
* ``kill-after-write``: rolled only by each function's first invocation since the faults were set, which dies at
  its first outbound call after its first write (the step's first half has happened), or before it answers;
  ``lambda:kill-after-write=1`` kills every function once, then lets it run.

The process does the dying (lambda_bootstrap.py); the runner answers Invoke as Lambda does for a runtime that
exited or timed out: status 200, ``X-Amz-Function-Error: Unhandled`` (the Invoke API's FunctionError: "Unhandled
errors include out of memory errors and function timeouts"), and the payload
``{"errorType": "Runtime.ExitError", "errorMessage": "RequestId: <id> Error: Runtime exited with error: signal:
killed"}`` (as Lambda logs a killed runtime, e.g. praetorian-inc/chariot-ui#166; "exit status 1" for an exit
with a status, as floci-io/floci#3314 records from real Lambda) or ``{"errorType": "Sandbox.Timedout",
"errorMessage": "RequestId: <id> Error: Task timed out after 3.00 seconds"}`` (floci-io/floci#3314).

Step Functions names a task's error by the payload's ``errorType`` (floci-io/floci#3411), so a Retry sees
``Runtime.ExitError`` or ``Sandbox.Timedout``; a payload without one, as Lambda's timeouts had before, is
``Lambda.Unknown`` ("Unhandled errors in Lambda are reported as Lambda.Unknown in the error output", Step
Functions developer guide, "Handle Lambda service exceptions"). The next invocation is a cold start.
"""

from __future__ import annotations

import threading
from typing import Any

from sandbox.faults import Dice, Faults

TARGET = "lambda"
MAX_CALL = 6  # a step makes a handful of calls; a kill drawn past its last one strikes before it answers

_lock = threading.Lock()
_dice: Dice | None = None
_seen: set[str] = set()  # functions invoked since the faults were set


def set_faults(faults: Faults | None) -> None:
    """Fresh dice from ``faults``' seed for its ``lambda`` target (None, or no such target: no kills)."""
    global _dice
    lambda_faults = faults.only(TARGET) if faults is not None else None
    with _lock:
        _dice = lambda_faults.dice() if lambda_faults is not None and lambda_faults.rates else None
        _seen.clear()


def thrown() -> list[str]:
    with _lock:
        return list(_dice.thrown) if _dice is not None else []


def order_for(function_name: str) -> dict[str, Any] | None:
    """What the process of this invocation of ``function_name`` is told (lambda_bootstrap.py ``Kill``), or None."""
    with _lock:
        dice = _dice
        first = function_name not in _seen
        _seen.add(function_name)
    kind = dice.roll() if dice is not None else None
    if kind == "kill-after-write":
        return {"kind": kind, "afterWrite": True} if first else None
    if kind in ("kill", "timeout"):
        return {"kind": kind, "atCall": dice.randint(1, MAX_CALL) if dice is not None else 1}
    return None
