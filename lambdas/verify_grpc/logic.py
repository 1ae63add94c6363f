"""VerifyGrpc: prove that Milvus answers gRPC through the new ALB, over TLS, as the host clients will use.

This is the gate before the Layer-4 load balancer goes away, so it checks what
clients will see: the ALB's name resolves, its listener presents for
``host`` the certificate this run imported (compared by SHA-256 in ``layer7.served_certificate``:
after a rotation, what shows the new one is live), trusted for ``host``
(system roots plus the imported chain, so a private CA works), the host rule
routes ``:authority = host`` to Milvus, and Milvus answers. Every
failure is ``VerificationFailed``, which the state machine retries with
backoff: a new ALB's name takes a minute or two to resolve, its targets a
little longer to turn healthy, and a re-imported certificate a moment to reach
the listener.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from layer7.aws import error_code, raise_if_transient
from layer7.errors import CertificateNotFound, VerificationFailed
from layer7.milvus_grpc import ask_milvus, describe_failure, read_token, write_ca_bundle
from layer7.models import AlbVerificationResult, VerifyGrpcEvent
from layer7.served_certificate import PresentedCertificate, check_presented, expected_fingerprint, presented_certificate

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_acm import ACMClient
    from types_boto3_secretsmanager import SecretsManagerClient

_READING_CERTIFICATE = "reading the certificate it presents"


def endpoint_of(event: VerifyGrpcEvent) -> tuple[str, int]:
    """The ALB's name and listener port, or VerificationFailed when CheckLoadBalancer gave no name."""
    load_balancer = event.load_balancer
    if not load_balancer.dns_name:
        raise VerificationFailed("the load balancer has no DNS name yet; CheckLoadBalancer should have waited for it")
    return load_balancer.dns_name, load_balancer.listen_port


def check_resolves(dns_name: str, port: int, resolve: Callable[..., Any] = socket.getaddrinfo) -> None:
    """Fail fast, with the reason, while the ALB's name is not yet in DNS."""
    try:
        resolve(dns_name, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise VerificationFailed(
            f"the ALB's name {dns_name} does not resolve yet ({exc}); a new ALB takes a minute or two "
            "to appear in DNS, and the workflow retries. If it never resolves, check that the Lambda's "
            "VPC resolves public names"
        ) from exc


def imported_certificate(acm: ACMClient, certificate_arn: str) -> tuple[str, str]:
    """The certificate (PEM) and the chain imported with it (issuers, PEM; '' when there is none)."""
    try:
        answer = acm.get_certificate(CertificateArn=certificate_arn)
    except ClientError as exc:
        raise_if_transient(exc, "reading the certificate chain from ACM")
        if error_code(exc) == "ResourceNotFoundException":
            raise CertificateNotFound(f"the ACM certificate {certificate_arn} no longer exists") from exc
        raise VerificationFailed(
            f"cannot read the certificate chain of {certificate_arn} from ACM: {error_code(exc)}"
        ) from exc
    return str(answer.get("Certificate") or ""), str(answer.get("CertificateChain") or "")


# What the gRPC error says -> what a person should look at. First match wins.
_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("Hostname Verification", "CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "Tls handshake failed"),
        "The certificate the ALB serves is not trusted for {host}: check the Ingress's certificate-arn, that "
        "the certificate names {host}, and for a private CA that certificateChain was imported with it",
    ),
    (
        ("status: 404", "UNIMPLEMENTED"),
        "The ALB answered but no rule matched: check that the Ingress rule's host is {host} and that "
        "backend-protocol-version is GRPC",
    ),
    (
        ("status: 502", "status: 503", "status: 504"),
        "The ALB answered but could not reach Milvus: check the target group's health (GRPC health check, "
        "success code 12) and the Ingress backend's service name and port",
    ),
    (
        ("UNAUTHENTICATED", "PERMISSION_DENIED", "authenticat", "credential", "password"),
        "Milvus refused the credentials: check the secret in verify.tokenSecretArn",
    ),
    (
        ("Connection refused", "Connection reset", "timed out", "Timeout", "DEADLINE_EXCEEDED", "Socket closed"),
        "Nothing answered on {endpoint}: check the ALB's listen-ports annotation and that its security group "
        "lets this function in; a new ALB may also still be provisioning",
    ),
)
_DEFAULT_HINT = (
    "Check the ALB's HTTPS listener on {endpoint} and its certificate for {host}, the Ingress rule's host, "
    "the security group, and the target group's health"
)


def _hint(reason: str, endpoint: str, host: str) -> str:
    for needles, hint in _HINTS:
        if any(needle.lower() in reason.lower() for needle in needles):
            return hint.format(endpoint=endpoint, host=host)
    return _DEFAULT_HINT.format(endpoint=endpoint, host=host)


def verify(
    event: VerifyGrpcEvent,
    *,
    acm: ACMClient,
    secrets: SecretsManagerClient,
    timeout_seconds: float | None = None,
    resolve: Callable[..., Any] = socket.getaddrinfo,
    client_factory: Callable[..., Any] | None = None,
    present: Callable[..., PresentedCertificate] = presented_certificate,
) -> AlbVerificationResult:
    """Read the certificate the ALB presents for ``request.host``, then call Milvus through it and measure it.

    ``timeout_seconds`` caps ``request.verify.timeoutSeconds`` (the handler
    passes what the invocation has left); ``resolve``, ``client_factory`` and
    ``present`` are there for tests.
    """
    request = event.request
    dns_name, port = endpoint_of(event)
    endpoint = f"{dns_name}:{port}"
    budget = float(timeout_seconds if timeout_seconds is not None else request.verify.timeout_seconds)
    started = time.monotonic()
    check_resolves(dns_name, port, resolve)
    token = read_token(secrets, request.verify.token_secret_arn)
    certificate_pem, chain_pem = imported_certificate(acm, event.certificate.certificate_arn)
    expected = expected_fingerprint(event.certificate.fingerprint_sha256, certificate_pem)
    bundle = write_ca_bundle(chain_pem)

    def failure(stage: str, reason: str) -> VerificationFailed:
        return VerificationFailed(
            f"{'TLS' if stage == _READING_CERTIFICATE else 'gRPC over TLS'} to {endpoint} as "
            f"{request.host} failed while {stage}: {reason}. {_hint(reason, endpoint, request.host)}"
        )

    try:
        try:
            presented = present(dns_name, port, request.host, bundle, budget)
        except VerificationFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of the check is the contract's VerificationFailed
            raise failure(_READING_CERTIFICATE, describe_failure(exc, token)) from None
        check_presented(presented, expected, endpoint=endpoint, host=request.host,
                        arn=event.certificate.certificate_arn)  # fmt: skip
        version, latency_ms = ask_milvus(
            f"https://{endpoint}", token=token, budget=max(budget - (time.monotonic() - started), 0.001),
            round_trip=request.verify.round_trip, client_factory=client_factory,
            server_name=request.host, server_pem_path=bundle, failure=failure,
        )
    finally:
        os.unlink(bundle)
    return AlbVerificationResult(
        endpoint=endpoint,
        server_name=request.host,
        server_version=version,
        latency_ms=latency_ms,
        round_trip=request.verify.round_trip,
        certificate_fingerprint_sha256=presented.fingerprint_sha256,
        tls_version=presented.tls_version,
    )
