"""Lambda invocations without Docker: the deployed zip, run by this machine's Python.

moto runs a function in a Docker container (there is no Docker engine here) or, without Docker, returns a canned
answer. `install()` replaces `LambdaFunction.invoke`: the function's code zip (moto keeps its bytes, read from the
CDK asset in S3) and its layers' zips are unpacked once into a cache keyed by sha256, and the invocation runs in
an execution environment (sandbox/aws/lambda_environments.py) with PYTHONPATH = shim, code dir (/var/task),
layers' `python/` (/opt/python). Its variables are fixed when it starts, as on Lambda: the function's
configuration, its role's credentials and the sandbox's `extra_env`, so a change of any of them means new
environments (the load balancers' port map is a file the shim reads again when it changes, as DNS answers change
under a running function).

A handler's exception comes back as Lambda's error shape with `X-Amz-Function-Error: Unhandled`, which moto's
Step Functions interpreter reads to match Retry/Catch by class name. The output goes to the function's log group
(its LoggingConfig.LogGroup, else /aws/lambda/<name>), as on Lambda.

`make_inactive()` plays a VPC function idle for weeks ("Lambda function states", Lambda developer guide): "When
you try to invoke a function that is inactive, the invocation fails and Lambda sets the function to pending state
until the function resources are recreated", and while Pending "any invocations ... will fail". The first
invocation answers ``ResourceNotReadyException`` (HTTP 502, the Lambda API model's error for an inactive
function), those in the Pending window ``ResourceConflictException`` (409), later ones run. Step Functions turns
them into ``Lambda.ResourceNotReadyException`` and ``Lambda.ResourceConflictException`` (as moto's
StateTaskServiceLambda does), which the workflow retries (stacks/retries.py).
"""

from __future__ import annotations

import atexit
import base64
import dataclasses
import functools
import hashlib
import io
import json
import os
import shutil
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

from sandbox.aws import lambda_kills
from sandbox.aws.identities import role_credentials
from sandbox.aws.lambda_environments import POOL, Environment

HERE = Path(__file__).resolve().parent
SHIM_DIR = HERE / "lambda_shim"
# Variables of this process that an invocation inherits (the rest is Lambda's own).
PASSTHROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "GRPC_DNS_RESOLVER")


@dataclasses.dataclass
class RunnerConfig:
    endpoint: str
    region: str
    cache_dir: Path
    extra_env: dict[str, str] = dataclasses.field(default_factory=dict)
    # A frozen environment unused this long is shut down; the next invocation is a cold start.
    idle_seconds: float = 300.0


_config: RunnerConfig | None = None
_unpack_lock = threading.Lock()


# function name -> (seconds it stays Pending, when Pending ends: set by the invocation that finds it Inactive)
_inactive: dict[str, tuple[float, float | None]] = {}
_inactive_lock = threading.Lock()


def make_inactive(function_name: str, *, pending_seconds: float) -> None:
    """The function's next invocation finds it Inactive; it is Pending for ``pending_seconds`` after that."""
    with _inactive_lock:
        _inactive[function_name] = (pending_seconds, None)


def _refuse_unless_active(fn: Any) -> None:
    from moto.core.exceptions import JsonRESTError

    with _inactive_lock:
        if fn.function_name not in _inactive:
            return
        pending_seconds, pending_until = _inactive[fn.function_name]
        now = time.monotonic()
        if pending_until is None:
            _inactive[fn.function_name] = (pending_seconds, now + pending_seconds)
            fn.state = "Pending"
            # its environments are gone with its VPC connection
            POOL.retire(lambda key: key.split(":")[6] == fn.function_name)
            error = JsonRESTError("ResourceNotReadyException", "The function is inactive and its VPC connection is "
                                  "no longer available. Wait for the VPC connection to reestablish and try again.")
            error.code = 502
            raise error
        if now < pending_until:
            error = JsonRESTError("ResourceConflictException", "The operation cannot be performed at this time. "
                                  "The function is currently in the following state: Pending")
            error.code = 409
            raise error
        del _inactive[fn.function_name]
        fn.state = "Active"


def install(config: RunnerConfig) -> None:
    """Point every moto LambdaFunction's invoke at `run_function`, with ``config`` from now on."""
    global _config
    _config = config
    config.cache_dir.mkdir(parents=True, exist_ok=True)
    _patch()


