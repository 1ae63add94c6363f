"""Secrets Manager's own ``Secret Label Updated`` events, as they reach the default event bus.

Secrets Manager user guide, "Secret event notifications" and "Secret Label Updated event": Secrets Manager itself
(no CloudTrail trail needed) sends it to the default bus "when a staging label moves to a new version of a secret,
for all labels except AWSPENDING and AWSPREVIOUS", custom labels included, with ``source`` ``aws.secretsmanager``,
the secret's ARN in ``resources`` and ``detail`` holding exactly ``name``, ``labelUpdated`` and ``versionId`` (the
version the label moved to). The stack's certificate-rotation rule fires on it, whichever call moved the label;
moto sends nothing.

The event is derived from the secret's labels before and after a call that can move one, never from what the
caller asked, so a call that moves nothing (a failed one, a value under AWSPENDING only) sends nothing. Delivery
failures never fail the API call.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

LOG = logging.getLogger(__name__)

# The user guide: every label but these two.
UNANNOUNCED_LABELS = frozenset({"AWSPENDING", "AWSPREVIOUS"})
# The calls that can attach a label to another version (Secrets Manager API reference: PutSecretValue,
# UpdateSecret, UpdateSecretVersionStage, RotateSecret), as moto's response methods.
_WRITES = ("put_secret_value", "update_secret", "update_secret_version_stage", "rotate_secret")


@functools.cache  # the patches are process-wide, as moto's classes are: applied once
def install() -> None:
    from moto.secretsmanager.responses import SecretsManagerResponse

    for method in _WRITES:
        setattr(SecretsManagerResponse, method, _announced(getattr(SecretsManagerResponse, method)))


def _labels(secret: Any) -> dict[str, str]:
    """label -> version id of the secret as the backend holds it now."""
    if secret is None:
        return {}
    return {label: version_id for version_id, version in secret.versions.items()
            for label in version.get("version_stages") or []}


def _announced(original: Any) -> Any:
    def method(self: Any) -> str:
        from moto.events.models import events_backends

        secret_id = self._get_param("SecretId")
        before = _labels(self.backend.secrets.get(secret_id) if secret_id else None)
        body = original(self)  # raises on failure: nothing moved, nothing is sent
        try:
            secret = self.backend.secrets.get(secret_id)  # the call succeeded: it exists
            for label, version_id in sorted(_labels(secret).items()):
                if label in UNANNOUNCED_LABELS or before.get(label) == version_id:
                    continue
                # ``resources`` and ``detail`` as the user guide's example shows them, on the secret's default bus
                answer = events_backends[self.current_account][self.region].put_events([{
                    "Source": "aws.secretsmanager", "DetailType": "Secret Label Updated", "Resources": [secret.arn],
                    "Detail": json.dumps({"name": secret.name, "labelUpdated": label, "versionId": version_id})}])
                failed = [result for result in answer if result.get("ErrorCode")]
                if failed:
                    LOG.warning("EventBridge refused the Secret Label Updated event: %s", failed)
        except Exception:  # noqa: BLE001 - Secrets Manager's event never fails the API call
            LOG.exception("could not send Secret Label Updated for %s", secret_id)
        return body

    method.__name__ = original.__name__
    return method
