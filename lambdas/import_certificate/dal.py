"""ACM and Secrets Manager calls, with their faults sorted into the contract's errors.

Clients are passed in (the handler makes them, tests hand in moto's), so the
logic never knows where AWS is. Throttling and 5xx become ``TransientError``
for the state machine to retry; "not there" and "not allowed" become
``CertificateNotFound``, which no retry would fix.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from layer7.aws import error_code, raise_if_transient
from layer7.errors import CertificateInvalid, CertificateNotFound

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_acm import ACMClient
    from types_boto3_acm.type_defs import CertificateDetailTypeDef, TagTypeDef
    from types_boto3_secretsmanager import SecretsManagerClient


_NOT_FOUND = frozenset({"ResourceNotFoundException", "InvalidArnException"})
_NOT_READABLE = frozenset({"AccessDeniedException", "AccessDenied", "DecryptionFailure", "InvalidRequestException"})

# botocore's DEBUG lines quote request and response bodies, which here are the
# secret's value and ImportCertificate's PrivateKey: a function log level of
# DEBUG must not put the key in CloudWatch.
for _name in ("botocore", "urllib3"):
    logging.getLogger(_name).setLevel(max(logging.getLogger(_name).level, logging.INFO))


@dataclass(frozen=True)
class SecretBundle:
    certificate: str
    private_key: str = field(repr=False)
    certificate_chain: str | None = None


class ReimportRefused(Exception):  # noqa: N818 - a refusal, handled by logic, never a contract error
    """ACM refused to re-import into an existing ARN (ValidationException); a fresh import may still be accepted."""

    def __init__(self, certificate_arn: str, message: str) -> None:
        super().__init__(f"ACM refused to re-import into {certificate_arn}: {message}")
        self.certificate_arn = certificate_arn
        self.message = message  # ACM's own reason; it describes the bundle, it never quotes it


def read_certificate_secret(secretsmanager: SecretsManagerClient, secret_arn: str) -> SecretBundle:
    try:
        answer = secretsmanager.get_secret_value(SecretId=secret_arn)
    except ClientError as exc:
        raise_if_transient(exc, "secretsmanager:GetSecretValue")
        code = error_code(exc)
        if code in _NOT_FOUND:
            raise CertificateNotFound(f"certificate.secretArn: secret {secret_arn} does not exist") from None
        if code in _NOT_READABLE:
            raise CertificateNotFound(
                f"certificate.secretArn: secret {secret_arn} cannot be read ({code}); the workflow's role needs "
                "secretsmanager:GetSecretValue on it, and kms:Decrypt on its key if it uses a customer managed key"
            ) from None
        raise
    text = answer.get("SecretString")
    if text is None:
        raise CertificateInvalid(
            f"certificate.secretArn: secret {secret_arn} holds binary data; store a JSON string instead"
        )
    try:
        value = json.loads(text)
    except ValueError:
        # json's message quotes the text around the fault, which may be key material.
        value = None
    if not isinstance(value, dict):
        raise CertificateInvalid(
            f"certificate.secretArn: secret {secret_arn} is not a JSON object with certificate, privateKey "
            "and optional certificateChain"
        ) from None
    missing = [
        name
        for name in ("certificate", "privateKey")
        if not isinstance(value.get(name), str) or not value[name].strip()
    ]
    if missing:
        raise CertificateInvalid(
            f"certificate.secretArn: secret {secret_arn} has no {' or '.join(missing)} (a PEM string)"
        )
    chain = value.get("certificateChain")
    if chain is not None and not isinstance(chain, str):
        raise CertificateInvalid(f"certificate.secretArn: secret {secret_arn}: certificateChain must be a PEM string")
    return SecretBundle(value["certificate"], value["privateKey"], chain or None)


def import_certificate(
    acm: ACMClient,
    *,
    certificate_pem: str,
    private_key_pem: str,
    chain_pem: str | None,
    tags: dict[str, str],
    certificate_arn: str | None = None,
) -> str:
    """A fresh import carries its tags; a re-import into ``certificate_arn`` cannot, so they are written after it.

    ACM refusing a re-import is ``ReimportRefused`` (the caller may import fresh instead); refusing a fresh
    import is ``CertificateInvalid``.
    """
    params: dict[str, Any] = {"Certificate": certificate_pem.encode(), "PrivateKey": private_key_pem.encode()}
    if chain_pem:
        params["CertificateChain"] = chain_pem.encode()
    if certificate_arn:
        params["CertificateArn"] = certificate_arn
    else:
        params["Tags"] = _tag_list(tags)
    try:
        arn = acm.import_certificate(**params)["CertificateArn"]
    except ClientError as exc:
        raise_if_transient(exc, "acm:ImportCertificate")
        if error_code(exc) == "ValidationException":
            # ACM's own reason; it describes the bundle, it never quotes it.
            message = exc.response["Error"].get("Message", "")
            if certificate_arn:
                raise ReimportRefused(certificate_arn, message) from None
            raise CertificateInvalid(f"ACM refused the certificate: {message}") from None
        raise
    if certificate_arn:
        try:
            acm.add_tags_to_certificate(CertificateArn=arn, Tags=_tag_list(tags))
        except ClientError as exc:
            raise_if_transient(exc, "acm:AddTagsToCertificate")
            raise
    return arn


def describe_certificate(acm: ACMClient, certificate_arn: str) -> CertificateDetailTypeDef:
    try:
        return acm.describe_certificate(CertificateArn=certificate_arn)["Certificate"]
    except ClientError as exc:
        raise_if_transient(exc, "acm:DescribeCertificate")
        code = error_code(exc)
        if code in _NOT_FOUND:
            raise CertificateNotFound(
                f"certificate.certificateArn: {certificate_arn} is not in ACM in this account and region"
            ) from None
        if code in _NOT_READABLE:
            raise CertificateNotFound(
                f"certificate.certificateArn: {certificate_arn} cannot be read ({code}); "
                "the workflow's role needs acm:DescribeCertificate"
            ) from None
        raise


def get_certificate_pem(acm: ACMClient, certificate_arn: str) -> str | None:
    """The certificate body, or None when it cannot be read: it only serves the fingerprint in the output."""
    try:
        return acm.get_certificate(CertificateArn=certificate_arn).get("Certificate")
    except ClientError as exc:
        raise_if_transient(exc, "acm:GetCertificate")
        return None


def _tag_list(tags: dict[str, str]) -> list[TagTypeDef]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]
