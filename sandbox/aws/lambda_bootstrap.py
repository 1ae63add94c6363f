"""The sandbox's Lambda runtime: one execution environment, serving invocations one at a time.

Started by lambda_runner as `python lambda_bootstrap.py` with the deployed
code as working directory and PYTHONPATH, and the environment's variables
(fixed for its life, as on Lambda). It plays the part of AWS's Python runtime
interface client: it imports `_HANDLER` (`package.module.function`) on the
first invocation and keeps it, with all module state, for the next ones.

The protocol with the runner: stdin and stdout carry length-prefixed JSON
(4 bytes big-endian, then UTF-8). A request is {"requestId", "event" (JSON
text), "log" (a file path)}; the answer is {"payload": <JSON text>,
"errored": bool, "reset": bool}. During an invocation the process's fds 1 and
2 point at the request's log file, so the function's prints, logging and
subprocesses write there; between invocations they point at /dev/null.
"reset" asks the runner to shut the environment down (a failed import: Lambda
starts the next invocation with a fresh init). A raised exception becomes
Lambda's error shape {"errorMessage", "errorType", "stackTrace"}, so Step
Functions matches Retry/Catch by the exception's class name.

EOF on the request channel (the runner went away) ends the process.
"""

import importlib
import json
import os
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
    module = importlib.import_module(module_name)
    return getattr(module, function_name)


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


def invoke(handler_spec: str, handler, request: dict, timeout_s: float):
    """One invocation: (handler, {"payload", "errored", "reset"})."""
    context = LambdaContext(request["requestId"], timeout_s)
    errored, reset = True, False
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
                    body = result
                    payload = json.dumps(result)
                    errored = False
                except (TypeError, ValueError) as exc:
                    body = _error(exc, "Runtime.MarshalError")
        if errored:
            print(f"[ERROR] {body['errorType']}: {body['errorMessage']}", file=sys.stderr)
            payload = json.dumps(body)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return handler, {"payload": payload, "errored": errored, "reset": reset}


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
