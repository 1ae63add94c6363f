"""What AWS answers when it throttles or fails a call, for the fault injection of ``sandbox/faults.py``.

The services' documented codes and statuses: every service ``InternalFailure`` 500 and ``ServiceUnavailable`` 503
(the API references' "Common Errors", e.g. docs.aws.amazon.com/autoscaling/ec2/APIReference/CommonErrors.html);
ELBv2 ``Throttling`` 400 ("Rate exceeded", what the AWS Load Balancer Controller meets when it shares the account's
ELBv2 rate); Route 53 ``Throttling`` 400 and ``PriorRequestNotComplete`` 400 (API reference,
ChangeResourceRecordSets); ACM, Secrets Manager ``ThrottlingException`` 400 (Common Errors); DynamoDB
``ThrottlingException`` 400 and ``ProvisionedThroughputExceededException`` 400 (developer guide, "Error handling
with DynamoDB").

Each body in its protocol's shape, as botocore/parsers.py reads it: query (ELBv2) and rest-xml (Route 53)
``<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>``
(``QueryParser._do_error_parse``, ``RestXMLParser._parse_error_from_body``); json (ACM, Secrets Manager,
DynamoDB) ``{"__type": "...", "message": "..."}``, ``__type`` maybe prefixed with the namespace and ``#``
(``BaseJSONParser._do_error_parse``).

Only the Lambda functions' calls meet them: those signed with a function role's ``ASIA...`` key
(sandbox/aws/identities.py), not the sandbox's helpers nor the controller stand-in (``testing``).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from sandbox.faults import AWS_KINDS, Dice, Faults

# The signing name in a request's credential scope, per target
SIGNING_NAMES = {"elasticloadbalancing": "aws.elbv2", "acm": "aws.acm", "route53": "aws.route53",
                 "secretsmanager": "aws.secretsmanager", "dynamodb": "aws.dynamodb"}
XML_TARGETS = {"aws.elbv2": "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
               "aws.route53": "https://route53.amazonaws.com/doc/2013-04-01/"}
# (code, status, message) per kind
_ANSWERS = {
    "500": ("InternalFailure", 500, "The request processing has failed because of an unknown error, exception or "
                                    "failure."),
    "503": ("ServiceUnavailable", 503, "The request has failed due to a temporary failure of the server."),
    "prior-request": ("PriorRequestNotComplete", 400, "The request was rejected because Route 53 was still "
                                                      "processing a prior request."),
    "throughput": ("ProvisionedThroughputExceededException", 400, "The level of configured provisioned throughput "
                                                                  "for the table was exceeded."),
}
_THROTTLE = {"aws.elbv2": "Throttling", "aws.route53": "Throttling", "aws.acm": "ThrottlingException",
             "aws.secretsmanager": "ThrottlingException", "aws.dynamodb": "ThrottlingException"}
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/")


def answer(target: str, kind: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of ``kind`` for ``target``, in the service's protocol."""
    if kind not in AWS_KINDS[target]:
        raise ValueError(f"no such {target} fault: {kind!r}")
    code, status, message = (_THROTTLE[target], 400, "Rate exceeded") if kind == "throttle" else _ANSWERS[kind]
    request_id = str(uuid.uuid4())
    if target in XML_TARGETS:
        party = "Sender" if status < 500 else "Receiver"
        body = (f'<ErrorResponse xmlns="{XML_TARGETS[target]}"><Error><Type>{party}</Type><Code>{code}</Code>'
                f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
        return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body.encode()
    type_ = f"com.amazonaws.dynamodb.v20120810#{code}" if target == "aws.dynamodb" else code
    content_type = "application/x-amz-json-1.0" if target == "aws.dynamodb" else "application/x-amz-json-1.1"
    return status, {"Content-Type": content_type, "x-amzn-RequestId": request_id}, json.dumps(
        {"__type": type_, "message": message}).encode()


def product_call_target(environ: dict[str, Any]) -> str | None:
    """The fault target of a call a Lambda function signed (its role's ``ASIA`` key), else None."""
    found = _CREDENTIAL.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    if found is None or not found.group(1).startswith("ASIA"):
        return None
    return SIGNING_NAMES.get(found.group(2))


class FaultyApp:
    """A WSGI middleware in front of moto's app: rolls the call's target's dice, answers the fault or passes on."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self._lock = threading.Lock()
        self.dice: dict[str, Dice] = {}

    def set_faults(self, faults: Faults | None) -> None:
        """Fresh dice per AWS target of ``faults`` (its ``kube`` target is the Kubernetes stand-in's)."""
        targets = [t for t in (faults.targets() if faults is not None else ()) if t in AWS_KINDS]
        with self._lock:
            self.dice = {t: faults.only(t).dice() for t in targets} if faults is not None else {}

    def thrown(self) -> dict[str, list[str]]:
        with self._lock:
            return {target: list(dice.thrown) for target, dice in self.dice.items()}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = product_call_target(environ)
        with self._lock:
            dice = self.dice.get(target) if target else None
        fault = dice.roll() if dice is not None else None
        if target is None or fault is None:
            return self.app(environ, start_response)
        # read the request's body, unanswered, so the next request on a kept-alive connection starts clean
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        status, headers, body = answer(target, fault)
        reason = {400: "Bad Request", 500: "Internal Server Error", 503: "Service Unavailable"}[status]
        start_response(f"{status} {reason}", [*headers.items(), ("Content-Length", str(len(body)))])
        return [body]