@functools.cache  # the patch is process-wide, as moto's classes are: applied once
def _patch() -> None:
    from moto.awslambda.models import LambdaFunction

    atexit.register(POOL.shutdown)  # nothing left running when this process ends, whoever forgot to stop
    original_init = LambdaFunction.__init__

    def __init__(self: Any, account_id: str, spec: dict[str, Any], region: str, version: Any = 1) -> None:  # noqa: N807 - becomes LambdaFunction.__init__
        original_init(self, account_id, spec, region, version)
        # moto ignores LoggingConfig; keep it so logs land in the configured group.
        self.sandbox_logging_config = dict(spec.get("LoggingConfig") or {})

    def invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> bytes:
        _refuse_unless_active(self)
        payload, errored, logs = run_function(self, body or "{}")
        if errored:
            response_headers["x-amz-function-error"] = "Unhandled"
        tail = logs.encode()[-4096:]
        response_headers["x-amz-log-result"] = base64.b64encode(tail).decode()
        return payload

    LambdaFunction.__init__ = __init__  # type: ignore[method-assign]  # the patch itself
    LambdaFunction.invoke = invoke  # type: ignore[method-assign]  # the patch itself


def unpack(zip_bytes: bytes, sha256_b64: str, cache_dir: Path) -> Path:
    """Unzip once into cache_dir/<sha256 hex>; later calls reuse the directory."""
    key = base64.b64decode(sha256_b64).hex() if sha256_b64 else hashlib.sha256(zip_bytes).hexdigest()
    target = cache_dir / key
    if target.is_dir():
        return target
    with _unpack_lock:
        if target.is_dir():
            return target
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=cache_dir))
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
            archive.extractall(tmp)
        try:
            os.rename(tmp, target)
        except OSError:  # another process unpacked it first
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _layer_dirs(fn: Any, cache_dir: Path) -> list[Path]:
    from moto.awslambda.utils import get_backend

    backend = get_backend(fn.account_id, fn.region)
    dirs = []
    for layer in fn.layers or []:
        version = backend.layers_versions_by_arn(layer["Arn"])
        if version is not None and version.code_bytes:
            dirs.append(unpack(version.code_bytes, version.code_sha_256, cache_dir))
    return dirs


def _environment(fn: Any, config: RunnerConfig, code_dir: Path, layers: list[Path],
                 log_group: str) -> dict[str, str]:
    """The variables an environment of ``fn`` starts with (its log stream and /tmp are added per environment)."""
    env = {name: os.environ[name] for name in PASSTHROUGH if name in os.environ}
    credentials = role_credentials(str(fn.role))
    python_path = [str(SHIM_DIR), str(code_dir)]
    python_path += [str(d / "python") for d in layers] + [str(d) for d in layers]
    env.update({
        "PYTHONPATH": os.pathsep.join(python_path),
        "PYTHONUNBUFFERED": "1",
        # Bytecode as on Lambda: the assets' own __pycache__ (stacks/bundling.py) is read. What they lack Lambda
        # compiles at every cold start, its /var/task and /opt being read-only; here Python writes it beside the
        # unpacked tree, this cache's own copy keyed by sha256, so a cold start after a sandbox restart does not
        # compile pymilvus again: quicker than Lambda, never different.
        "LAMBDA_TASK_ROOT": str(code_dir),
        "_HANDLER": fn.handler or "",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time}",
        "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST" if str(fn.version) in ("1", "$LATEST") else str(fn.version),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(fn.timeout),
        "AWS_LAMBDA_LOG_GROUP_NAME": log_group,
        "AWS_LAMBDA_FUNCTION_ARN": f"arn:aws:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}",
        "AWS_REGION": fn.region,
        "AWS_DEFAULT_REGION": fn.region,
        # the function's own role (sandbox/aws/identities.py), as Lambda hands it its execution role's
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_SESSION_TOKEN": "testing",
        "AWS_ENDPOINT_URL": config.endpoint,
    })
    env.update({str(k): str(v) for k, v in (fn.environment_vars or {}).items()})
    env.update(config.extra_env)
    env["AWS_ENDPOINT_URL"] = config.endpoint  # the function must never reach real AWS
    return env


