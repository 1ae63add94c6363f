"""``python -m sandbox serve`` in "another shell": a subprocess whose lines are read as they come.

The e2e session starts it when it starts (tests/e2e/conftest.py), as a person
starts serve in one shell before working in another, so its deploy runs while
the session's own sandbox deploys and its first journeys run: a served
sandbox starts no ALB, so it never holds the ALB's listen ports the session's
sandbox needs. tests/e2e/test_sandbox_serve.py reads what it printed, drives
it, and stops it.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class ServeShell:
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

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
