"""VerifyLayer4: the gate before DNS moves back and the ALB goes, as VerifyGrpc is setup's gate.

A Layer-4 load balancer passes TCP through, so what answers is Milvus
itself: plain gRPC, or TLS when Milvus terminates it (``layer4Verify.tls``,
trusting the runtime's root certificates and checking ``serverName``,
default ``host``). The same call as VerifyGrpc's (``layer7.milvus_grpc.ask_milvus``):
the server's version, with Milvus credentials from ``tokenSecretArn`` when
given. Every failure is ``VerificationFailed``, retried by the state machine
as a new load balancer's name takes a while to resolve and its targets to
register.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from layer7.errors import VerificationFailed
from layer7.milvus_grpc import ask_milvus, read_token, write_ca_bundle
from layer7.models import VerificationResult
from layer7.undo_models import VerifyLayer4Event

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_secretsmanager import SecretsManagerClient

_HINTS = (
    (("Connection refused", "Connection reset", "timed out", "Timeout", "DEADLINE_EXCEEDED", "UNAVAILABLE",
      "Socket closed"),
     "Nothing answered on {endpoint}: check the Service's port (layer4Verify.port), its loadBalancerSourceRanges "
     "and the load balancer's security group for the functions' subnets; a new load balancer may also still be "
     "registering its targets"),
    (("CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "Hostname Verification", "Tls handshake failed",
      "WRONG_VERSION_NUMBER", "wrong version number"),
     "The TLS handshake with Milvus failed: with tls true Milvus must serve TLS itself (common.security.tlsMode) "
     "with a certificate for {server_name} from a public authority; without TLS on Milvus, set tls false"),
    (("UNAUTHENTICATED", "PERMISSION_DENIED", "authenticat", "credential", "password"),
     "Milvus refused the credentials: check the secret in layer4Verify.tokenSecretArn"),
)


def _hint(reason: str, endpoint: str, server_name: str) -> str:
    for needles, hint in _HINTS:
        if any(needle.lower() in reason.lower() for needle in needles):
            return hint.format(endpoint=endpoint, server_name=server_name)
    return f"Check that {endpoint} reaches the Milvus proxy and that layer4Verify matches how Milvus serves"


def verify_layer4(
    event: VerifyLayer4Event,
    *,
    secrets: SecretsManagerClient,
    timeout_seconds: float | None = None,
    resolve: Callable[..., Any] = socket.getaddrinfo,
    client_factory: Callable[..., Any] | None = None,
) -> VerificationResult:
    settings, layer4 = event.request.layer4_verify, event.layer4
    if not layer4.address:
        raise VerificationFailed("the Layer-4 load balancer has no address yet; CheckLayer4 should have waited")
    endpoint = f"{layer4.address}:{settings.port}"
    try:
        resolve(layer4.address, settings.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise VerificationFailed(
            f"the Layer-4 load balancer's name {layer4.address} does not resolve yet ({exc}); a new load balancer "
            "takes a minute or two to appear in DNS, and the workflow retries"
        ) from exc
    budget = float(timeout_seconds if timeout_seconds is not None else settings.timeout_seconds)
    token = read_token(secrets, settings.token_secret_arn)
    how = f"TLS as {settings.server_name}" if settings.tls else "plain gRPC"

    def failure(stage: str, reason: str) -> VerificationFailed:
        return VerificationFailed(f"{how} to {endpoint} (the Service's Layer-4 load balancer) failed while "
                                  f"{stage}: {reason}. {_hint(reason, endpoint, settings.server_name)}. The ALB "
                                  "still serves Milvus")

    bundle = write_ca_bundle("") if settings.tls else None
    try:
        tls: dict[str, Any] = {"server_name": settings.server_name, "server_pem_path": bundle} if bundle else {}
        version, latency_ms = ask_milvus(f"{'https' if settings.tls else 'http'}://{endpoint}", token=token,
                                         budget=budget, round_trip=False, failure=failure,
                                         client_factory=client_factory, **tls)
    finally:
        if bundle:
            os.unlink(bundle)
    return VerificationResult(endpoint=endpoint, server_name=settings.server_name if settings.tls else "",
                              server_version=version, latency_ms=latency_ms, tls=settings.tls)
