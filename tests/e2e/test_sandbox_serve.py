"""``python -m sandbox serve`` comes up, says how to reach it, answers there, and stops on SIGTERM.

A person runs it in one shell and the AWS CLI or layer7ctl in another, so
the test does the same: a subprocess, the printed ``export`` lines as the
other shell's environment, then SIGTERM as Ctrl-C's stand-in.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
READY = "Ctrl-C stops the sandbox."


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line.rstrip("\n"))
    into.put(None)


def _read_until(lines: queue.Queue, marker: str, timeout: float, seen: list[str]) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            raise AssertionError("serve ended early:\n" + "\n".join(seen))
        seen.append(line)
        if marker in line:
            return
    raise AssertionError(f"no {marker!r} within {timeout:.0f} s:\n" + "\n".join(seen))


def test_serve_prints_how_to_reach_it_and_stops_on_sigterm(no_alb_of_the_session) -> None:
    """Journey: someone runs `python -m sandbox serve` in one shell, drives it from another, then presses Ctrl-C."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--parent-pipeline", "--certificate-rotation",
                             "--alb-delay", "1"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
    seen: list[str] = []
    try:
        # Given serve is up
        _read_until(lines, READY, timeout=240, seen=seen)
        exports = dict(re.findall(r"^export (\w+)=(\S+)$", "\n".join(seen), re.MULTILINE))
        # Then it said how long it took, measured, and printed what another shell needs,
        # and the endpoint answers with the deployed workflow
        assert any(re.match(r"^Ready in \d+\.\d s \(standInsUp \d+\.\d s, bootstrapAndDeploy", line) for line in seen)
        assert exports["AWS_ENDPOINT_URL"].startswith("http://localhost:")
        assert exports["AWS_ACCESS_KEY_ID"] == "testing" and exports["AWS_DEFAULT_REGION"] == "us-east-1"
        sfn = boto3.client("stepfunctions", endpoint_url=exports["AWS_ENDPOINT_URL"], region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        for key in ("MILVUS_LAYER7_STATE_MACHINE_ARN", "MILVUS_LAYER7_PARENT_ARN"):
            assert sfn.describe_state_machine(stateMachineArn=exports[key])["status"] == "ACTIVE"
        event_file = next(line.split("file://", 1)[1] for line in seen if "put-events --entries file://" in line)
        detail = json.loads(json.loads(Path(event_file).read_text())[0]["Detail"])
        assert detail["certificate"]["secretArn"] == exports["MILVUS_LAYER7_SECRET_ARN"]
        assert detail["host"] == exports["MILVUS_LAYER7_HOST"]
        assert any("python -m layer7ctl start --input" in line for line in seen)
        rotated = next(line.split("file://", 1)[1] for line in seen if "put-secret-value" in line)
        assert set(json.loads(Path(rotated).read_text())) == {"certificate", "privateKey", "certificateChain"}
        # When it gets SIGTERM (Ctrl-C's stand-in), it stops cleanly
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        _read_until(lines, "Stopped", timeout=5, seen=seen)
        assert not Path(event_file).exists()  # its working directory is gone with it
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
