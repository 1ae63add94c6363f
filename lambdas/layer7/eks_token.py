"""An EKS bearer token minted from the function's own IAM role.

EKS does not take AWS credentials directly: it takes a presigned STS
``GetCallerIdentity`` URL, base64url-encoded behind ``k8s-aws-v1.``, and calls
STS with it to learn who is asking (kubernetes-sigs/aws-iam-authenticator,
``pkg/token/token.go``). The signature covers the header ``x-k8s-aws-id: <cluster>``
so a token minted for one cluster is refused by every other one. This is what
``aws eks get-token`` does, without shelling out to the CLI or reading a
kubeconfig.

The token must never be logged: anyone holding it acts as the role on the
cluster for the next quarter hour.
"""

from __future__ import annotations

import base64
import os
from typing import Any

import boto3
from botocore.config import Config
from botocore.signers import RequestSigner

TOKEN_PREFIX = "k8s-aws-v1."  # noqa: S105 - the token format's prefix, not a secret
CLUSTER_ID_HEADER = "x-k8s-aws-id"
# The CLI's value. The API server accepts a token for 15 minutes after
# X-Amz-Date whatever X-Amz-Expires says, as long as it is at most 900.
PRESIGN_EXPIRES_SECONDS = 60
TOKEN_LIFETIME_SECONDS = 15 * 60


def sts_url(session: boto3.Session, region: str) -> str:
    """The STS endpoint the authenticator will call, as botocore resolves it for ``region``.

    botocore's endpoint rules know each partition's host (``sts.cn-north-1.amazonaws.com.cn`` in
    ``aws-cn``, ``...sc2s.sgov.gov`` in ``aws-iso-b``); a configured ``AWS_ENDPOINT_URL`` (a proxy,
    the sandbox) is ignored because EKS hands the URL to the real STS.
    """
    # botocore has had the option since 1.31; its stubs lag behind
    no_configured_endpoint = Config(ignore_configured_endpoint_urls=True)  # type: ignore[call-arg]
    client = session.client("sts", region_name=region, config=no_configured_endpoint)
    return f"{client.meta.endpoint_url.rstrip('/')}/?Action=GetCallerIdentity&Version=2011-06-15"


def get_token(cluster_name: str, *, session: boto3.Session | None = None, region: str | None = None) -> str:
    """A bearer token for ``cluster_name``, valid about 15 minutes from now.

    ``session`` supplies the credentials (the Lambda's role by default);
    ``region`` is the cluster's region, which is also the STS region the
    authenticator will call.
    """
    session = session or boto3.Session()
    region = region or session.region_name or os.environ.get("AWS_REGION")
    if not region:
        raise ValueError("no AWS region: set AWS_REGION or pass region=")
    credentials = session.get_credentials()
    if credentials is None:
        raise ValueError("no AWS credentials found for the EKS token")

    # The service id comes from the STS model so botocore's signer events
    # (choose-signer.sts...) fire exactly as for a normal STS call.
    service_id = session.client("sts", region_name=region).meta.service_model.service_id
    url = sts_url(session, region)
    signer = RequestSigner(service_id, region, "sts", "v4", credentials, session.events)
    request: dict[str, Any] = {
        "method": "GET",
        "url": url,
        "body": {},
        "headers": {CLUSTER_ID_HEADER: cluster_name},
        "context": {},
    }
    url = signer.generate_presigned_url(
        request, region_name=region, expires_in=PRESIGN_EXPIRES_SECONDS, operation_name=""
    )
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode("utf-8")).decode("ascii").rstrip("=")
