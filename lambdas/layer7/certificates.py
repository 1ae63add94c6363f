"""Checks a certificate bundle the way ACM and a TLS client will, before anything is changed.

ACM rejects some bad bundles at import with terse messages, and accepts others
(a host the certificate does not name, a chain in the wrong order) that only
fail later, at the ALB or in the client's handshake. Checking here turns each
of those into a ``CertificateInvalid`` that says what to fix.

Every message is built from fixed text, field names and certificate metadata
(subjects, dates, sizes): never from the key, and never from a parser's own
message, which might quote what it could not parse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

from layer7.errors import CertificateInvalid

# ACM's ImportCertificate limits (docs/REFERENCE.md, "ACM ImportCertificate"). RSA 1024
# is importable but too weak to put in front of a database: not accepted here.
MAX_PRIVATE_KEY_PEM_BYTES = 5120
RSA_KEY_SIZES = (2048, 3072, 4096)
EC_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
_ACCEPTED = "RSA 2048, 3072 or 4096 bits, or EC P-256, P-384 or P-521"


@dataclass(frozen=True)
class CheckedCertificate:
    """A bundle that passed every check, with the PEM text to hand to ACM."""

    certificate: x509.Certificate
    certificate_pem: str
    private_key_pem: str
    chain_pem: str | None
    fingerprint_sha256: str
    not_after: dt.datetime

    def __repr__(self) -> str:
        # A dataclass repr would print the private key into any log or traceback.
        subject = self.certificate.subject.rfc4514_string()
        return f"CheckedCertificate(subject={subject!r}, fingerprint={self.fingerprint_sha256!r})"


def fingerprint_sha256(certificate: x509.Certificate) -> str:
    """SHA-256 of the leaf's DER, lowercase hex: how the product recognises a certificate it imported."""
    return certificate.fingerprint(hashes.SHA256()).hex()


def host_matches(host: str, name: str) -> bool:
    """RFC 6125 matching, the way ALB and TLS clients do it: a wildcard stands for exactly one whole left-most label."""
    host = host.lower().rstrip(".")
    name = name.lower().rstrip(".")
    if not name.startswith("*."):
        return host == name
    host_first, _, host_rest = host.partition(".")
    return bool(host_first) and bool(host_rest) and host_rest == name[2:]


def host_covered(host: str, names: Iterable[str]) -> bool:
    return any(host_matches(host, name) for name in names)


