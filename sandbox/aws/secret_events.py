"""Secrets Manager's own ``Secret Label Updated`` events, as they reach the default event bus.

Secrets Manager user guide, "Secret event notifications" and "Secret Label
Updated event": Secrets Manager itself (no CloudTrail trail needed) sends
``Secret Label Updated`` to the default bus "when a staging label moves to a
new version of a secret, for all labels except AWSPENDING and AWSPREVIOUS",
custom labels included, with ``source`` ``aws.secretsmanager``, the secret's
ARN in ``resources`` and ``detail`` holding exactly ``name`` (the secret's
friendly name), ``labelUpdated`` and ``versionId`` (the version the label
moved to). That is how the stack's certificate-rotation rule learns that the
certificate secret has a new current value, whichever call moved it:
PutSecretValue, UpdateSecret with a value, UpdateSecretVersionStage (a
rotation's ``finishSecret``, or a person promoting a version). moto sends
nothing, so without this the rule could never fire in the sandbox.

`install()` wraps moto's Secrets Manager responses for the calls that can
move a label and compares the secret's labels before and after the call: an
event per label that now names another version. The event is derived from
the secret's state, never from what the caller asked, so a call that moves
nothing (a failed one, a value under AWSPENDING only, a description change)
sends nothing. Delivery failures never fail the API call.
"""

from __future__ import annotations

import json
import logging
from typing import Any

LOG = logging.getLogger(__name__)

SOURCE = "aws.secretsmanager"
DETAIL_TYPE = "Secret Label Updated"
# The user guide: every label but these two.
UNANNOUNCED_LABELS = frozenset({"AWSPENDING", "AWSPREVIOUS"})
# The calls that can attach a label to another version (Secrets Manager API reference).
_WRITES = (("PutSecretValue", "put_secret_value"), ("UpdateSecret", "update_secret"),
           ("UpdateSecretVersionStage", "update_secret_version_stage"), ("RotateSecret", "rotate_secret"))


def install() -> None:
    from moto.secretsmanager.responses import SecretsManagerResponse

    for _action, method in _WRITES:
        original = getattr(SecretsManagerResponse, method)
        if getattr(original, "_sandbox", False):
            continue
        setattr(SecretsManagerResponse, method, _announced(original))


def labels_of(response_object: Any, secret_id: str) -> tuple[str, str, dict[str, str]]:
    """(ARN, name, label -> version id) of the secret as the backend holds it now; empty when there is none."""
    secret = response_object.backend.secrets.get(secret_id) if secret_id else None
    if secret is None:
        return "", "", {}
    labels = {label: version_id for version_id, version in secret.versions.items()
              for label in version.get("version_stages") or []}
    return str(secret.arn), str(secret.name), labels


def _announced(original: Any) -> Any:
    def method(self: Any) -> str:
        secret_id = self._get_param("SecretId")
        _, _, before = labels_of(self, secret_id)
        body = original(self)  # raises on failure: nothing moved, nothing is sent
        try:
            arn, name, after = labels_of(self, secret_id)
            for label, version_id in sorted(after.items()):
                if label not in UNANNOUNCED_LABELS and before.get(label) != version_id:
                    deliver(label_updated(arn, name, label, version_id), account_id=self.current_account,
                            region=self.region)
        except Exception:  # noqa: BLE001 - Secrets Manager's event never fails the API call
            LOG.exception("could not send Secret Label Updated for %s", secret_id)
        return body

    method._sandbox = True  # type: ignore[attr-defined]  # marks our patch: install() applies it once
    method.__name__ = original.__name__
    return method


def label_updated(arn: str, name: str, label: str, version_id: str) -> dict[str, Any]:
    """The entry PutEvents gets: ``resources`` and ``detail`` as the user guide's example shows them."""
    return {"Source": SOURCE, "DetailType": DETAIL_TYPE, "Resources": [arn],
            "Detail": json.dumps({"name": name, "labelUpdated": label, "versionId": version_id})}


def deliver(entry: dict[str, Any], *, account_id: str, region: str) -> None:
    """Put the event on the default bus of the secret's account and region."""
    from moto.events.models import events_backends

    answer = events_backends[account_id][region].put_events([entry])
    failed = [result for result in answer if result.get("ErrorCode")]
    if failed:
        LOG.warning("EventBridge refused the Secret Label Updated event: %s", failed)
