"""Lambda execution environments in the sandbox: reused warm, started cold when Lambda would start one.

Lambda developer guide, "Understanding the Lambda execution environment lifecycle" (sandbox/aws/lambda_environments.py).
"""

from __future__ import annotations

import io
import json
import os
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest

from sandbox.aws import lambda_runner
from sandbox.aws.lambda_environments import POOL

CODE = '''
import os, tempfile, time

STATE = {"count": 0}

def state(event, context):
    STATE["count"] += 1
    marker = os.path.join(tempfile.gettempdir(), "marker")
    kept = os.path.exists(marker)
    with open(marker, "w") as handle:
        handle.write(context.aws_request_id)
    if event.get("crash"):
        os._exit(3)
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("meet"):  # wait until the other invocation has started too
        open(os.path.join(event["meet"], context.aws_request_id), "w").close()
        deadline = time.monotonic() + 8
        while len(os.listdir(event["meet"])) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    return {"pid": os.getpid(), "count": STATE["count"], "tmpKept": kept, "foo": os.environ.get("FOO"),
            "stream": context.log_stream_name, "met": len(os.listdir(event["meet"])) if event.get("meet") else 0}
'''


def _zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", text)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def lam(sandbox):
    lam = sandbox.client("lambda")
    role = sandbox.client("iam").create_role(RoleName="warm-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    for name, timeout in (("warm", 10), ("warm-timeout", 1)):
        lam.create_function(FunctionName=name, Runtime="python3.11", Role=role, Handler="app.state",
                            Code={"ZipFile": _zip(CODE)}, Timeout=timeout, Environment={"Variables": {"FOO": "1"}})
    return lam


def _invoke(lam: Any, name: str = "warm", **event: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    return json.loads(response["Payload"].read()), response


def test_a_second_invocation_is_warm_same_process_module_state_and_tmp(lam):
    # Given a function invoked once (whatever ran before, this one starts a fresh count below)
    first, _ = _invoke(lam)
    # When it is invoked again
    second, _ = _invoke(lam)
    # Then the same environment answers: process, module state, /tmp and log stream
    assert second["pid"] == first["pid"]
    assert second["count"] == first["count"] + 1
    assert second["tmpKept"] is True
    assert second["stream"] == first["stream"]


def test_a_redeploy_of_code_or_configuration_is_a_cold_start(lam):
    warm, _ = _invoke(lam)

    lam.update_function_configuration(FunctionName="warm", Environment={"Variables": {"FOO": "2"}})
    after_config, _ = _invoke(lam)
    assert (after_config["pid"] != warm["pid"], after_config["count"], after_config["tmpKept"],
            after_config["foo"]) == (True, 1, False, "2")

    lam.update_function_code(FunctionName="warm", ZipFile=_zip(CODE + "\n# new code\n"))
    after_code, _ = _invoke(lam)
    assert (after_code["pid"] != after_config["pid"], after_code["count"]) == (True, 1)
    assert not os.path.exists(f"/proc/{warm['pid']}")  # the old environments are gone, not left frozen


def test_an_idle_period_is_a_cold_start(lam, monkeypatch):
    warm, _ = _invoke(lam)
    # Given environments are shut down as soon as they have been idle at all
    assert lambda_runner._config is not None
    monkeypatch.setattr(lambda_runner._config, "idle_seconds", 0.0)
    # When the function is invoked again
    cold, _ = _invoke(lam)
    # Then a new environment serves it
    assert (cold["pid"] != warm["pid"], cold["count"], cold["tmpKept"]) == (True, 1, False)


def test_a_crash_keeps_its_error_shape_and_the_next_invocation_is_cold(lam):
    warm, _ = _invoke(lam)
    body, response = _invoke(lam, crash=True)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Error: Runtime exited with error: exit status 3")
    after, _ = _invoke(lam)
    assert (after["pid"] != warm["pid"], after["count"]) == (True, 1)


def test_a_timeout_kills_the_environment_and_the_next_invocation_is_cold(lam):
    warm, _ = _invoke(lam, "warm-timeout")
    body, response = _invoke(lam, "warm-timeout", sleep=30)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert not os.path.exists(f"/proc/{warm['pid']}")
    after, _ = _invoke(lam, "warm-timeout")
    assert (after["pid"] != warm["pid"], after["count"]) == (True, 1)


def test_concurrent_invocations_get_two_environments(lam: Any, tmp_path: Path) -> None:
    # Given two invocations that each wait until the other one has started (one environment would serve the
    # second only after the first gave up waiting)
    results: list[dict[str, Any]] = []

    def invoke() -> None:
        results.append(_invoke(lam, meet=str(tmp_path))[0])

    threads = [threading.Thread(target=invoke) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # Then they met: each ran in its own environment
    assert [r["met"] for r in results] == [2, 2]
    assert results[0]["pid"] != results[1]["pid"]


def test_stopping_the_sandbox_stops_every_environment(sandbox, lam):
    # (last in this module: it stops the module's sandbox)
    warm, _ = _invoke(lam)
    assert warm["pid"] in POOL.pids()
    sandbox.stop()
    assert POOL.pids() == []
    assert not os.path.exists(f"/proc/{warm['pid']}")
