"""The sandbox's Lambda runtime: run one invocation of a Python handler.

Started by lambda_runner as `python lambda_bootstrap.py` with the deployed
code as working directory and PYTHONPATH. It plays the part of AWS's Python
runtime interface client for a single event: it imports `_HANDLER`
(`package.module.function`), builds a context object, reads the event from
stdin and writes {"payload": <JSON text>, "errored": bool} to the file named
by SANDBOX_LAMBDA_RESULT. stdout and stderr stay free for the function's
logs. A raised exception becomes Lambda's error shape
{"errorMessage", "errorType", "stackTrace"}, so Step Functions matches
Retry/Catch by the exception's class name.
"""

import importlib
import json
import os
import sys
import time
import traceback


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


def main() -> int:
    result_path = os.environ["SANDBOX_LAMBDA_RESULT"]
    request_id = os.environ.get("SANDBOX_LAMBDA_REQUEST_ID", "")
    timeout_s = float(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3"))
    context = LambdaContext(request_id, timeout_s)
    errored = True
    try:
        raw = sys.stdin.read()
        event = json.loads(raw) if raw.strip() else {}
        try:
            handler = _load_handler(os.environ["_HANDLER"])
        except Exception as exc:  # noqa: BLE001 - Lambda reports import errors this way
            body = _error(exc, f"Runtime.{'ImportModuleError' if isinstance(exc, ImportError) else 'HandlerNotFound'}")
        else:
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
    with open(result_path, "w", encoding="utf-8") as handle:
        json.dump({"payload": payload, "errored": errored}, handle)
    return 0


if __name__ == "__main__":
    # The code dir is the working directory; make it importable ahead of this file's dir.
    sys.path[0] = os.getcwd()
    sys.exit(main())
