"""Exit codes, and the one exception every expected failure becomes.

A pipeline that runs ``layer7ctl start --follow`` must tell "the
workflow failed" (look at the cause) from "the command could not run" (fix
the command line or the AWS access) without reading the text, so each has
its own code. The help epilog and the README print EXIT_CODES.
"""

from __future__ import annotations

SUCCEEDED = 0
EXECUTION_FAILED = 1
DRIFT_FOUND = 1  # status: the same code as a failed execution, "look at what it says"
USAGE = 2  # argparse's own code for a bad command line
AWS_UNAVAILABLE = 3
INTERRUPTED = 130  # the shell's code for Ctrl-C

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (SUCCEEDED, "the execution succeeded (without --follow: it started; list, describe, stop: done; status: the "
                "host matches its recorded setup; teardown: nothing live or running)"),
    (EXECUTION_FAILED, "the execution ended FAILED, TIMED_OUT or ABORTED (status: drift found; teardown: a setup "
                       "still live, a run still going, or an undo that failed)"),
    (USAGE, "usage or operator error: bad option or input file, no such profile, stack, output, state "
            "machine or execution, stop of an execution that ended"),
    (AWS_UNAVAILABLE, "AWS unreachable or refused: no region or endpoint, no credentials, access "
                      "denied, throttled"),
    (INTERRUPTED, "interrupted (Ctrl-C); an execution already started goes on"),
)


class OperatorError(Exception):
    """An expected failure: one line saying what is wrong and what to do, and its exit code."""

    def __init__(self, message: str, exit_code: int = USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
