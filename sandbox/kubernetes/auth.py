"""EKS bearer-token checks, as aws-iam-authenticator does them, without calling STS.

A real EKS API server hands the decoded presigned URL to STS with the header ``x-k8s-aws-id: <cluster>``, and
STS checks the SigV4 signature. The stand-in knows the sandbox's credentials and recomputes it: a token signed
with other keys, for another cluster or host does not verify. The pre-checks (prefix, size, host, query keys,
dates) follow ``pkg/token/token.go``, so what real EKS would refuse gets a 401 here too.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import re
import urllib.parse
from collections.abc import Callable, Mapping

TOKEN_PREFIX = "k8s-aws-v1."  # noqa: S105 - the token format's prefix, not a secret
MAX_TOKEN_BYTES = 4 * 1024
LIFETIME = datetime.timedelta(minutes=15)
MAX_EXPIRES_SECONDS = 900
CLUSTER_ID_HEADER = "x-k8s-aws-id"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
# The keys aws-iam-authenticator allows in the presigned query.
ALLOWED_PARAMS = {
    "action", "version", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires",
    "x-amz-security-token", "x-amz-signature", "x-amz-signedheaders",
}
HOST_RE = re.compile(r"^sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$")


class TokenError(Exception):
    """The token is not acceptable; the message says why (shown in the 401 body, like the authenticator's log)."""


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="-_.~")


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def expected_signature(*, secret: str, host: str, params: Mapping[str, str], headers: Mapping[str, str],
                       payload_hash: str = EMPTY_SHA256) -> str:
    """SigV4 query-string signature of ``GET https://<host>/?<params>`` (the signature param excluded)."""
    query = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in sorted(params.items()) if k != "X-Amz-Signature")
    signed = params["X-Amz-SignedHeaders"].split(";")
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    canonical = "\n".join(["GET", "/", query, canonical_headers, ";".join(signed), payload_hash])
    amz_date = params["X-Amz-Date"]
    _akid, date, region, service, _term = params["X-Amz-Credential"].split("/")
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    return hmac.new(_signing_key(secret, date, region, service), to_sign.encode(), hashlib.sha256).hexdigest()


class TokenVerifier:
    """Checks ``Authorization: Bearer k8s-aws-v1.…`` for one cluster against a map access key id -> secret."""

    def __init__(self, cluster_name: str, credentials: Mapping[str, str],
                 clock: Callable[[], datetime.datetime] | None = None) -> None:
        self.cluster_name = cluster_name
        self.credentials = dict(credentials)
        self.clock = clock or (lambda: datetime.datetime.now(datetime.timezone.utc))

    def verify(self, authorization: str | None) -> str:
        """Return the caller's identity (its access key id) or raise TokenError."""
        if not authorization:
            raise TokenError("no bearer token")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise TokenError("not a bearer token")
        if len(token) >= MAX_TOKEN_BYTES:
            raise TokenError("token is too large")
        if not token.startswith(TOKEN_PREFIX):
            raise TokenError("token is missing the k8s-aws-v1. prefix")
        encoded = token[len(TOKEN_PREFIX):]
        try:
            url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as e:
            raise TokenError("token is not base64url") from e
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "https" or not HOST_RE.match(parsed.hostname or "") or parsed.port:
            raise TokenError(f"unexpected scheme or host in the presigned URL: {parsed.scheme}://{parsed.netloc}")
        if parsed.path not in ("", "/"):
            raise TokenError("unexpected path in the presigned URL")
        pairs = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
        params = dict(pairs)
        if len(params) != len(pairs):
            raise TokenError("duplicate query parameters")
        unknown = [k for k in params if k.lower() not in ALLOWED_PARAMS]
        if unknown:
            raise TokenError(f"non-whitelisted query parameters: {unknown}")
        if params.get("Action") != "GetCallerIdentity":
            raise TokenError("unexpected action in the presigned URL")
        for key in ("X-Amz-Date", "X-Amz-Expires", "X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature"):
            if key not in params:
                raise TokenError(f"the presigned URL has no {key}")
        if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
            raise TokenError("unsupported signing algorithm")
        signed = params["X-Amz-SignedHeaders"].split(";")
        if CLUSTER_ID_HEADER not in signed:
            raise TokenError(f"the signature does not cover {CLUSTER_ID_HEADER}")
        self._check_dates(params)
        return self._check_signature(parsed.hostname or "", params, signed)

    def _check_dates(self, params: Mapping[str, str]) -> None:
        try:
            expires = int(params["X-Amz-Expires"])
            signed_at = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
                tzinfo=datetime.timezone.utc)
        except ValueError as e:
            raise TokenError("malformed X-Amz-Date or X-Amz-Expires") from e
        if expires > MAX_EXPIRES_SECONDS or expires < 0:
            raise TokenError(f"X-Amz-Expires {expires} is more than {MAX_EXPIRES_SECONDS}")
        now = self.clock()
        if now > signed_at + LIFETIME:
            raise TokenError("token is expired")
        if signed_at > now + datetime.timedelta(minutes=5):
            raise TokenError("token is signed in the future")

    def _check_signature(self, host: str, params: Mapping[str, str], signed: list[str]) -> str:
        parts = params["X-Amz-Credential"].split("/")
        if len(parts) != 5 or parts[3] != "sts" or parts[4] != "aws4_request":
            raise TokenError("malformed X-Amz-Credential")
        access_key_id = parts[0]
        secret = self.credentials.get(access_key_id)
        if secret is None:
            raise TokenError("InvalidClientTokenId: the security token included in the request is invalid")
        headers = {"host": host, CLUSTER_ID_HEADER: self.cluster_name}
        if any(name not in headers for name in signed):
            raise TokenError(f"the signature covers headers the authenticator does not send: {signed}")
        given = params["X-Amz-Signature"]
        for payload_hash in (EMPTY_SHA256, "UNSIGNED-PAYLOAD"):
            wanted = expected_signature(secret=secret, host=host, params=params, headers=headers,
                                        payload_hash=payload_hash)
            if hmac.compare_digest(wanted, given):
                return access_key_id
        raise TokenError("SignatureDoesNotMatch: the signature does not verify (wrong key, host or cluster name)")
