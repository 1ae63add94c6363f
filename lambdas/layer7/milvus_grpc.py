"""Asking Milvus over gRPC: its server version (and, when asked, a round trip through a scratch collection).

Shared by setup's VerifyGrpc (through the ALB, over TLS, trusting the imported chain) and the undo's
VerifyLayer4 (through the Service's Layer-4 load balancer, plain or TLS). pymilvus is imported only inside
``ask_milvus``: only the functions with the milvus layer call it.
"""

from __future__ import annotations

import json
import os
import ssl
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from layer7.aws import error_code, raise_if_transient
from layer7.errors import VerificationFailed
from layer7.observability import logger

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_secretsmanager import SecretsManagerClient

# Where the system's trusted roots may live: certifi (installed with the
# milvus layer), then the OpenSSL default, Debian, Amazon Linux (Lambda), macOS.
_SYSTEM_ROOTS_CANDIDATES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
)
_ROUND_TRIP_DIM = 8
_ROUND_TRIP_ROWS = 3


def read_token(secrets: SecretsManagerClient, secret_arn: str | None) -> str:
    """The Milvus token from ``verify.tokenSecretArn``: ``token``, or ``username:password``; empty without a secret."""
    if not secret_arn:
        return ""
    try:
        raw = secrets.get_secret_value(SecretId=secret_arn)["SecretString"]
    except ClientError as exc:
        raise_if_transient(exc, "reading the Milvus credentials secret")
        raise VerificationFailed(
            f"cannot read verify.tokenSecretArn {secret_arn}: {error_code(exc)}; check that it exists "
            "and that the VerifyGrpc function may call secretsmanager:GetSecretValue on it"
        ) from exc
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        value = None
    if isinstance(value, dict) and value.get("token"):
        return str(value["token"])
    if isinstance(value, dict) and value.get("username") and value.get("password"):
        return f"{value['username']}:{value['password']}"
    raise VerificationFailed(
        f"the secret {secret_arn} must be a JSON object with 'token', or with 'username' and 'password'"
    )


def system_roots_path() -> str | None:
    """The first bundle of system root CAs this runtime has, or None."""
    candidates: list[str | None] = []
    try:
        import certifi  # noqa: PLC0415 - optional: present with the milvus layer

        candidates.append(certifi.where())
    except ImportError:
        pass
    candidates.append(ssl.get_default_verify_paths().cafile)
    candidates.extend(_SYSTEM_ROOTS_CANDIDATES)
    return next((path for path in candidates if path and os.path.isfile(path)), None)


def write_ca_bundle(chain_pem: str, directory: str | None = None) -> str:
    """A temporary CA bundle: the system roots plus the imported chain. The caller removes it."""
    parts = []
    roots = system_roots_path()
    if roots:
        parts.append(Path(roots).read_text())
    if chain_pem.strip():
        parts.append(chain_pem.strip() + "\n")
    if not parts:
        raise VerificationFailed("no trusted root certificates: the runtime has no CA bundle and no chain was imported")
    fd, path = tempfile.mkstemp(prefix="layer7-ca-", suffix=".pem", dir=directory)
    with os.fdopen(fd, "w") as bundle:
        bundle.write("\n".join(parts))
    return path


def describe_failure(exc: BaseException, token: str) -> str:
    """The reasons along an exception chain, each once, without the token."""
    reasons: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(reasons) < 3:
        details_of = getattr(seen, "details", None)  # grpc.RpcError's
        details = details_of() if callable(details_of) else None
        message = getattr(seen, "message", None) or details or str(seen) or type(seen).__name__
        if message not in reasons:
            reasons.append(str(message))
        seen = seen.__cause__ if seen.__cause__ is not seen else None
    text = "; ".join(reasons)
    if token:
        text = text.replace(token, "***")
    return text[:1000]


def _round_trip(client: Any, timeout: float) -> None:
    """Create, insert into, search and drop a scratch collection: the data path works, not only the handshake."""
    name = f"layer7_verify_{uuid.uuid4().hex[:12]}"
    try:
        client.create_collection(name, dimension=_ROUND_TRIP_DIM, consistency_level="Strong", timeout=timeout)
        # Unit vectors: each row is its own nearest neighbour, whatever the metric.
        rows = [{"id": i, "vector": [float(d == i) for d in range(_ROUND_TRIP_DIM)]} for i in range(_ROUND_TRIP_ROWS)]
        client.insert(name, rows, timeout=timeout)
        hits = client.search(name, data=[rows[1]["vector"]], limit=1, timeout=timeout)
        found = hits[0][0]["id"] if hits and hits[0] else None
        if found != 1:
            raise VerificationFailed(f"round trip: searching the scratch collection {name} found {found!r}, not 1")
    finally:
        try:
            client.drop_collection(name, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - the verdict stands; say what is left behind
            logger.warning("scratch collection left behind", extra={"collection": name, "error": type(exc).__name__})


def ask_milvus(
    uri: str,
    *,
    token: str,
    budget: float,
    round_trip: bool,
    failure: Callable[[str, str], VerificationFailed],
    client_factory: Callable[..., Any] | None = None,
    **tls: Any,
) -> tuple[str, float]:
    """(server version, its latency in ms) from a dedicated MilvusClient for ``uri``; ``tls`` are its TLS options.

    Any failure of the call is ``failure(stage, reason)`` (the reason never holds the token); past ``budget``
    seconds it is VerificationFailed too. Shared with VerifyLayer4, which asks through the Layer-4 load balancer.
    """
    deadline = time.monotonic() + budget
    if client_factory is None:
        from pymilvus import MilvusClient  # noqa: PLC0415 - heavy (numpy, pandas): only where it is used

        client_factory = MilvusClient
    endpoint = uri.split("://", 1)[-1]

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise VerificationFailed(f"verification of {endpoint} took longer than {budget:.0f} s")
        return left

    client = None
    stage = "connecting"
    try:
        # dedicated: never reuse a warm container's connection, built with another CA bundle.
        client = client_factory(uri=uri, token=token, timeout=remaining(), dedicated=True, **tls)
        stage = "asking the server version"
        started = time.perf_counter()
        version = str(client.get_server_version(timeout=remaining()))
        latency_ms = round((time.perf_counter() - started) * 1000, 3)
        if round_trip:
            stage = "the round trip (create, insert, search, drop a scratch collection)"
            _round_trip(client, remaining())
    except VerificationFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of the check is the contract's VerificationFailed
        raise failure(stage, describe_failure(exc, token)) from None
    finally:
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001,S110 - closing is best effort
                pass
    return version, max(latency_ms, 0.001)
