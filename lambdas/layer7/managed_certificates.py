"""The certificates this product imported into ACM, found by the tags ImportCertificate writes (layer7.ownership).

Setup's ImportCertificate looks for them to re-import a renewal into the same ARN; the undo's ValidateUndo names
them ("already undone" or "never set up") and DeleteCertificate deletes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from layer7.aws import error_code, raise_if_transient
from layer7.ownership import MANAGED_BY, TAG_FINGERPRINT, TAG_HOST, TAG_IMPORTED_BY, TAG_MANAGED_BY

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_acm import ACMClient
    from types_boto3_acm.literals import KeyAlgorithmType

# ListCertificates returns only RSA_1024 and RSA_2048 certificates unless asked for the others.
_ALL_KEY_TYPES: list[KeyAlgorithmType] = [
    "RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]
_NOT_FOUND = frozenset({"ResourceNotFoundException", "InvalidArnException"})


@dataclass(frozen=True)
class ManagedCertificate:
    """A certificate this product imported earlier, recognised by its tags."""

    arn: str
    host: str
    fingerprint: str
    key_algorithm: str = ""  # ACM's name: RSA_2048, EC_prime256v1, ...
    not_after: datetime | None = None  # ListCertificates' summary has it (CertificateSummary.NotAfter)
    imported_by: str = ""  # the execution whose import put the current content there (its tag)


def find_managed_certificates(acm: ACMClient, host: str) -> list[ManagedCertificate]:
    """Imported certificates tagged as this product's for ``host``."""
    found = []
    try:
        pages = acm.get_paginator("list_certificates").paginate(Includes={"keyTypes": _ALL_KEY_TYPES})
        for page in pages:
            for summary in page.get("CertificateSummaryList", []):
                if summary.get("Type", "IMPORTED") != "IMPORTED":
                    continue
                tags = certificate_tags(acm, summary["CertificateArn"])
                if tags is None or tags.get(TAG_MANAGED_BY) != MANAGED_BY or tags.get(TAG_HOST) != host:
                    continue
                not_after = summary.get("NotAfter")
                found.append(ManagedCertificate(summary["CertificateArn"], host, tags.get(TAG_FINGERPRINT, ""),
                                                str(summary.get("KeyAlgorithm") or ""),
                                                not_after if isinstance(not_after, datetime) else None,
                                                tags.get(TAG_IMPORTED_BY, "")))
    except ClientError as exc:
        raise_if_transient(exc, "acm:ListCertificates")
        raise
    return sorted(found, key=lambda certificate: certificate.arn)


def certificate_tags(acm: ACMClient, certificate_arn: str) -> dict[str, str] | None:
    """A certificate's tags; None when ACM no longer has it (deleted since it was listed or described)."""
    try:
        answer = acm.list_tags_for_certificate(CertificateArn=certificate_arn)
    except ClientError as exc:
        raise_if_transient(exc, "acm:ListTagsForCertificate")
        if error_code(exc) in _NOT_FOUND:  # deleted between the listing and now
            return None
        raise
    return {tag["Key"]: tag.get("Value", "") for tag in answer.get("Tags", [])}
