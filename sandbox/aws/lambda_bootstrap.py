"""The sandbox's Lambda runtime: one execution environment, serving invocations one at a time.

Started by lambda_runner with the deployed code as working directory and PYTHONPATH, and the environment's
variables (fixed for its life, as on Lambda). It plays AWS's Python runtime interface client: it imports
`_HANDLER` (`package.module.function`) on the first invocation and keeps it, with all module state.

Protocol: stdin and stdout carry length-prefixed JSON (4 bytes big-endian, then UTF-8). A request is
{"requestId", "event" (JSON text), "log" (a file path)}; the answer {"payload": <JSON text>, "errored", "reset"}.
During an invocation fds 1 and 2 point at the request's log file (prints, logging, subprocesses write there),
between invocations at /dev/null. "reset" asks the runner to shut the environment down (a failed import: Lambda
starts the next invocation with a fresh init). A raised exception becomes Lambda's error shape {"errorMessage",
"errorType", "stackTrace"}, so Step Functions matches Retry/Catch by class name. EOF on stdin ends the process.

A request may carry "kill" (sandbox/aws/lambda_kills.py): {"atCall": n} or {"afterWrite": true}. The process
then SIGKILLs itself, as an out-of-memory kill or the end of its time does, just before its n-th outbound HTTP
call, or before the first call after a write the server accepted (a Kubernetes API call other than GET/HEAD; an
AWS action named as a write: Create..., Put..., Delete..., ChangeResourceRecordSets); or, when the handler makes
no such call, before it answers. Outbound calls are seen in urllib3's connection pool, which boto3 and the
Kubernetes client both send through.
"""

import functools
import importlib
import json
import os
import re
import signal
import struct
import sys
import time
import traceback

_HEADER = struct.Struct(">I")


class LambdaContext:
    """The attributes and method of the real runtime's context object."""

    def __init__(self, request_id: str, timeout_s: float) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ.get("AWS_LAMBDA_FUNCTION_ARN", "")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error(exc: BaseException, error_type: str = "", skip_frames: int = 0) -> dict:
    tb = exc.__traceback__
    for _ in range(skip_frames):  # the runtime's own frames are not the function's
        tb = tb.tb_next if tb is not None and tb.tb_next is not None else tb
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_tb(tb),
    }


def _load_handler(spec: str):
    module_name, _, function_name = spec.rpartition(".")
    if not module_name:
        raise ValueError(f"Bad handler '{spec}': expected module.function")
    return getattr(importlib.import_module(module_name), function_name)


def _read_message(channel) -> dict | None:
    header = channel.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    body = channel.read(_HEADER.unpack(header)[0])
    return json.loads(body.decode("utf-8"))


def _write_message(channel, message: dict) -> None:
    body = json.dumps(message).encode("utf-8")
    channel.write(_HEADER.pack(len(body)) + body)
    channel.flush()