def dns_names(certificate: x509.Certificate) -> list[str]:
    """The certificate's DNS subjectAltNames; the CN is ignored, as browsers and gRPC clients ignore it."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return extension.value.get_values_for_type(x509.DNSName)


def check_bundle(
    certificate_pem: str,
    private_key_pem: str,
    chain_pem: str | None,
    host: str,
    now: dt.datetime | None = None,
) -> CheckedCertificate:
    """Every check, cheapest and most fundamental first, so the first failure is the one to fix."""
    now = now or dt.datetime.now(dt.UTC)
    certificate = parse_certificate(certificate_pem)
    private_key = parse_private_key(private_key_pem)
    check_key_matches(certificate, private_key)
    check_validity(certificate, now)
    check_host(certificate, host)
    chain_pem = chain_pem.strip() if chain_pem and chain_pem.strip() else None
    if chain_pem:
        check_chain(certificate, parse_chain(chain_pem))
    return CheckedCertificate(
        certificate=certificate,
        certificate_pem=certificate_pem.strip() + "\n",
        private_key_pem=private_key_pem.strip() + "\n",
        chain_pem=chain_pem + "\n" if chain_pem else None,
        fingerprint_sha256=fingerprint_sha256(certificate),
        not_after=certificate.not_valid_after_utc,
    )


def parse_certificate(certificate_pem: str) -> x509.Certificate:
    certificates = _load_certificates(certificate_pem, "certificate")
    if len(certificates) != 1:
        raise CertificateInvalid(
            f"certificate: holds {len(certificates)} certificates; put only the server's own certificate "
            "there and its issuers, issuer first, in certificateChain"
        )
    return certificates[0]


def parse_chain(chain_pem: str) -> list[x509.Certificate]:
    return _load_certificates(chain_pem, "certificateChain")


def parse_private_key(private_key_pem: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    """The key, if ACM would take it: unencrypted PEM of at most 5,120 bytes, RSA or a NIST curve."""
    if not isinstance(private_key_pem, str) or "-----BEGIN" not in private_key_pem:
        raise CertificateInvalid("privateKey: not a PEM private key (no -----BEGIN line)")
    size = len(private_key_pem.strip().encode())
    if size > MAX_PRIVATE_KEY_PEM_BYTES:
        raise CertificateInvalid(
            f"privateKey: the PEM is {size} bytes; ACM accepts at most {MAX_PRIVATE_KEY_PEM_BYTES} ({_ACCEPTED})"
        )
    if "ENCRYPTED" in private_key_pem:
        raise CertificateInvalid(
            "privateKey: is encrypted; ACM needs it unencrypted (openssl pkey -in key.pem -out plain.pem)"
        )
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    except Exception:  # noqa: BLE001 - see module docstring: never the parser's message
        raise CertificateInvalid("privateKey: not a readable unencrypted PEM private key") from None
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size not in RSA_KEY_SIZES:
            raise CertificateInvalid(f"privateKey: RSA {key.key_size} bits is not accepted; use {_ACCEPTED}")
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in EC_CURVES:
            raise CertificateInvalid(f"privateKey: EC curve {key.curve.name} is not accepted; use {_ACCEPTED}")
        return key
    raise CertificateInvalid(
        f"privateKey: {type(key).__name__.removesuffix('PrivateKey')} keys are not accepted; use {_ACCEPTED}"
    )


def check_key_matches(
    certificate: x509.Certificate, private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
) -> None:
    def spki(public_key: CertificatePublicKeyTypes) -> bytes:
        der, info = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        return public_key.public_bytes(der, info)

    if spki(certificate.public_key()) != spki(private_key.public_key()):
        raise CertificateInvalid(
            f"privateKey: does not match the certificate for {_subject(certificate)}; "
            "the secret holds the key of another certificate"
        )


def check_validity(certificate: x509.Certificate, now: dt.datetime) -> None:
    not_before, not_after = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if now < not_before:
        raise CertificateInvalid(f"certificate: not valid yet (notBefore {_iso(not_before)}, now {_iso(now)})")
    if now > not_after:
        raise CertificateInvalid(f"certificate: expired (notAfter {_iso(not_after)}, now {_iso(now)})")


def check_host(certificate: x509.Certificate, host: str) -> None:
    names = dns_names(certificate)
    if not names:
        raise CertificateInvalid(
            f"certificate: has no DNS subjectAltName, so it covers no host; reissue it with {host} as a DNS name"
        )
    if not host_covered(host, names):
        raise CertificateInvalid(f"certificate: does not cover host {host}; its DNS names are {', '.join(names)}")


def check_chain(leaf: x509.Certificate, chain: list[x509.Certificate]) -> None:
    """Issuer first, each certificate certifying the one before it, the leaf not repeated."""
    leaf_fingerprint = fingerprint_sha256(leaf)
    for index, issuer in enumerate(chain):
        if fingerprint_sha256(issuer) == leaf_fingerprint:
            raise CertificateInvalid(
                f"certificateChain: certificate {index + 1} is the server certificate itself; "
                "list only its issuers, issuer first"
            )
    previous = leaf
    for index, issuer in enumerate(chain):
        if not _issued_by(previous, issuer):
            hint = (
                " (the chain is in reverse order: list the issuer of the certificate first, the root last)"
                if len(chain) > 1 and _is_valid_chain(leaf, list(reversed(chain)))
                else ""
            )
            raise CertificateInvalid(
                f"certificateChain: certificate {index + 1} ({_subject(issuer)}) did not issue "
                f"{_subject(previous)}{hint}; list the issuers in order, issuer first"
            )
        previous = issuer


def _is_valid_chain(leaf: x509.Certificate, chain: list[x509.Certificate]) -> bool:
    previous = leaf
    for issuer in chain:
        if not _issued_by(previous, issuer):
            return False
        previous = issuer
    return True


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _load_certificates(pem: str, field: str) -> list[x509.Certificate]:
    if not isinstance(pem, str) or "-----BEGIN CERTIFICATE-----" not in pem:
        raise CertificateInvalid(f"{field}: not a PEM certificate (no -----BEGIN CERTIFICATE----- line)")
    if "PRIVATE KEY" in pem:
        raise CertificateInvalid(f"{field}: holds a private key; the key belongs in privateKey only")
    try:
        return x509.load_pem_x509_certificates(pem.encode())
    except Exception:  # noqa: BLE001 - see module docstring: never the parser's message
        raise CertificateInvalid(f"{field}: a PEM block could not be read as an X.509 certificate") from None


def _subject(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string() or "an empty subject"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
