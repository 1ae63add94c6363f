"""The command line's own sandboxes in "another shell": ``python -m sandbox serve``, a subprocess whose lines are
read as they come, and ``python -m sandbox demo``, one whose end is waited for.

The e2e session starts them once its own sandbox is up (tests/e2e/conftest.py),
as a person starts serve in one shell before working in another, so their
deploys and runs go beside the session's journeys: each sandbox serves its load
balancers on ports of its own (sandbox/aws/lambda_shim), so none holds a port
another needs. tests/e2e/test_sandbox_serve.py reads what serve printed, drives
it, and stops it; tests/e2e/test_demo_cli.py reads the demo's report.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class _CommandLine:
    """A ``python -m sandbox`` process in a session of its own, so that killing it takes its children along."""

    proc: subprocess.Popen

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class ServeShell(_CommandLine):
    """The serve process, its output so far, and a way to wait for a line."""

    def __init__(self, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", *args], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.seen: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def read_until(self, marker: str, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                line = self._lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("serve ended early:\n" + "\n".join(self.seen))
            self.seen.append(line)
            if marker in line:
                return
        raise AssertionError(f"no {marker!r} within {timeout:.0f} s:\n" + "\n".join(self.seen))



class DemoCommand(_CommandLine):
    """``python -m sandbox demo --json ARGS``, started now; ``result()`` waits for its end."""

    def __init__(self, *args: str) -> None:
        self._stdout, self._stderr = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
        self.args = [sys.executable, "-m", "sandbox", "demo", "--json", *args]
        self.proc = subprocess.Popen(self.args, cwd=ROOT, stdout=self._stdout, stderr=self._stderr, text=True,
                                     start_new_session=True)

    def result(self, timeout: float = 900) -> subprocess.CompletedProcess:
        self.proc.wait(timeout)
        self._stdout.seek(0)
        self._stderr.seek(0)
        return subprocess.CompletedProcess(self.args, self.proc.returncode, self._stdout.read(), self._stderr.read())

