"""``python -m sandbox serve`` comes up, says how to reach it, answers there, and stops on SIGTERM.

A person runs it in one shell and the AWS CLI or layer7ctl in another, so
the test does the same: a subprocess, started with the session
(tests/e2e/serve_shell.py), the printed ``export`` lines as the other shell's
environment, then SIGTERM as Ctrl-C's stand-in.
"""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import boto3
import pytest

from tests.e2e.serve_shell import ServeShell

pytestmark = pytest.mark.e2e
READY = "Ctrl-C stops the sandbox."


def test_serve_prints_how_to_reach_it_and_stops_on_sigterm(serve_shell: ServeShell | None) -> None:
    """Journey: someone runs `python -m sandbox serve` in one shell, drives it from another, then presses Ctrl-C."""
    assert serve_shell is not None  # started with the session (tests/e2e/conftest.py)
    proc, seen = serve_shell.proc, serve_shell.seen
    # Given serve is up
    serve_shell.read_until(READY, timeout=240)
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
    serve_shell.read_until("Stopped", timeout=5)
    assert not Path(event_file).exists()  # its working directory is gone with it
