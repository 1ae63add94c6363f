"""Lambda invocations killed on purpose (sandbox/aws/lambda_kills.py): where the process dies, what Invoke answers.

The function writes a parameter (a write: PutParameter), then reads it back and reads once more (two reads).
"""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from typing import Any

import pytest

from sandbox.faults import Faults

CODE = '''
import boto3

def handler(event, context):
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name=event["name"], Value=context.aws_request_id, Type="String", Overwrite=True)
    ssm.get_parameter(Name=event["name"])
    ssm.get_parameter(Name=event["name"])
    return {"ok": True}
'''


@pytest.fixture(scope="module")
def lam(sandbox):
    lam = sandbox.client("lambda")
    role = sandbox.client("iam").create_role(RoleName="kill-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", CODE)
    for name in ("writer", "other-writer"):
        lam.create_function(FunctionName=name, Runtime="python3.11", Role=role, Handler="app.handler",
                            Code={"ZipFile": buffer.getvalue()}, Timeout=30)
    yield lam
    sandbox.set_faults(None)


def _invoke(lam: Any, name: str, parameter: str) -> tuple[dict[str, Any], dict[str, Any]]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps({"name": parameter}).encode(), LogType="Tail")
    return json.loads(response["Payload"].read()), response


def test_kill_after_write_kills_each_functions_first_invocation_once_after_its_write(sandbox, lam):
    # Given every function's first invocation is to die after its first write
    sandbox.set_faults(Faults.parse("lambda:kill-after-write=1"))
    ssm = sandbox.client("ssm")
    # When a function is invoked
    body, response = _invoke(lam, "writer", "/kills/first")
    # Then it died after the write, before its read, as Lambda answers for a killed runtime
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert re.fullmatch(r"RequestId: [0-9a-f-]{36} Error: Runtime exited with error: signal: killed",
                        body["errorMessage"]), body
    assert ssm.get_parameter(Name="/kills/first")["Parameter"]["Value"]  # the first half happened
    # and logged as Lambda logs it
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "Error: Runtime exited with error: signal: killed\nRuntime.ExitError\nEND RequestId:" in tail
    # and the next invocation runs whole (in a new process: the killed one is gone); another function dies once too
    assert "FunctionError" not in _invoke(lam, "writer", "/kills/first")[1]
    other, response = _invoke(lam, "other-writer", "/kills/other")
    assert (response.get("FunctionError"), other["errorType"]) == ("Unhandled", "Runtime.ExitError")
    assert "FunctionError" not in _invoke(lam, "other-writer", "/kills/other")[1]


@pytest.mark.parametrize("seed, written", [(1, False), (7, True)])
def test_a_timeout_answers_as_lambdas_timeout_at_the_call_the_seed_draws(sandbox, lam, seed, written):
    # Given every invocation stopped as at its timeout, before the call its seed draws: the 1st (seed 1: the write)
    # or the 2nd (seed 7: the first read)
    ssm = sandbox.client("ssm")
    ssm.delete_parameters(Names=["/kills/timeout"])
    sandbox.set_faults(Faults.parse(f"lambda:timeout=1,seed={seed}"))
    # When the function is invoked
    body, response = _invoke(lam, "writer", "/kills/timeout")
    # Then Lambda's timeout is what Step Functions reads, without the function's 30 s waited out
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert re.fullmatch(r"RequestId: [0-9a-f-]{36} Error: Task timed out after 30.00 seconds", body["errorMessage"])
    # and it stopped where the seed said
    assert bool(ssm.get_parameters(Names=["/kills/timeout"])["Parameters"]) is written
