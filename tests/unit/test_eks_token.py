"""The EKS token is what aws-iam-authenticator accepts: checked by decoding it and re-signing it."""

import base64
import datetime
import hashlib
import hmac
import urllib.parse

import boto3
import pytest

from layer7 import eks_token

REGION = "eu-west-1"
CLUSTER = "milvus-eks"
SECRET = "testing"


@pytest.fixture
def session():
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key=SECRET, region_name=REGION)


def decode(token: str) -> urllib.parse.SplitResult:
    encoded = token[len(eks_token.TOKEN_PREFIX):]
    return urllib.parse.urlsplit(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode())


def params_of(url: urllib.parse.SplitResult) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))


def sigv4_query_signature(url: urllib.parse.SplitResult, cluster_name: str, secret: str) -> str:
    """An independent SigV4 presigned-URL signature, as STS computes it for the authenticator's request."""
    params = params_of(url)
    quote = lambda v: urllib.parse.quote(v, safe="-_.~")  # noqa: E731
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in sorted(params.items()) if k != "X-Amz-Signature")
    headers = {"host": url.hostname, "x-k8s-aws-id": cluster_name}
    signed = params["X-Amz-SignedHeaders"].split(";")
    canonical_headers = "".join(f"{name}:{headers[name]}\n" for name in signed)
    canonical = "\n".join(["GET", "/", query, canonical_headers, ";".join(signed), hashlib.sha256(b"").hexdigest()])
    _key_id, date, region, service, _ = params["X-Amz-Credential"].split("/")
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", params["X-Amz-Date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def test_token_is_a_presigned_regional_get_caller_identity(session):
    # Given the function's credentials in eu-west-1
    # When a token is minted for the cluster
    token = eks_token.get_token(CLUSTER, session=session, region=REGION)
    # Then it is k8s-aws-v1. + unpadded base64url of a presigned regional STS GetCallerIdentity URL
    assert token.startswith("k8s-aws-v1.")
    assert "=" not in token and "+" not in token and "/" not in token
    assert len(token) < 4096
    url = decode(token)
    params = params_of(url)
    assert url.scheme == "https" and url.hostname == f"sts.{REGION}.amazonaws.com" and url.path in ("", "/")
    assert params["Action"] == "GetCallerIdentity"
    assert params["Version"] == "2011-06-15"
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert params["X-Amz-Credential"].startswith("testing/")
    assert f"/{REGION}/sts/aws4_request" in params["X-Amz-Credential"]
    assert "x-k8s-aws-id" in params["X-Amz-SignedHeaders"].split(";")


def test_token_expiry_is_what_the_authenticator_accepts(session):
    # When a token is minted
    token = eks_token.get_token(CLUSTER, session=session, region=REGION)
    params = params_of(decode(token))
    # Then it is presigned for 60 s (the server allows <= 900) and dated now
    assert int(params["X-Amz-Expires"]) == 60 <= 900
    signed_at = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    assert abs((datetime.datetime.now(datetime.timezone.utc) - signed_at).total_seconds()) < 60


def test_signature_covers_the_cluster_name(session):
    # Given a token minted for milvus-eks
    url = decode(eks_token.get_token(CLUSTER, session=session, region=REGION))
    given = params_of(url)["X-Amz-Signature"]
    # Then re-signing with header x-k8s-aws-id: milvus-eks gives the same signature
    assert hmac.compare_digest(sigv4_query_signature(url, CLUSTER, SECRET), given)
    # And it does not verify for another cluster or another key
    assert sigv4_query_signature(url, "another-cluster", SECRET) != given
    assert sigv4_query_signature(url, CLUSTER, "wrong-secret") != given


def test_session_token_travels_in_the_url():
    # Given temporary credentials, as a Lambda role has
    session = boto3.Session(
        aws_access_key_id="ASIATEST", aws_secret_access_key=SECRET, aws_session_token="session-token",
        region_name=REGION,
    )
    # When a token is minted
    params = params_of(decode(eks_token.get_token(CLUSTER, session=session)))
    # Then STS gets the session token (the authenticator allows X-Amz-Security-Token)
    assert params["X-Amz-Security-Token"] == "session-token"


def test_region_defaults_to_the_session_region(session):
    url = decode(eks_token.get_token(CLUSTER, session=session))
    assert url.hostname == f"sts.{REGION}.amazonaws.com"


def test_no_credentials_is_a_clear_error(monkeypatch):
    # Given a session that finds no credentials anywhere
    session = boto3.Session(region_name=REGION)
    monkeypatch.setattr(session, "get_credentials", lambda: None)
    # Then minting says so instead of producing an unsigned URL
    with pytest.raises(ValueError, match="credentials"):
        eks_token.get_token(CLUSTER, session=session)


@pytest.mark.parametrize("region, host", [
    ("cn-north-1", "sts.cn-north-1.amazonaws.com.cn"),  # aws-cn
    ("us-gov-west-1", "sts.us-gov-west-1.amazonaws.com"),  # aws-us-gov
    ("eu-west-1", "sts.eu-west-1.amazonaws.com"),
])
def test_sts_host_follows_the_partition(region, host, monkeypatch):
    # Given a proxy or the sandbox configured as every client's endpoint
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://127.0.0.1:4566")
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key=SECRET, region_name=region)
    # When a token is minted for a cluster in that region
    url = decode(eks_token.get_token(CLUSTER, session=session, region=region))
    # Then it names the partition's own STS host, the one EKS will call, and is signed for that region
    assert url.hostname == host
    assert params_of(url)["X-Amz-Credential"].split("/")[2] == region
    assert params_of(url)["X-Amz-Signature"] == sigv4_query_signature(url, CLUSTER, SECRET)
