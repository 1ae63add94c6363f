"""Lambda execution environments: one process per environment, reused across invocations.

Lambda developer guide, "Understanding the Lambda execution environment lifecycle"
(lambda-runtime-environment.html): Init (the runtime starts, the code is imported), then Invoke phases; "Lambda
freezes the execution environment when the runtime and each extension have completed and there are no pending
events"; "Lambda maintains the execution environment for some time in anticipation of another function
invocation. However, Lambda terminates execution environments every few hours". Module state and /tmp outlive
the invocation; an environment takes one event at a time, so concurrent invocations get separate ones. AWS
publishes no idle time, so the sandbox's is a setting (``RunnerConfig.idle_seconds``). A crashed or timed-out
process is not reused, nor is one of an older deploy (new CodeSha256 or LastModified).

Here an environment is a `lambda_bootstrap.py` process in its own session (a timeout kills the handler's
children too), with its own log stream and TMPDIR. `POOL` lends a frozen environment of the same function and
revision, else starts one; `POOL.shutdown()` stops them all (when the sandbox stops, and at exit).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

BOOTSTRAP = Path(__file__).resolve().parent / "lambda_bootstrap.py"
_HEADER = struct.Struct(">I")


class Environment:
    """One running `lambda_bootstrap.py`: its process, log stream, /tmp and revision."""

    def __init__(self, proc: subprocess.Popen[bytes], home: Path, log_stream: str, revision: str) -> None:
        self.proc = proc
        self.home = home
        self.log_stream = log_stream
        self.revision = revision
        self.invocations = 0
        self.last_used = time.monotonic()

    @classmethod
    def start(cls, cache_dir: Path, code_dir: Path, env: dict[str, str], revision: str) -> Environment:
        home = Path(tempfile.mkdtemp(prefix="env-", dir=cache_dir))
        (home / "tmp").mkdir()
        now = time.gmtime()
        log_stream = f"{now.tm_year}/{now.tm_mon:02d}/{now.tm_mday:02d}/[$LATEST]{uuid.uuid4().hex}"
        env = {**env, "AWS_LAMBDA_LOG_STREAM_NAME": log_stream, "TMPDIR": str(home / "tmp")}
        with open(home / "init.log", "wb") as init_log:  # what the interpreter says before the first request
            proc = subprocess.Popen(
                [sys.executable, str(BOOTSTRAP)], cwd=code_dir, env=env, start_new_session=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=init_log)
        return cls(proc, home, log_stream, revision)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def init_output(self) -> str:
        try:
            return (self.home / "init.log").read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""

    def invoke(self, request_id: str, event: str, log_path: str, timeout: float,
               kill: dict[str, Any] | None = None) -> tuple[dict[str, Any] | None, bool, int | None]:
        """(answer, timed out, exit status): no answer when the process died or timed out (it is killed then).
        ``kill``: the process is to die at an outbound call (sandbox/aws/lambda_kills.py)."""
        self.invocations += 1
        deadline = time.monotonic() + timeout
        request = {"requestId": request_id, "event": event, "log": log_path, **({"kill": kill} if kill else {})}
        body = json.dumps(request).encode()
        answer = None
        timed_out = False
        try:
            assert self.proc.stdin is not None  # noqa: S101 - Popen(stdin=PIPE)
            self.proc.stdin.write(_HEADER.pack(len(body)) + body)
            self.proc.stdin.flush()
            answer = self._read_answer(deadline)
        except TimeoutError:
            timed_out = True
        except OSError:  # the process is gone (broken pipe)
            pass
        if answer is None:
            self.stop()
        return answer, timed_out, self.proc.returncode

    def _read_answer(self, deadline: float) -> dict[str, Any] | None:
        assert self.proc.stdout is not None  # noqa: S101 - Popen(stdout=PIPE)
        fd = self.proc.stdout.fileno()
        data = b""
        while True:
            if len(data) >= _HEADER.size:
                size = _HEADER.unpack(data[:_HEADER.size])[0]
                if len(data) >= _HEADER.size + size:
                    return dict(json.loads(data[_HEADER.size:_HEADER.size + size]))
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:  # EOF: the process exited (or crashed) mid-invocation
                    return None
                data += chunk

    def stop(self) -> None:
        """Kill the process and everything it started, and forget its /tmp."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        shutil.rmtree(self.home, ignore_errors=True)


class Pool:
    """Frozen environments per function; each is lent to one invocation at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: dict[str, list[Environment]] = {}
        self._running: set[Environment] = set()  # every environment not stopped, lent or frozen

    def acquire(self, key: str, revision: str, idle_seconds: float,
                start: Callable[[], Environment]) -> Environment:
        """A frozen environment of ``key`` at ``revision`` (the most recently used), else a cold start."""
        retired = []
        found = None
        with self._lock:
            now = time.monotonic()
            for name, frozen in self._frozen.items():  # environments idle too long are shut down
                retired += [env for env in frozen if now - env.last_used > idle_seconds]
                frozen[:] = [env for env in frozen if now - env.last_used <= idle_seconds]
            frozen = self._frozen.get(key, [])
            while frozen and found is None:
                env = frozen.pop()
                if env.revision == revision and env.alive():
                    found = env
                else:  # an older deploy's, or dead
                    retired.append(env)
            self._running.difference_update(retired)
        for env in retired:
            env.stop()
        if found is not None:
            return found
        env = start()
        with self._lock:
            self._running.add(env)
        return env

    def release(self, key: str, env: Environment, *, reuse: bool) -> None:
        """Freeze ``env`` for the next invocation, or stop it (a failure, or the pool was shut down meanwhile)."""
        with self._lock:
            keep = reuse and env in self._running and env.alive()
            if keep:
                env.last_used = time.monotonic()
                self._frozen.setdefault(key, []).append(env)
            else:
                self._running.discard(env)
        if not keep:
            env.stop()

    def retire(self, matches: Callable[[str], bool]) -> None:
        """Stop the frozen environments of the functions whose key ``matches``."""
        with self._lock:
            retired = [env for key, frozen in self._frozen.items() if matches(key) for env in frozen]
            for key in [key for key in self._frozen if matches(key)]:
                del self._frozen[key]
            self._running.difference_update(retired)
        for env in retired:
            env.stop()

    def shutdown(self) -> None:
        """Stop every environment, frozen or serving an invocation (which then ends as a crash)."""
        with self._lock:
            envs = list(self._running)
            self._running.clear()
            self._frozen.clear()
        for env in envs:
            env.stop()

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(env.proc.pid for env in self._running)


POOL = Pool()
