"""``layer7ctl status``: the drift check (the stack's CheckDrift function) for one host, now.

One synchronous Lambda Invoke of the function the stack names in its output ``DriftCheckFunctionName``
(docs/CONTRACT.md, "Drift check"); it only reads. The exit code says whether the host matches its recorded
setup (0) or has findings (1); the function refusing the input exits USAGE, any other failure of it
AWS_UNAVAILABLE, as the other commands' AWS failures do.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

from layer7ctl import views
from layer7ctl.exits import AWS_UNAVAILABLE, DRIFT_FOUND, SUCCEEDED, USAGE, OperatorError


def drift_input(host: str | None, namespace: str | None, certificate_days: int | None) -> dict[str, Any]:
    """The function's input: only what was given, the stack's defaults filling the rest."""
    given = {"host": host, "namespace": namespace, "certificateDays": certificate_days}
    return {key: value for key, value in given.items() if value is not None}


def invoke(lambda_client: Any, function_name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The function's report; its error (errorType, errorMessage) as one OperatorError line."""
    answer = lambda_client.invoke(FunctionName=function_name, InvocationType="RequestResponse",
                                  Payload=json.dumps(payload).encode())
    body = answer["Payload"].read()
    try:
        result = json.loads(body or b"null")
    except ValueError:
        result = None
    if answer.get("FunctionError") or not isinstance(result, dict) or "findings" not in result:
        error = result if isinstance(result, dict) else {}
        kind = str(error.get("errorType") or answer.get("FunctionError") or "no report")
        message = " ".join(str(error.get("errorMessage") or body.decode(errors="replace")).splitlines())
        raise OperatorError(f"the drift check {function_name} failed: {kind}: {message}",
                            USAGE if kind == "InvalidInput" else AWS_UNAVAILABLE)
    return result


def show(console: Console, report: dict[str, Any], *, as_json: bool) -> int:
    if as_json:
        console.print(json.dumps(report, indent=2), soft_wrap=True)
    elif report["matches"]:
        views.say(console, ("matches", "green"), f"  {report['host']}: as its recorded setup")
    else:
        for finding in report["findings"]:
            views.say(console, (finding["kind"], "bold red"), f"  {finding['what']} -- do: {finding['do']}")
    return SUCCEEDED if report["matches"] else DRIFT_FOUND
