"""A throwaway CA and server certificates, for the sandbox and the tests.

The sandbox needs a certificate that a real TLS client accepts for its host
(the CA goes to pymilvus as ``server_pem_path``); the tests need certificates
that break one rule at a time (wrong key size, expired, host not named, chain
out of order). One small generator serves both, so the tests exercise the same
kind of bundle an operator would store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# rsa1024 and rsa8192 exist to be refused (too weak; PEM over ACM's 5,120 bytes).
KEY_TYPES = ("rsa2048", "rsa3072", "rsa4096", "ec256", "ec384", "ec521", "rsa1024", "rsa8192")
_CURVES: dict[str, Callable[[], ec.EllipticCurve]] = {
    "ec256": ec.SECP256R1, "ec384": ec.SECP384R1, "ec521": ec.SECP521R1}


@dataclass(frozen=True)
class Issued:
    """A certificate with its key; ``issuer`` is None for a self-signed root."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = field(repr=False)
    issuer: Issued | None = field(default=None, repr=False)

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def private_key_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    @property
    def fingerprint_sha256(self) -> str:
        """Hex SHA-256 of the DER, as ImportCertificate records it and a TLS client sees it."""
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    @property
    def chain_pem(self) -> str:
        """The issuers, issuer first, root last, without this certificate: what ACM wants as CertificateChain."""
        pems, issuer = [], self.issuer
        while issuer is not None:
            pems.append(issuer.certificate_pem)
            issuer = issuer.issuer
        return "".join(pems)

    @property
    def root(self) -> Issued:
        return self.issuer.root if self.issuer is not None else self


def make_key(key_type: str = "ec256") -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if key_type in _CURVES:
        return ec.generate_private_key(_CURVES[key_type]())
    if key_type.startswith("rsa") and key_type in KEY_TYPES:
        return rsa.generate_private_key(public_exponent=65537, key_size=int(key_type[3:]))
    raise ValueError(f"key_type must be one of {', '.join(KEY_TYPES)}")


def make_ca(common_name: str, key_type: str = "ec256", *, issuer: Issued | None = None, days: int = 3650) -> Issued:
    """A root CA, or an intermediate one when ``issuer`` is given."""
    key = make_key(key_type)
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        _builder(
            name,
            issuer.certificate.subject if issuer else name,
            key,
            now - dt.timedelta(hours=1),
            now + dt.timedelta(days=days),
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.private_key.public_key()), critical=False
        )
    signer = issuer.private_key if issuer else key
    return Issued(builder.sign(signer, hashes.SHA256()), key, issuer)


def make_leaf(
    ca: Issued,
    host_names: list[str] | tuple[str, ...],
    key_type: str = "ec256",
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | None = None,
    key_usage: Collection[str] | None = None,
    extended_key_usage: Collection[x509.ObjectIdentifier] | None = (ExtendedKeyUsageOID.SERVER_AUTH,),
) -> Issued:
    """A server certificate for ``host_names`` (DNS subjectAltNames; the first is also the CN).

    ``key_usage`` names KeyUsage bits as RFC 5280 does (digitalSignature, keyEncipherment, ...; None: no
    KeyUsage extension, the default); ``extended_key_usage`` lists the EKU purposes (None: no such extension).
    ACM's re-import rules turn on both.
    """
    key = key or make_key(key_type)
    now = dt.datetime.now(dt.UTC)
    not_before = not_before or now - dt.timedelta(hours=1)
    not_after = not_after or now + dt.timedelta(days=90)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_names[0] if host_names else "no-names")])
    builder = _builder(subject, ca.certificate.subject, key, not_before, not_after)
    if host_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in host_names]), critical=False
        )
    builder = (
        builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()), critical=False)
    )
    if key_usage is not None:
        builder = builder.add_extension(_key_usage(key_usage), critical=True)
    if extended_key_usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(extended_key_usage)), critical=False)
    return Issued(builder.sign(ca.private_key, hashes.SHA256()), key, ca)


_KEY_USAGE_BITS = {
    "digitalSignature": "digital_signature", "nonRepudiation": "content_commitment",
    "keyEncipherment": "key_encipherment", "dataEncipherment": "data_encipherment", "keyAgreement": "key_agreement",
    "keyCertSign": "key_cert_sign", "cRLSign": "crl_sign", "encipherOnly": "encipher_only",
    "decipherOnly": "decipher_only",
}


def _key_usage(names: Collection[str]) -> x509.KeyUsage:
    unknown = set(names) - set(_KEY_USAGE_BITS)
    if unknown:
        raise ValueError(f"key_usage: unknown {', '.join(sorted(unknown))}; use {', '.join(_KEY_USAGE_BITS)}")
    return x509.KeyUsage(**{bit: name in names for name, bit in _KEY_USAGE_BITS.items()})


def write_cert_dir(directory: str | Path, host: str, key_type: str = "ec256", *,
                   not_after: dt.datetime | None = None) -> Issued:
    """certificate.pem, private-key.pem and chain.pem (the CA) for ``host``: the sandbox's --cert-dir layout.

    ``not_after`` (default 90 days from now) lets a rotation test tell two certificates apart by expiry.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    leaf = make_leaf(make_ca("milvus-layer7 sandbox CA", key_type), [host], key_type, not_after=not_after)
    (directory / "certificate.pem").write_text(leaf.certificate_pem)
    key_path = directory / "private-key.pem"
    key_path.touch(mode=0o600)
    key_path.write_text(leaf.private_key_pem)
    (directory / "chain.pem").write_text(leaf.chain_pem)
    return leaf


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
