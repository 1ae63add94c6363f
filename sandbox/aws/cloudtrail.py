"""CloudTrail's events for Secrets Manager writes, as they reach the default event bus.

On AWS, a management API call recorded by CloudTrail also reaches the
account's default event bus as an event with source ``aws.<service>`` and
detail-type ``AWS API Call via CloudTrail``; events a service makes itself
(a rotation's outcome) arrive as ``AWS Service Event via CloudTrail``
(EventBridge user guide, "Events from AWS services"). That is how the stack's
certificate-rotation rule (context ``certificateRotation``) learns that the
certificate secret got a new current value. moto has no such feed, so without
this the rule could never fire in the sandbox.

`install()` wraps moto's Secrets Manager responses for ``PutSecretValue``,
``UpdateSecret`` and ``UpdateSecretVersionStage``: after a call succeeds, the
default bus of the same account and region gets the event real CloudTrail
would deliver. ``requestParameters`` hold the call's parameters in camelCase
(``secretId`` exactly as the caller passed it: a name, a full or a partial
ARN; ``versionStages`` when the caller gave them) and never ``SecretString``
or ``SecretBinary`` (Secrets Manager user guide: those "might be logged" only
if put elsewhere; CloudTrail omits them); ``responseElements`` hold the
response's ``arn``, ``name``, ``versionId`` and ``versionStages`` where the
API returns them (an ``UpdateSecret`` that creates no version returns no
``versionId``). When an ``UpdateSecretVersionStage`` moves ``AWSCURRENT`` to
the version that holds ``AWSPENDING`` (a rotation function's ``finishSecret``,
Secrets Manager user guide, "Rotation function"), the service event
``RotationSucceeded`` follows, with ``additionalEventData.SecretId`` the full
ARN, as Secrets Manager records once the rotation function has finished.
Failed calls deliver nothing here; real CloudTrail delivers them too, with an
``errorCode`` (the stack's rule skips those). A failure to deliver never fails
the API call.
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
    "UpdateSecretVersionStage": (("SecretId", "secretId"), ("VersionStage", "versionStage"),
                                 ("MoveToVersionId", "moveToVersionId"),
                                 ("RemoveFromVersionId", "removeFromVersionId")),
}
_RESPONSE_FIELDS = (("ARN", "arn"), ("Name", "name"), ("VersionId", "versionId"), ("VersionStages", "versionStages"))
SERVICE_DETAIL_TYPE = "AWS Service Event via CloudTrail"


def install() -> None:
    from moto.secretsmanager.responses import SecretsManagerResponse

    for action, method in (("PutSecretValue", "put_secret_value"), ("UpdateSecret", "update_secret"),
                           ("UpdateSecretVersionStage", "update_secret_version_stage")):
        original = getattr(SecretsManagerResponse, method)
        if getattr(original, "_sandbox", False):
            continue
        setattr(SecretsManagerResponse, method, _recorded(action, original))


def _recorded(action: str, original: Any) -> Any:
    def method(self: Any) -> str:
        request = {name: self._get_param(name) for name, _ in _REQUEST_FIELDS[action]}
        finishes_rotation = action == "UpdateSecretVersionStage" and _moves_current_to_pending(self, request)
        body = original(self)  # raises on failure: nothing is delivered
        try:
            response = json.loads(body)
            detail = api_call_detail(action, request, response, region=self.region, account_id=self.current_account)
            deliver(detail, account_id=self.current_account, region=self.region)
            if finishes_rotation:
                deliver(rotation_succeeded_detail(response["ARN"], region=self.region,
                                                  account_id=self.current_account),
                        account_id=self.current_account, region=self.region, detail_type=SERVICE_DETAIL_TYPE)
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
    elements = {key: response[name] for name, key in _RESPONSE_FIELDS if response.get(name)}
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


def rotation_succeeded_detail(secret_arn: str, *, region: str, account_id: str) -> dict[str, Any]:
    """The service event Secrets Manager records when a rotation finished (shape: the user guide's example)."""
    return {
        "eventVersion": "1.08",
        "userIdentity": {"accountId": account_id, "invokedBy": EVENT_SOURCE},
        "eventTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": EVENT_SOURCE,
        "eventName": "RotationSucceeded",
        "awsRegion": region,
        "sourceIPAddress": EVENT_SOURCE,
        "userAgent": EVENT_SOURCE,
        "requestParameters": None,
        "responseElements": None,
        "additionalEventData": {"SecretId": secret_arn},
        "requestID": f"Rotation-{secret_arn}-{uuid.uuid4()}",
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsServiceEvent",
        "managementEvent": True,
        "recipientAccountId": account_id,
        "eventCategory": "Management",
    }


def _moves_current_to_pending(response_object: Any, request: dict[str, Any]) -> bool:
    """Whether this UpdateSecretVersionStage is a rotation's finishSecret: AWSCURRENT onto the AWSPENDING version."""
    if request.get("VersionStage") != "AWSCURRENT" or not request.get("MoveToVersionId"):
        return False
    try:
        secret = response_object.backend.describe_secret(request["SecretId"])
        stages = (secret.to_dict().get("VersionIdsToStages") or {}).get(request["MoveToVersionId"]) or []
    except Exception:  # noqa: BLE001 - no such secret or version: the call itself will say so
        return False
    return "AWSPENDING" in stages


def deliver(detail: dict[str, Any], *, account_id: str, region: str, detail_type: str = DETAIL_TYPE) -> None:
    """Put the event on the default bus, as CloudTrail's EventBridge integration does."""
    from moto.events.models import events_backends

    answer = events_backends[account_id][region].put_events(
        [{"Source": SOURCE, "DetailType": detail_type, "Detail": json.dumps(detail)}])
    failed = [entry for entry in answer if entry.get("ErrorCode")]
    if failed:
        LOG.warning("EventBridge refused the CloudTrail event: %s", failed)
