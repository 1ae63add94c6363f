"""CloudTrail's "AWS API Call via CloudTrail" events for Secrets Manager writes.

On AWS, a management API call recorded by CloudTrail also reaches the
account's default event bus as an event with source ``aws.<service>`` and
detail-type ``AWS API Call via CloudTrail``. That is how the stack's
certificate-rotation rule (context ``certificateRotation``) learns that the
certificate secret got a new value. moto has no such feed, so without this
the rule could never fire in the sandbox.

`install()` wraps moto's Secrets Manager responses for ``PutSecretValue`` and
``UpdateSecret``: after a call succeeds, the default bus of the same account
and region gets the event real CloudTrail would deliver. Like CloudTrail it
records every successful ``UpdateSecret`` (a description-only change too),
and, like CloudTrail, ``requestParameters`` never carry ``SecretString`` or
``SecretBinary``: ``secretId`` appears exactly as the caller passed it (a
name, a full or a partial ARN), which is why a rule matches both forms.
Failed calls deliver nothing here; real CloudTrail delivers them too, with
an ``errorCode`` (a rule can skip them with ``"errorCode": [{"exists":
false}]``). A failure to deliver never fails the API call.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timezone
from typing import Any

LOG = logging.getLogger(__name__)

SOURCE = "aws.secretsmanager"
DETAIL_TYPE = "AWS API Call via CloudTrail"
EVENT_SOURCE = "secretsmanager.amazonaws.com"
SANDBOX_USER_AGENT = "milvus-layer7-sandbox"

# What CloudTrail keeps of each call's request: never the secret's value.
_REQUEST_FIELDS = {
    "PutSecretValue": (("SecretId", "secretId"), ("ClientRequestToken", "clientRequestToken"),
                       ("VersionStages", "versionStages")),
    "UpdateSecret": (("SecretId", "secretId"), ("ClientRequestToken", "clientRequestToken"),
                     ("Description", "description"), ("KmsKeyId", "kmsKeyId")),
}


def install() -> None:
    from moto.secretsmanager.responses import SecretsManagerResponse

    for action, method in (("PutSecretValue", "put_secret_value"), ("UpdateSecret", "update_secret")):
        original = getattr(SecretsManagerResponse, method)
        if getattr(original, "_sandbox", False):
            continue
        setattr(SecretsManagerResponse, method, _recorded(action, original))


def _recorded(action: str, original: Any) -> Any:
    def method(self: Any) -> str:
        body = original(self)  # raises on failure: nothing is delivered
        try:
            request = {name: self._get_param(name) for name, _ in _REQUEST_FIELDS[action]}
            detail = api_call_detail(action, request, json.loads(body), region=self.region,
                                     account_id=self.current_account)
            deliver(detail, account_id=self.current_account, region=self.region)
        except Exception:  # noqa: BLE001 - CloudTrail's delivery never fails the API call
            LOG.exception("could not deliver the CloudTrail event for %s", action)
        return body

    method._sandbox = True  # type: ignore[attr-defined]  # marks our patch: install() applies it once
    method.__name__ = original.__name__
    return method


def api_call_detail(action: str, request: dict[str, Any], response: dict[str, Any], *, region: str,
                    account_id: str) -> dict[str, Any]:
    """The event's ``detail``, shaped as CloudTrail records a Secrets Manager write."""
    parameters = {key: request[name] for name, key in _REQUEST_FIELDS[action] if request.get(name) is not None}
    elements = {"arn": response.get("ARN")}
    if action == "UpdateSecret":
        elements["name"] = response.get("Name")
    if response.get("VersionId"):
        elements["versionId"] = response["VersionId"]
    return {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "accountId": account_id, "accessKeyId": "testing",
                         "arn": f"arn:aws:iam::{account_id}:user/sandbox", "userName": "sandbox"},
        "eventTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": EVENT_SOURCE,
        "eventName": action,
        "awsRegion": region,
        "sourceIPAddress": "127.0.0.1",
        "userAgent": SANDBOX_USER_AGENT,
        "requestParameters": parameters,
        "responseElements": elements,
        "requestID": str(uuid.uuid4()),
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account_id,
        "eventCategory": "Management",
    }


def deliver(detail: dict[str, Any], *, account_id: str, region: str) -> None:
    """Put the event on the default bus, as CloudTrail's EventBridge integration does."""
    from moto.events.models import events_backends

    answer = events_backends[account_id][region].put_events(
        [{"Source": SOURCE, "DetailType": DETAIL_TYPE, "Detail": json.dumps(detail)}])
    failed = [entry for entry in answer if entry.get("ErrorCode")]
    if failed:
        LOG.warning("EventBridge refused the CloudTrail event: %s", failed)
