"""What the ALB's HTTPS listener presents for ``host``: which certificate, over which TLS version.

Why: the gRPC call proves that a certificate trusted for ``host`` is served,
not which one. After a rotation the ALB may still present the previous
certificate, trusted and naming ``host`` as well; only its fingerprint tells
the two apart. So VerifyGrpc reads the leaf the listener presents in a TLS
handshake of its own, with SNI = ``host`` (as clients connect; the ALB picks
the certificate by SNI), to the ALB's name and listener port, trusting the
same CA bundle as the gRPC call, and compares its SHA-256 with the
certificate this run imported. CheckDrift makes the same handshake later, against the
certificate ACM holds for the ARN the listener names.

A handshake the CA bundle cannot verify is made again without verification,
only to learn what is presented: a stale certificate from another CA is then
reported as stale, not merely as untrusted.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
from dataclasses import dataclass

from layer7.errors import VerificationFailed


@dataclass(frozen=True)
class PresentedCertificate:
    """The leaf the listener presented and the TLS version negotiated."""

    fingerprint_sha256: str  # hex of SHA-256 over the DER, as layer7.certificates.fingerprint_sha256 writes it
    tls_version: str  # ssl.SSLSocket.version(): "TLSv1.3", "TLSv1.2"
    trusted: bool  # verified against the CA bundle, for host
    problem: str = ""  # why it could not be verified, when it could not


def _context(ca_bundle: str | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # what any current gRPC client would accept at least
    context.set_alpn_protocols(["h2"])  # gRPC's, so the listener answers as it answers gRPC clients
    if ca_bundle is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context.load_verify_locations(cafile=ca_bundle)
    return context


def _handshake(context: ssl.SSLContext, dns_name: str, port: int, host: str, timeout: float) -> tuple[bytes, str]:
    with socket.create_connection((dns_name, port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
            if not der:
                raise ssl.SSLError("the listener presented no certificate")
            return der, str(tls.version())


def presented_certificate(dns_name: str, port: int, host: str, ca_bundle: str, timeout: float) -> PresentedCertificate:
    """One handshake as ``host``; raises OSError / ssl.SSLError when none completes."""
    try:
        der, version = _handshake(_context(ca_bundle), dns_name, port, host, timeout)
        return PresentedCertificate(hashlib.sha256(der).hexdigest(), version, trusted=True)
    except ssl.SSLCertVerificationError as exc:
        problem = str(exc.verify_message or exc.reason or exc)
    der, version = _handshake(_context(None), dns_name, port, host, timeout)
    return PresentedCertificate(hashlib.sha256(der).hexdigest(), version, trusted=False, problem=problem)


def same_fingerprint(first: str, second: str) -> bool:
    """Hex fingerprints compared as AWS and OpenSSL write them too (any case, with or without colons)."""
    def norm(value: str) -> str:
        return value.replace(":", "").strip().lower()

    return norm(first) == norm(second)


def expected_fingerprint(recorded: str, certificate_pem: str) -> str:
    """The SHA-256 of the certificate this run imported (``$.certificate.fingerprintSha256``), else of the one
    ACM holds now (ImportCertificate leaves it empty when it could not read an existing certificate's body)."""
    if recorded:
        return recorded
    # Only on this path: cryptography's x509 is about a tenth of a second of VerifyGrpc's and CheckDrift's cold
    # import (issue 22), and a run that imported its certificate has the fingerprint recorded.
    from cryptography import x509  # noqa: PLC0415

    from layer7.certificates import fingerprint_sha256  # noqa: PLC0415

    try:
        return fingerprint_sha256(x509.load_pem_x509_certificate(certificate_pem.encode())) if certificate_pem else ""
    except ValueError:
        return ""


def check_presented(presented: PresentedCertificate, expected: str, *, endpoint: str, host: str, arn: str) -> None:
    """VerificationFailed when the listener presents another certificate than the one this run imported."""
    if not expected or same_fingerprint(presented.fingerprint_sha256, expected):
        return
    untrusted = f" (and not trusted for {host}: {presented.problem})" if not presented.trusted else ""
    raise VerificationFailed(
        f"the ALB on {endpoint} still serves another certificate for {host}: SHA-256 "
        f"{presented.fingerprint_sha256}{untrusted}, not {expected}, the one this run imported into {arn}. "
        "The endpoint does not yet serve the new certificate: a re-import takes a moment to reach the ALB (the "
        f"workflow retries); if it persists, check that the Ingress's certificate-arn is {arn} and that no other "
        f"certificate on the listener names {host}"
    )
