"""The sandbox's AWS side (sandbox/aws): moto in-process, mended for the workflow.

One moto server for the module; each test uses its own resource names.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from sandbox.aws import eks
from sandbox.aws.events_delivery import render_template, target_input
from testkit.executions import wait_ended

ACCOUNT = "123456789012"
REGION = "us-east-1"

CODE = '''
import os, time

class MyError(Exception):
    pass

def ok(event, context):
    print("hello from", context.function_name, context.aws_request_id)
    import layerlib
    return {"event": event, "foo": os.environ.get("FOO"), "endpoint": os.environ["AWS_ENDPOINT_URL"],
            "layer": layerlib.VALUE, "memory": context.memory_limit_in_mb,
            "remaining": context.get_remaining_time_in_millis(), "version": context.function_version,
            "logGroup": context.log_group_name}

def boom(event, context):
    raise MyError("bad thing happened")

def slow(event, context):
    time.sleep(30)

def child(event, context):
    return {"doubled": event["n"] * 2}
'''


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def role(sandbox):
    return sandbox.client("iam").create_role(RoleName="sandbox-test", AssumeRolePolicyDocument="{}")["Role"]["Arn"]


@pytest.fixture(scope="module")
def functions(sandbox, role):
    lam = sandbox.client("lambda")
    layer = lam.publish_layer_version(LayerName="lib",
                                      Content={"ZipFile": _zip({"python/layerlib.py": "VALUE = 42\n"})})
    code = _zip({"app.py": CODE})
    specs = {"ok": ("app.ok", 10), "boom": ("app.boom", 10), "slow": ("app.slow", 1), "child": ("app.child", 10)}
    for name, (handler, timeout) in specs.items():
        extra = {"LoggingConfig": {"LogGroup": "/custom/ok-logs", "LogFormat": "Text"}} if name == "ok" else {}
        lam.create_function(FunctionName=name, Runtime="python3.11", Role=role, Handler=handler,
                            Code={"ZipFile": code}, Timeout=timeout, MemorySize=256,
                            Layers=[layer["LayerVersionArn"]], Environment={"Variables": {"FOO": "bar"}}, **extra)
    return specs


def _wait(sfn, execution_arn: str, seconds: float = 60) -> dict:
    return wait_ended(sfn, execution_arn, seconds)


def _state_machine(sandbox, role, name: str, definition: dict) -> str:
    return sandbox.client("stepfunctions").create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=role)["stateMachineArn"]


def _fn_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def test_endpoint_is_localhost(sandbox):
    assert sandbox.endpoint.startswith("http://localhost:")
    assert sandbox.client("sts").get_caller_identity()["Account"] == ACCOUNT


def test_invoke_runs_code_with_layer_env_and_context(sandbox, functions):
    response = sandbox.client("lambda").invoke(FunctionName="ok", Payload=b'{"a": 1}', LogType="Tail")
    assert "FunctionError" not in response
    body = json.loads(response["Payload"].read())
    assert body["event"] == {"a": 1}
    assert body["foo"] == "bar" and body["layer"] == 42
    assert body["endpoint"] == sandbox.endpoint
    assert body["memory"] == "256" and body["version"] == "$LATEST"
    assert 0 < body["remaining"] <= 10_000
    assert body["logGroup"] == "/custom/ok-logs"
    assert "hello from ok" in base64.b64decode(response["LogResult"]).decode()


def test_invoke_error_shape(sandbox, functions):
    response = sandbox.client("lambda").invoke(FunctionName="boom", Payload=b"{}")
    assert response["FunctionError"] == "Unhandled"
    body = json.loads(response["Payload"].read())
    assert body["errorType"] == "MyError"
    assert body["errorMessage"] == "bad thing happened"
    assert any("boom" in frame for frame in body["stackTrace"])
    assert not any("lambda_bootstrap" in frame for frame in body["stackTrace"])


def test_invoke_timeout(sandbox, functions):
    started = time.monotonic()
    response = sandbox.client("lambda").invoke(FunctionName="slow", Payload=b"{}")
    assert time.monotonic() - started < 10
    assert response["FunctionError"] == "Unhandled"
    body = json.loads(response["Payload"].read())
    assert body["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]


def test_logs_reach_log_group(sandbox, functions):
    lam, logs = sandbox.client("lambda"), sandbox.client("logs")
    lam.invoke(FunctionName="ok", Payload=b"{}")
    lam.invoke(FunctionName="boom", Payload=b"{}")
    custom = logs.filter_log_events(logGroupName="/custom/ok-logs")["events"]
    assert any("hello from ok" in e["message"] for e in custom)
    assert any(e["message"].startswith("REPORT RequestId") for e in custom)
    default = logs.filter_log_events(logGroupName="/aws/lambda/boom")["events"]
    assert any("MyError: bad thing happened" in e["message"] for e in default)


@pytest.mark.parametrize("style", ["direct", "integration"])
def test_catch_by_error_name(sandbox, role, functions, style):
    if style == "direct":
        task = {"Type": "Task", "Resource": _fn_arn("boom")}
    else:
        task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": _fn_arn("boom"), "Payload.$": "$"}}
    task.update({"Catch": [{"ErrorEquals": ["OtherError"], "Next": "Wrong"},
                           {"ErrorEquals": ["MyError"], "ResultPath": "$.failure", "Next": "Caught"}],
                 "End": True})
    definition = {"StartAt": "Call", "States": {
        "Call": task,
        "Wrong": {"Type": "Fail", "Error": "Wrong"},
        "Caught": {"Type": "Pass", "End": True}}}
    sfn = sandbox.client("stepfunctions")
    arn = _state_machine(sandbox, role, f"catch-{style}", definition)
    result = _wait(sfn, sfn.start_execution(stateMachineArn=arn, input='{"x": 1}')["executionArn"])
    assert result["status"] == "SUCCEEDED", result
    failure = json.loads(result["output"])["failure"]
    assert failure["Error"] == "MyError"
    assert json.loads(failure["Cause"])["errorMessage"] == "bad thing happened"


def test_start_execution_sync2_reads_child_output(sandbox, role, functions):
    child = _state_machine(sandbox, role, "child", {"StartAt": "Double", "States": {
        "Double": {"Type": "Task", "Resource": _fn_arn("child"), "End": True}}})
    parent = _state_machine(sandbox, role, "parent", {"StartAt": "Run", "States": {
        "Run": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": child, "Input": {"n.$": "$.n"}},
                "ResultSelector": {"childOutput.$": "$.Output", "status.$": "$.Status"},
                "End": True}}})
    sfn = sandbox.client("stepfunctions")
    result = _wait(sfn, sfn.start_execution(stateMachineArn=parent, input='{"n": 21}')["executionArn"])
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"]) == {"childOutput": {"doubled": 42}, "status": "SUCCEEDED"}


def test_start_execution_refuses_an_input_over_256_kib_as_step_functions_does(sandbox, role):
    # StartExecution's input has "Maximum length of 262144" (API reference), refused with a ValidationException
    sfn = sandbox.client("stepfunctions")
    arn = _state_machine(sandbox, role, "input-limit", {"StartAt": "Done", "States": {"Done": {"Type": "Pass",
                                                                                                "End": True}}})
    with pytest.raises(sfn.exceptions.ValidationException, match="262144"):
        sfn.start_execution(stateMachineArn=arn, input=json.dumps({"x": "y" * 262144}))
    # and an input within it is taken
    result = _wait(sfn, sfn.start_execution(stateMachineArn=arn, input=json.dumps({"x": "y" * 262000}))["executionArn"])
    assert result["status"] == "SUCCEEDED", result


def test_a_task_retries_an_inactive_function_by_the_error_name_step_functions_gives_it(sandbox, role, functions):
    # Given a Task on a function ARN with the workflow's retry of a function that is not ready (stacks/retries.py),
    # and that function Inactive (it fails once, then is Pending for a moment)
    from sandbox.aws import lambda_runner

    sandbox.client("lambda").create_function(FunctionName="sleepy", Runtime="python3.11", Role=role,
                                             Handler="app.child", Code={"ZipFile": _zip({"app.py": CODE})},
                                             Timeout=10, MemorySize=256)
    retry = {"ErrorEquals": ["Lambda.ResourceNotReadyException", "Lambda.ResourceConflictException"],
             "IntervalSeconds": 1, "MaxAttempts": 4, "BackoffRate": 1}
    arn = _state_machine(sandbox, role, "inactive", {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": _fn_arn("sleepy"), "Retry": [retry], "End": True}}})
    lambda_runner.make_inactive("sleepy", pending_seconds=0.5)
    # When it runs
    sfn = sandbox.client("stepfunctions")
    result = _wait(sfn, sfn.start_execution(stateMachineArn=arn, input='{"n": 4}')["executionArn"])
    # Then the first failure is named Lambda.ResourceNotReadyException, which the retry matched, and the run went on
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"]) == {"doubled": 8}
    events = sfn.get_execution_history(executionArn=result["executionArn"])["events"]
    errors = [details["error"] for event in events
              for key in ("lambdaFunctionFailedEventDetails", "taskFailedEventDetails") if (details := event.get(key))]
    assert errors[:1] == ["Lambda.ResourceNotReadyException"]


def test_eventbridge_rule_starts_execution_with_input_path(sandbox, role):
    sfn, events = sandbox.client("stepfunctions"), sandbox.client("events")
    arn = _state_machine(sandbox, role, "from-events", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    events.put_rule(Name="setup-requested", EventPattern=json.dumps(
        {"source": ["milvus.layer7"], "detail-type": ["Milvus Layer7 Setup Requested"]}))
    events.put_targets(Rule="setup-requested",
                       Targets=[{"Id": "sm", "Arn": arn, "RoleArn": role, "InputPath": "$.detail"}])
    queue_url = sandbox.client("sqs").create_queue(QueueName="also")["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:also"
    events.put_targets(Rule="setup-requested", Targets=[{"Id": "q", "Arn": queue_arn}])
    events.put_events(Entries=[{"Source": "milvus.layer7", "DetailType": "Milvus Layer7 Setup Requested",
                                "Detail": json.dumps({"host": "milvus.example.com"})},
                               {"Source": "other", "DetailType": "Milvus Layer7 Setup Requested", "Detail": "{}"}])
    executions = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert len(executions) == 1
    result = _wait(sfn, executions[0]["executionArn"])
    assert json.loads(result["input"]) == {"host": "milvus.example.com"}
    messages = sandbox.client("sqs").receive_message(QueueUrl=queue_url)["Messages"]
    assert json.loads(messages[0]["Body"])["detail"] == {"host": "milvus.example.com"}


def test_input_transformer_rendering():
    event = {"detail": {"host": "h", "n": 3, "obj": {"a": 1}}, "source": "s", "time": "2024-01-01T00:00:00Z"}
    transformer = {"InputPathsMap": {"host": "$.detail.host", "n": "$.detail.n", "obj": "$.detail.obj"},
                   "InputTemplate":
                       '{"h": <host>, "text": "host is <host>", "n": <n>, "o": <obj>, "e": <aws.events.event>}'}
    rendered = json.loads(target_input({"InputTransformer": transformer}, event))
    assert rendered == {"h": "h", "text": "host is h", "n": 3, "o": {"a": 1}, "e": event}
    assert json.loads(render_template('"just <host>"', {"host": "$.detail.host"}, event)) == "just h"
    assert json.loads(target_input({"Input": '{"fixed": true}'}, event)) == {"fixed": True}
    assert json.loads(target_input({}, event)) == event


def test_eventbridge_input_transformer_execution(sandbox, role):
    sfn, events = sandbox.client("stepfunctions"), sandbox.client("events")
    arn = _state_machine(sandbox, role, "transformed", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    events.put_rule(Name="transform", EventPattern=json.dumps({"source": ["t.source"]}))
    events.put_targets(Rule="transform", Targets=[{"Id": "sm", "Arn": arn, "InputTransformer": {
        "InputPathsMap": {"host": "$.detail.host"}, "InputTemplate": '{"wanted": <host>}'}}])
    events.put_events(Entries=[{"Source": "t.source", "DetailType": "x", "Detail": '{"host": "a.b"}'}])
    execution = sfn.list_executions(stateMachineArn=arn)["executions"][0]
    assert json.loads(_wait(sfn, execution["executionArn"])["input"]) == {"wanted": "a.b"}


def test_eks_cluster_points_at_given_endpoint(sandbox):
    vpc_id, subnets = eks.create_vpc(sandbox.client("ec2"), sandbox.region)
    assert vpc_id.startswith("vpc-") and len(subnets) == 2
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    eks.create_cluster(sandbox, "milvus-eks", endpoint="https://127.0.0.1:6443", ca_pem=pem, subnet_ids=subnets)
    cluster = sandbox.client("eks").describe_cluster(name="milvus-eks")["cluster"]
    assert cluster["status"] == "ACTIVE"
    assert cluster["endpoint"] == "https://127.0.0.1:6443"
    assert base64.b64decode(cluster["certificateAuthority"]["data"]).decode() == pem
    assert cluster["resourcesVpcConfig"]["subnetIds"] == subnets


def test_shim_resolves_alb_names_and_rewrites_grpc_targets(tmp_path):
    shim = Path(__file__).resolve().parents[2] / "sandbox" / "aws" / "lambda_shim"
    (tmp_path / "sitecustomize.py").write_text("import os\nos.environ['CHAINED'] = 'yes'\n")
    script = (
        "import os, socket, sitecustomize as s\n"
        "print(socket.gethostbyname('my-alb-123.us-east-1.elb.amazonaws.com'))\n"
        "print(socket.getaddrinfo('x.elb.amazonaws.com', 443)[0][4][0])\n"
        "print(s.rewrite_target('dns:///my-alb.elb.amazonaws.com:443', None, True))\n"
        "print(s.rewrite_target('my-alb.elb.amazonaws.com:443', [('grpc.ssl_target_name_override', 'h')], True))\n"
        "print(s.rewrite_target('milvus.example.com:443', None, True))\n"
        "print(os.environ.get('CHAINED'))\n"
        "import grpc, grpc.aio\n"
        "print(all(f._sandbox for f in (grpc.secure_channel, grpc.insecure_channel,"
        " grpc.aio.secure_channel, grpc.aio.insecure_channel)))\n"
    )
    env = {"PYTHONPATH": f"{shim}:{tmp_path}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0] == "127.0.0.1" and lines[1] == "127.0.0.1"
    assert lines[2] == ("('127.0.0.1:443', [('grpc.ssl_target_name_override', 'my-alb.elb.amazonaws.com'), "
                        "('grpc.default_authority', 'my-alb.elb.amazonaws.com:443')])")
    assert lines[3] == "('127.0.0.1:443', [('grpc.ssl_target_name_override', 'h')])"
    assert lines[4] == "('milvus.example.com:443', None)"
    assert lines[5] == "yes"
    assert lines[6] == "True"


def test_an_inactive_function_fails_once_then_is_pending_then_runs():
    # Lambda developer guide, "Lambda function states": the invocation that finds the function Inactive
    # fails, and it is Pending (invocations fail) until its network interfaces are back.
    from moto.core.exceptions import JsonRESTError

    from sandbox.aws import lambda_runner

    class Function:
        function_name, state = "MilvusLayer7-Validate", "Active"

    fn = Function()
    lambda_runner.make_inactive(fn.function_name, pending_seconds=0.3)
    with pytest.raises(JsonRESTError) as first:
        lambda_runner._refuse_unless_active(fn)
    assert (first.value.error_type, first.value.code, fn.state) == ("ResourceNotReadyException", 502, "Pending")
    with pytest.raises(JsonRESTError) as pending:
        lambda_runner._refuse_unless_active(fn)
    assert (pending.value.error_type, pending.value.code) == ("ResourceConflictException", 409)
    time.sleep(0.35)
    lambda_runner._refuse_unless_active(fn)  # Active again: the invocation goes on
    assert fn.state == "Active"
    lambda_runner._refuse_unless_active(fn)


def test_the_sandbox_vpc_is_the_eks_guides_private_subnets_behind_nat(sandbox):
    # Given the VPC the sandbox deploys into, and its cluster with the security group EKS makes
    from sandbox.aws.eks import nat_public_ips
    from validate.network import check_egress

    ec2 = sandbox.client("ec2")
    vpc_id, subnets = eks.create_vpc(ec2, sandbox.region, cidr="10.7.0.0/16")
    cluster = eks.create_cluster(sandbox, "private-eks", endpoint="https://127.0.0.1:6443", ca_pem="x",
                                 subnet_ids=subnets, vpc_id=vpc_id)
    # Then Validate's own check finds the functions' subnets routed through NAT,
    check_egress(ec2, subnets, scheme="internet-facing", annotations={})
    (nat_ip,) = nat_public_ips(ec2, vpc_id)
    assert nat_ip
    # and the cluster names a security group of that VPC
    group_id = cluster["resourcesVpcConfig"]["clusterSecurityGroupId"]
    (group,) = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    assert group["VpcId"] == vpc_id and group["GroupName"].startswith("eks-cluster-sg-private-eks-")


def test_shim_sends_a_load_balancers_name_to_its_port_and_a_deleted_one_nowhere(tmp_path):
    # Given the port map the sandbox's data planes hand the Lambdas
    shim = Path(__file__).resolve().parents[2] / "sandbox" / "aws" / "lambda_shim"
    ports = {"a1b2-0123456789abcdef.elb.us-east-1.amazonaws.com": {"19530": 41000},
             "agone-fedcba9876543210.elb.us-east-1.amazonaws.com": None}
    script = (
        "import socket, sitecustomize as s\n"
        "print(socket.getaddrinfo('a1b2-0123456789abcdef.elb.us-east-1.amazonaws.com', 19530)[0][4])\n"
        "print(s.rewrite_target('a1b2-0123456789abcdef.elb.us-east-1.amazonaws.com:19530', None, False))\n"
        "try:\n"
        "    socket.getaddrinfo('agone-fedcba9876543210.elb.us-east-1.amazonaws.com', 19530)\n"
        "except socket.gaierror as e:\n"
        "    print('gaierror', e.args[0] == socket.EAI_NONAME)\n"
        "print(s.rewrite_target('agone-fedcba9876543210.elb.us-east-1.amazonaws.com:19530', None, False))\n"
        # an ALB made after the process started: the sandbox rewrites the file, the same process reads it
        "import json, os\n"
        "later = {'k8s-milvus-0123456789.us-east-1.elb.amazonaws.com': {'443': 42000}}\n"
        "open(os.environ['SANDBOX_LOOPBACK_PORTS_FILE'] + '.new', 'w').write(json.dumps(later))\n"
        "os.replace(os.environ['SANDBOX_LOOPBACK_PORTS_FILE'] + '.new', os.environ['SANDBOX_LOOPBACK_PORTS_FILE'])\n"
        "print(socket.getaddrinfo('k8s-milvus-0123456789.us-east-1.elb.amazonaws.com', 443)[0][4])\n"
    )
    ports_file = tmp_path / "ports.json"
    ports_file.write_text(json.dumps(ports))
    env = {"PYTHONPATH": str(shim), "PATH": "/usr/bin:/bin", "SANDBOX_LOOPBACK_PORTS_FILE": str(ports_file)}
    # When a Lambda process resolves them
    lines = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    # Then the live one is 127.0.0.1 on its own port, for sockets and gRPC (authority kept), the deleted one fails,
    # and a name the map gained since the process started resolves too
    assert lines == [
        "('127.0.0.1', 41000)",
        "('127.0.0.1:41000', [('grpc.default_authority', "
        "'a1b2-0123456789abcdef.elb.us-east-1.amazonaws.com:19530')])",
        "gaierror True",
        "('agone-fedcba9876543210.elb.us-east-1.amazonaws.com:19530', None)",
        "('127.0.0.1', 42000)",
    ]
