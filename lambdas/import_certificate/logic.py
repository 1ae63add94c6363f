"""Gets the request's certificate into ACM exactly once per content.

Runs are repeated (``--runs N``, a pipeline re-triggering, a retried
execution), so an import must not pile up certificates: the product tags what
it imports with the host and the leaf's fingerprint and looks for those tags
first. The same content is reused as is (where ACM still holds it: a hand
re-import keeps the tags); new content for the same host is
re-imported into the same ARN where ACM accepts that (reimport.py: same key,
no Key Usage or Extended Key Usage lost or newly added), so an ALB listener
already using it picks up the renewal without the Ingress changing. Where ACM
would not, or refuses anyway, it is imported as a new certificate, the Ingress
moves to it, and the old one is named in the warnings for the undo to delete.

``certificateImported`` says what this execution did, not this attempt. A
Lambda killed after its import is run again by Step Functions, and that
attempt finds the content in ACM already. So every import tags the
certificate with the execution that made it (``milvus-layer7:imported-by``,
with the fingerprint: in the ImportCertificate call itself for a fresh
import, right after it for a re-import, which cannot carry tags), and a
certificate found with this execution's tag was this execution's import: the
answer is an undisturbed run's (``true``, with its warnings about earlier
certificates left in ACM). A later execution (a rerun, a renewal with the
same content) finds another execution's tag: ``false``. No clock is compared:
ACM's ``ImportedAt`` against the execution's start could not tell a renewal
that ended within the second before a rerun began from the rerun's own
import. A re-import killed before its tags were written leaves the old
fingerprint tag; the retry re-imports the same content and tags it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from cryptography import x509

from import_certificate import dal
from import_certificate.reimport import key_algorithm, reimport_refusal
from layer7 import ownership
from layer7.certificates import CheckedCertificate, check_bundle, fingerprint_sha256, host_covered
from layer7.errors import CertificateInvalid
from layer7.managed_certificates import ManagedCertificate, find_managed_certificates
from layer7.models import CertificateResult, SetupRequest
from layer7.observability import logger, metrics

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_acm import ACMClient
    from types_boto3_secretsmanager import SecretsManagerClient


def ensure_certificate(
    request: SetupRequest, *, acm: ACMClient, secretsmanager: SecretsManagerClient, now: dt.datetime | None = None,
    execution: str = "",
) -> CertificateResult:
    """``execution``: the execution's ARN ("": not known, and a certificate found is never this run's import)."""
    now = now or dt.datetime.now(dt.UTC)
    if request.certificate.certificate_arn:
        return use_existing(request.certificate.certificate_arn, request.host, acm=acm, now=now)
    if not request.certificate.secret_arn:
        raise AssertionError("Validate guarantees one certificate source")
    return import_from_secret(
        request.certificate.secret_arn, request.host, acm=acm, secretsmanager=secretsmanager, now=now,
        execution=execution,
    )


def import_from_secret(
    secret_arn: str, host: str, *, acm: ACMClient, secretsmanager: SecretsManagerClient, now: dt.datetime,
    execution: str = "",
) -> CertificateResult:
    secret = dal.read_certificate_secret(secretsmanager, secret_arn)
    try:
        checked = check_bundle(secret.certificate, secret.private_key, secret.certificate_chain, host, now)
    except CertificateInvalid as exc:
        # which secret holds the bad PEM: the operator fixes that one (the message never quotes its contents)
        raise CertificateInvalid(f"certificate.secretArn: secret {secret_arn}: {exc}") from None
    fingerprint = checked.fingerprint_sha256
    tags = {ownership.TAG_HOST: host, ownership.TAG_FINGERPRINT: fingerprint,
            ownership.TAG_MANAGED_BY: ownership.MANAGED_BY}
    if execution:
        tags[ownership.TAG_IMPORTED_BY] = execution

    managed = find_managed_certificates(acm, host)
    same = next((certificate for certificate in managed if certificate.fingerprint == fingerprint), None)
    changed = _changed_since(acm, same, fingerprint)
    if changed:
        same = None  # its tag is stale: the secret's certificate goes back in below, where ACM takes it
    if same is not None:
        mine = bool(execution) and same.imported_by == execution
        logger.info(
            "certificate already in ACM",
            extra={"certificateArn": same.arn, "host": host, "fingerprint": fingerprint,
                   "importedByThisExecution": mine},
        )
        # An earlier attempt of this execution imported it: answer as that attempt would have (its warnings too).
        others = [certificate for certificate in managed if certificate.arn != same.arn]
        warnings = _left_warnings(acm, others, checked, same.arn, host) if mine else []
        return _result(same.arn, imported=mine, not_after=checked.not_after, fingerprint=fingerprint, now=now,
                       warnings=warnings)

    # A renewal goes into the ARN of an earlier certificate only where ACM accepts the re-import (reimport.py
    # lists ACM's rules); otherwise it is a new certificate, and the old ones are left for the undo or a person.
    algorithm = key_algorithm(checked.certificate)
    previous, passed_over = choose_reimport_target(acm, managed, checked.certificate)
    try:
        arn = _import(acm, checked, tags, previous)
    except dal.ReimportRefused as refused:
        # A rule reimport.py does not model: the renewal must not fail over it while a fresh import would do.
        logger.warning("ACM refused the re-import; importing as a new certificate",
                       extra={"certificateArn": refused.certificate_arn, "reason": refused.message})
        passed_over[refused.certificate_arn] = f"ACM refused to re-import into it ({refused.message})"
        previous = None
        arn = _import(acm, checked, tags, None)
    left = [certificate for certificate in managed if certificate.arn != arn]
    warnings = [
        f"The earlier certificate {certificate.arn} for {host} is left in ACM: "
        f"{passed_over.get(certificate.arn, 'ACM cannot take the renewal into it')}; so the renewed {algorithm} "
        f"certificate is {arn}. Delete the old one once nothing uses it (the undo does)."
        for certificate in left
    ] if previous is None else []
    if changed and previous is not None:
        warnings.append(changed)
    _report_replaced(previous, managed, now)
    logger.info(
        "certificate re-imported" if previous else "certificate imported",
        extra={"certificateArn": arn, "host": host, "fingerprint": fingerprint, "notAfter": _iso(checked.not_after),
               "keyAlgorithm": algorithm, "leftInAcm": [certificate.arn for certificate in left]},
    )
    return _result(arn, imported=True, not_after=checked.not_after, fingerprint=fingerprint, now=now,
                   warnings=warnings)


def _changed_since(acm: ACMClient, tagged: ManagedCertificate | None, fingerprint: str) -> str:
    """Why the certificate tagged with the secret's fingerprint no longer holds it, or "" when it does.

    ACM keeps an ARN's tags when someone re-imports other content into it, so the tag alone would have a rerun
    keep serving that content; one GetCertificate tells. An unreadable body trusts the tag, as before.
    """
    if tagged is None:
        return ""
    held = _fingerprint_of(dal.get_certificate_pem(acm, tagged.arn))
    if not held or held == fingerprint:
        return ""
    logger.warning("the certificate in ACM is not the one this workflow imported",
                   extra={"certificateArn": tagged.arn, "heldFingerprint": held, "fingerprint": fingerprint})
    return (f"{tagged.arn} held another certificate (SHA-256 {held}), re-imported into it after this workflow "
            "imported the secret's; the secret's certificate is re-imported into it again.")


def _report_replaced(previous: str | None, managed: list[ManagedCertificate], now: dt.datetime) -> None:
    """A renewal's metric: the days the certificate it replaced had left (negative: it had expired), as listed
    before the import. That is the one re-imported into, else the latest-ending of the earlier ones (the one the
    Ingress moves off); a first import replaces nothing and adds no metric."""
    replaced = [certificate for certificate in managed if certificate.arn == previous] if previous else managed
    ends = [certificate.not_after for certificate in replaced if certificate.not_after is not None]
    if ends:
        days = (max(ends) - now) // dt.timedelta(days=1)
        metrics.add_metric(name="ReplacedCertificateDaysLeft", unit=MetricUnit.Count, value=days)


def choose_reimport_target(
    acm: ACMClient, managed: list[ManagedCertificate], renewal: x509.Certificate
) -> tuple[str | None, dict[str, str]]:
    """The first earlier certificate ACM would re-import ``renewal`` into, and why each one before it would not do.

    The old certificate's extensions come from GetCertificate's PEM, read with the same parser as the renewal:
    the exact extensions ACM compares, "no extension" told apart from "no values", unknown EKU OIDs kept.
    (DescribeCertificate's KeyUsages/ExtendedKeyUsages are ACM's names for them, "CUSTOM" for an OID without
    one, and moto leaves them empty.) The key algorithm is in the ListCertificates summary already, so only a
    certificate with the same key is read: one GetCertificate per candidate, and the search stops at the
    first that fits, so a plain renewal costs one call more than before.
    """
    algorithm = key_algorithm(renewal)
    passed_over: dict[str, str] = {}
    for certificate in managed:
        if certificate.key_algorithm and certificate.key_algorithm != algorithm:
            passed_over[certificate.arn] = (f"ACM re-imports only with the same key type and size, and its key is "
                                            f"{certificate.key_algorithm}, the renewal's {algorithm}")
            continue
        old = _parsed(dal.get_certificate_pem(acm, certificate.arn))
        if old is None:
            passed_over[certificate.arn] = "its certificate could not be read from ACM (acm:GetCertificate) to compare"
            continue
        refusal = reimport_refusal(old, renewal)
        if refusal is None:
            return certificate.arn, passed_over
        passed_over[certificate.arn] = refusal
    return None, passed_over


def _import(acm: ACMClient, checked: CheckedCertificate, tags: dict[str, str], certificate_arn: str | None) -> str:
    return dal.import_certificate(
        acm,
        certificate_pem=checked.certificate_pem,
        private_key_pem=checked.private_key_pem,
        chain_pem=checked.chain_pem,
        tags=tags,
        certificate_arn=certificate_arn,
    )


def _left_warnings(acm: ACMClient, others: list[ManagedCertificate], checked: CheckedCertificate, arn: str,
                   host: str) -> list[str]:
    """The warnings of the import an earlier attempt made: none if one of ``others`` would take a re-import
    (the attempt re-imported, into ``arn``), else each of them left in ACM with why (a fresh import).

    Two cases it cannot tell from an undisturbed run's: a re-import into ``arn`` while a later certificate would
    not have taken it either (warnings then, none undisturbed), and ACM refusing a re-import reimport.py did not
    foresee (the reason reads "ACM cannot take the renewal into it"); both need two earlier certificates of ours.
    """
    if not others:
        return []
    previous, passed_over = choose_reimport_target(acm, others, checked.certificate)
    if previous is not None:
        return []
    return [_left_warning(certificate.arn, passed_over, host, key_algorithm(checked.certificate), arn)
            for certificate in others]


def _left_warning(left: str, passed_over: dict[str, str], host: str, algorithm: str, arn: str) -> str:
    """The warning import_from_secret gives for ``left`` (the same words)."""
    return (f"The earlier certificate {left} for {host} is left in ACM: "
            f"{passed_over.get(left, 'ACM cannot take the renewal into it')}; so the renewed {algorithm} "
            f"certificate is {arn}. Delete the old one once nothing uses it (the undo does).")


def use_existing(certificate_arn: str, host: str, *, acm: ACMClient, now: dt.datetime) -> CertificateResult:
    """A certificate already in ACM (issued by ACM, or imported by someone else): checked, never changed."""
    described = dal.describe_certificate(acm, certificate_arn)
    status = described.get("Status", "UNKNOWN")
    if status != "ISSUED":
        raise CertificateInvalid(f"certificate.certificateArn: {certificate_arn} is {status}, not ISSUED")
    names = list(described.get("SubjectAlternativeNames") or [])
    if described.get("DomainName") and described["DomainName"] not in names:
        names.append(described["DomainName"])
    if not host_covered(host, names):
        raise CertificateInvalid(
            f"certificate.certificateArn: {certificate_arn} does not cover host {host}; "
            f"its names are {', '.join(names) or 'none'}"
        )
    not_after = _as_datetime(described.get("NotAfter"))
    if not_after is None:
        raise CertificateInvalid(f"certificate.certificateArn: {certificate_arn} has no expiry date; is it issued?")
    fingerprint = _fingerprint_of(dal.get_certificate_pem(acm, certificate_arn))
    logger.info(
        "using certificate already in ACM",
        extra={"certificateArn": certificate_arn, "host": host, "notAfter": _iso(not_after)},
    )
    return _result(certificate_arn, imported=False, not_after=not_after, fingerprint=fingerprint, now=now)


def _result(
    arn: str, *, imported: bool, not_after: dt.datetime, fingerprint: str, now: dt.datetime,
    warnings: list[str] | None = None,
) -> CertificateResult:
    return CertificateResult(
        certificate_arn=arn,
        certificate_imported=imported,
        not_after=_iso(not_after),
        days_until_expiry=(not_after - now) // dt.timedelta(days=1),
        fingerprint_sha256=fingerprint,
        warnings=warnings or [],
    )


def _parsed(pem: str | None) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(pem.encode()) if pem else None
    except ValueError:
        return None


def _fingerprint_of(pem: str | None) -> str:
    """Informational only: an unreadable body must not fail a certificate ACM says is fine."""
    certificate = _parsed(pem)
    return fingerprint_sha256(certificate) if certificate else ""


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    return None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
