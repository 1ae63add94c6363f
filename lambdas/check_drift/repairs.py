"""What the drift state machine may repair for a host when asked (``{"repair": true}``); CheckDrift only says so.

Two drifts are repaired, and only when nothing else makes the repair unsafe (docs/CONTRACT.md "Drift repair"):

- ``Layer4Back`` (a helm upgrade turned the Service LoadBalancer again) while the ALB serves the host as recorded:
  no other finding but ``CertificateExpiring``. The plan carries what VerifyGrpc needs to verify the Layer-7 path
  (the recorded request, the ALB, the certificate the listener serves); the state machine verifies, then runs
  RemoveLayer4, the setup's own step, with the recorded request.
- ``CertificateExpiring`` when the setup's secret has a newer value than the certificate ACM holds: the secret's
  current version was written after the certificate was imported (``ListSecretVersionIds``' ``CreatedDate``
  against ACM's ``ImportedAt``; metadata only, the check never reads a secret's value). The state machine starts
  the setup workflow with ``{"renew": true, "host": H}``, as the rotation rule does (stacks/rotation.py).

Every other finding is only reported.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from check_drift.models import Finding, Layer4Repair, Repairs
from layer7 import aws
from layer7.models import CertificateResult, LoadBalancerStatus, SetupRequest

# Findings beside Layer4Back that leave the ALB serving the host as recorded.
SERVING_DESPITE = frozenset({"Layer4Back", "CertificateExpiring"})
CURRENT = "AWSCURRENT"


def layer4_repair(findings: list[Finding], request: SetupRequest, load_balancer: dict[str, Any] | None,
                  certificate: dict[str, Any] | None) -> Layer4Repair | None:
    """VerifyGrpc's event parts for a ``Layer4Back`` the ALB's path can take over; None when there is none."""
    kinds = {finding.kind for finding in findings}
    if "Layer4Back" not in kinds or not kinds <= SERVING_DESPITE or load_balancer is None or certificate is None:
        return None
    not_after = certificate.get("NotAfter")
    days = 0
    if isinstance(not_after, datetime):
        days = (not_after - datetime.now(not_after.tzinfo)).days
    return Layer4Repair(
        request=request,
        certificate=CertificateResult(
            certificate_arn=str(certificate["CertificateArn"]), certificate_imported=False,
            not_after=not_after.isoformat() if isinstance(not_after, datetime) else "", days_until_expiry=days,
            fingerprint_sha256=""),  # empty: VerifyGrpc holds the ALB to the certificate ACM has (served_certificate)
        load_balancer=LoadBalancerStatus(
            ready=True, dns_name=str(load_balancer["DNSName"]), arn=str(load_balancer["LoadBalancerArn"]),
            state="active", listen_port=request.listen_port,
            canonical_hosted_zone_id=load_balancer.get("CanonicalHostedZoneId")),
    )


def newer_in_secret(secrets: Any, secret_arn: str, imported_at: datetime) -> bool:
    """Whether the secret's current value was written after ``imported_at`` (one call, no value read)."""
    try:
        versions = secrets.list_secret_version_ids(SecretId=secret_arn).get("Versions", [])
    except ClientError as exc:
        aws.raise_if_transient(exc, "ListSecretVersionIds")
        return False  # gone or not readable: nothing to renew with; the finding says what to do
    current = next((v for v in versions if CURRENT in (v.get("VersionStages") or [])), None)
    created = (current or {}).get("CreatedDate")
    return isinstance(created, datetime) and created > imported_at


def plan(findings: list[Finding], request: SetupRequest, *, load_balancer: dict[str, Any] | None,
         certificate: dict[str, Any] | None, secrets: Any) -> Repairs | None:
    layer4 = layer4_repair(findings, request, load_balancer, certificate)
    renew = False
    imported_at = (certificate or {}).get("ImportedAt")
    if (any(f.kind == "CertificateExpiring" for f in findings) and request.certificate.secret_arn
            and isinstance(imported_at, datetime) and secrets is not None):
        renew = newer_in_secret(secrets, request.certificate.secret_arn, imported_at)
    if layer4 is None and not renew:
        return None
    return Repairs(layer4=layer4, renew=renew)
