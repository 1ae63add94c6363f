"""DeleteCertificate: delete what ImportCertificate imported for the host, and only that, once nothing uses it.

Ours are the certificates tagged ``milvus-layer7:managed-by = milvus-layer7``
and ``milvus-layer7:host = <host>`` (ImportCertificate's tags; also those a
renewal with another key type left behind). The Ingress's own
``certificate-arn`` is looked at too: one that is not ours (given as
``certificate.certificateArn``) is kept and said so. ACM refuses to delete a
certificate another service uses ("You cannot delete an ACM certificate that
is being used by another Amazon Web Services service", botocore's acm model,
DeleteCertificate), and says which in DescribeCertificate's ``InUseBy``; such
a certificate is kept, with the resources named, and a later undo deletes it.
The role may delete only certificates that carry the tag (IAM condition
``aws:ResourceTag/milvus-layer7:managed-by``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from import_certificate.dal import TAG_MANAGED_BY, find_managed_certificates
from layer7.aws import error_code, raise_if_transient
from layer7.observability import logger
from layer7.undo_models import CertificateCleanup, DeleteCertificateEvent, KeptCertificate

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_acm import ACMClient

_GONE = frozenset({"ResourceNotFoundException"})


def delete_certificates(event: DeleteCertificateEvent, *, acm: ACMClient) -> CertificateCleanup:
    host = event.request.host
    ours = [certificate.arn for certificate in find_managed_certificates(acm, host)]
    deleted: list[str] = []
    kept: list[KeptCertificate] = []
    for arn in dict.fromkeys([*event.ingress_deletion.certificate_arns, *ours]):
        if arn not in ours:
            kept.append(KeptCertificate(arn=arn, reason=f"not imported by this workflow (no tag {TAG_MANAGED_BY} "
                                                        f"for {host}): it is not the undo's to delete"))
            continue
        reason = _delete_unless_in_use(acm, arn)
        if reason is None:
            deleted.append(arn)
        elif reason:
            kept.append(KeptCertificate(arn=arn, reason=reason))
    logger.info("certificates cleaned up", extra={"deleted": deleted, "kept": [k.to_wire() for k in kept]})
    return CertificateCleanup(deleted=deleted, kept=kept)


def _delete_unless_in_use(acm: ACMClient, arn: str) -> str | None:
    """None when deleted, "" when already gone, else why it stays."""
    try:
        in_use = list(acm.describe_certificate(CertificateArn=arn)["Certificate"].get("InUseBy") or [])
        if in_use:
            return _in_use(in_use)
        acm.delete_certificate(CertificateArn=arn)
    except ClientError as exc:
        raise_if_transient(exc, "acm:DeleteCertificate")
        if error_code(exc) in _GONE:
            return ""
        if error_code(exc) == "ResourceInUseException":  # taken into use between the two calls
            return _in_use([])
        raise
    return None


def _in_use(users: list[str]) -> str:
    named = f" by {', '.join(users)}" if users else ""
    return f"still in use{named} (ACM InUseBy); delete it once nothing uses it, or run the undo again"