def run_function(fn: Any, event: str) -> tuple[bytes, bool, str]:
    """Run one invocation in a warm environment of ``fn``, else a new one; returns (payload, errored, log text)."""
    config = _config
    if config is None:
        raise RuntimeError("sandbox.aws.lambda_runner is not installed")
    request_id = str(uuid.uuid4())
    log_group = (getattr(fn, "sandbox_logging_config", None) or {}).get("LogGroup") or f"/aws/lambda/{fn.function_name}"
    code_dir = unpack(fn.code_bytes, fn.code_sha_256, config.cache_dir)
    layers = _layer_dirs(fn, config.cache_dir)
    env = _environment(fn, config, code_dir, layers, log_group)
    # A deploy (new code or configuration: CodeSha256 and LastModified change) or new sandbox settings
    # mean new environments; so does a function of the same name in another sandbox (another endpoint).
    key = f"arn:aws:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}:{fn.version}"
    revision = json.dumps([fn.code_sha_256, str(fn.last_modified), str(code_dir), env], sort_keys=True)
    environment = POOL.acquire(key, revision, config.idle_seconds,
                               lambda: Environment.start(config.cache_dir, code_dir, env, revision))
    kill = lambda_kills.order_for(fn.function_name)  # faults on purpose: this invocation's process dies
    with tempfile.TemporaryDirectory(prefix="invoke-", dir=config.cache_dir) as tmp:
        log_path = os.path.join(tmp, "log.txt")
        started = time.monotonic()
        answer, timed_out, returncode = environment.invoke(request_id, event, log_path, float(fn.timeout), kill=kill)
        if answer is None and kill is not None and kill["kind"] == "timeout":
            timed_out = True  # stopped where its time would have run out
        duration_ms = (time.monotonic() - started) * 1000
        POOL.release(key, environment, reuse=answer is not None and not answer.get("reset"))
        payload, errored = _result(answer, returncode, timed_out, request_id, fn.timeout)
        try:
            with open(log_path, "rb") as handle:
                logs = handle.read().decode("utf-8", "replace")
        except OSError:  # the process died before it opened the log
            logs = ""
    if environment.invocations == 1:  # the cold start: what the interpreter said while starting
        logs = environment.init_output() + logs
    lines = [f"START RequestId: {request_id} Version: $LATEST", *logs.splitlines()]
    if timed_out:
        when = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        lines.append(f"{when} {request_id} Task timed out after {float(fn.timeout):.2f} seconds")
    elif answer is None:  # as Lambda logs a runtime that exited mid-invocation
        lines += [json.loads(payload)["errorMessage"], "Runtime.ExitError"]
    lines += [f"END RequestId: {request_id}",
              f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
              f"Billed Duration: {int(duration_ms) + 1} ms\tMemory Size: {fn.memory_size} MB"]
    _save_logs(fn, log_group, environment.log_stream, lines)
    return payload, errored, "\n".join(lines)


def _result(answer: dict[str, Any] | None, returncode: int | None, timed_out: bool, request_id: str,
            timeout: Any) -> tuple[bytes, bool]:
    if timed_out:
        error = {"errorType": "Sandbox.Timedout",
                 "errorMessage": f"RequestId: {request_id} Error: Task timed out after {float(timeout):.2f} seconds"}
        return json.dumps(error).encode(), True
    if answer is None:
        error = {"errorType": "Runtime.ExitError",
                 "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {_exit(returncode)}"}
        return json.dumps(error).encode(), True
    return str(answer["payload"]).encode(), bool(answer["errored"])


def _exit(returncode: int | None) -> str:
    """How Lambda's init (Go) describes the runtime's end: ``exit status 3``, ``signal: killed``."""
    if returncode is not None and returncode < 0:
        return f"signal: {_SIGNALS.get(-returncode, f'signal {-returncode}')}"
    return f"exit status {returncode}"


# Go's names of the signals (os.ProcessState.String(): "signal: " + the signal's name, syscall/zerrors_linux)
_SIGNALS = {6: "aborted", 9: "killed", 11: "segmentation fault", 15: "terminated"}


def _save_logs(fn: Any, group: str, stream: str, lines: list[str]) -> None:
    from moto.logs.models import logs_backends

    backend = logs_backends[fn.account_id][fn.region]
    backend.ensure_log_group(group)
    try:
        backend.create_log_stream(group, stream)
    except Exception:  # noqa: BLE001,S110 - exists already
        pass
    millis = int(time.time() * 1000)
    events = [{"timestamp": millis, "message": line} for line in lines if line.strip()]
    if events:
        backend.put_log_events(group, stream, events)