def _point_output_at(path: str) -> None:
    """fds 1 and 2 (and with them sys.stdout/stderr, subprocesses, C code) write to ``path``."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


# AWS actions that change something (the verbs of the APIs the steps call)
_WRITE_ACTIONS = re.compile(r"(Create|Put|Update|Delete|Import|Modify|Add|Remove|Set|Change|Register|Deregister|"
                            r"Tag|Untag|Request|Attach|Detach|Transact|BatchWrite|Rotate|Restore)")
_ACTION_IN_BODY = re.compile(rb"(?:^|&)Action=([A-Za-z]+)")


def _header(headers, name: str) -> str:
    for key, value in (headers or {}).items():
        if str(key).lower() == name:
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return ""


def is_write(method: str, body, headers) -> bool:
    """Whether an outbound call asks its server to change something."""
    if not _header(headers, "authorization").startswith("AWS4-"):  # the Kubernetes API: every verb but a read
        return method.upper() not in ("GET", "HEAD")
    target = _header(headers, "x-amz-target")  # JSON protocols: Service.Action
    if target:
        return bool(_WRITE_ACTIONS.match(target.rpartition(".")[2]))
    raw = body.encode() if isinstance(body, str) else body
    found = _ACTION_IN_BODY.search(raw) if isinstance(raw, bytes) else None
    if found:  # query protocol: Action=... in the form
        return bool(_WRITE_ACTIONS.match(found.group(1).decode()))
    return method.upper() not in ("GET", "HEAD")  # REST protocols (Route 53): reads are GETs


class Kill:
    """The runner's order to die at an outbound call of this invocation."""

    current: "Kill | None" = None  # the order of the invocation running now, if any

    def __init__(self, order: dict) -> None:
        self.at_call = order.get("atCall")
        self.after_write = bool(order.get("afterWrite"))
        self.calls = 0
        self.wrote = False

    def before_call(self) -> None:
        self.calls += 1
        if (self.at_call is not None and self.calls >= self.at_call) or (self.after_write and self.wrote):
            die()

    def after_call(self, method: str, body, headers, status: int) -> None:
        if status < 400 and is_write(method, body, headers):
            self.wrote = True


def die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


@functools.cache  # once per process
def _watch_outbound_calls() -> None:
    """Every urllib3 request goes past ``Kill.current``."""
    from urllib3 import connectionpool

    pool = connectionpool.HTTPConnectionPool
    real = pool.urlopen

    def urlopen(self, method, url, body=None, headers=None, *args, **kwargs):
        order = Kill.current
        if order is not None:
            order.before_call()
        response = real(self, method, url, body, headers, *args, **kwargs)
        if order is not None:
            order.after_call(method, body, headers, getattr(response, "status", 0))
        return response

    pool.urlopen = urlopen  # type: ignore[method-assign]  # the patch itself


def invoke(handler_spec: str, handler, request: dict, timeout_s: float):
    """One invocation: (handler, {"payload", "errored", "reset"})."""
    context = LambdaContext(request["requestId"], timeout_s)
    if request.get("kill"):
        _watch_outbound_calls()
        Kill.current = Kill(request["kill"])
    reset, body = False, None
    try:
        raw = request["event"]
        event = json.loads(raw) if raw.strip() else {}
        if handler is None:
            try:
                handler = _load_handler(handler_spec)
            except Exception as exc:  # noqa: BLE001 - Lambda reports import errors this way
                reset = True
                kind = "ImportModuleError" if isinstance(exc, ImportError) else "HandlerNotFound"
                body = _error(exc, f"Runtime.{kind}")
        if handler is not None:
            try:
                result = handler(event, context)
            except Exception as exc:  # noqa: BLE001 - any handler error is the invocation's, as Lambda reports it
                traceback.print_exc()
                body = _error(exc, skip_frames=1)
            else:
                try:
                    payload = json.dumps(result)
                except (TypeError, ValueError) as exc:
                    body = _error(exc, "Runtime.MarshalError")
        if body is not None:
            print(f"[ERROR] {body['errorType']}: {body['errorMessage']}", file=sys.stderr)
            payload = json.dumps(body)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    if Kill.current is not None:  # no call came after the point: the process dies before it answers
        die()
    return handler, {"payload": payload, "errored": body is not None, "reset": reset}


def main() -> int:
    # The protocol's channels are the fds the runner gave as stdin and stdout; the function never sees them.
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    handler_spec = os.environ.get("_HANDLER", "")
    timeout_s = float(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3"))
    handler = None
    while True:
        request = _read_message(requests)
        if request is None:
            return 0
        _point_output_at(request["log"])
        handler, answer = invoke(handler_spec, handler, request, timeout_s)
        os.dup2(null, 1)  # frozen between invocations: stray output goes nowhere
        os.dup2(null, 2)
        _write_message(answers, answer)


if __name__ == "__main__":
    # The code dir is the working directory; make it importable ahead of this file's dir.
    sys.path[0] = os.getcwd()
    sys.exit(main())
