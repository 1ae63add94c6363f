"""layer7.kube in a warm Lambda environment: each invocation connects afresh.

The product caches no client between invocations: every step's handler calls
``connect`` (DescribeCluster, a new EKS token, a new ApiClient) and closes it
when the step ends (layer7/handlers.py), so a warm environment never sends a
token minted by an earlier invocation, however long it stayed frozen. What a
warm environment does reuse is the CA file in /tmp (``write_ca_file``).
"""

import base64
import datetime
import urllib.parse

import boto3
import botocore.auth
from moto import mock_aws

from layer7 import eks_token
from layer7 import kube as k8s


def signed_at(token: str) -> datetime.datetime:
    encoded = token[len(eks_token.TOKEN_PREFIX):]
    url = urllib.parse.urlsplit(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode())
    return datetime.datetime.strptime(dict(urllib.parse.parse_qsl(url.query))["X-Amz-Date"], "%Y%m%dT%H%M%SZ")


@mock_aws
def test_a_warm_invocation_after_the_token_lifetime_sends_a_token_of_its_own_time(monkeypatch):
    # Given a cluster, and a clock the signer reads (botocore.auth.get_current_datetime)
    eks = boto3.client("eks", region_name="us-east-1")
    eks.create_cluster(name="milvus-eks", roleArn="arn:aws:iam::123456789012:role/eks",
                       resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    now = [datetime.datetime(2026, 1, 1, 12, 0, 0)]
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: now[0])
    # When one environment serves an invocation, stays frozen past the token's 15 minutes, and serves another
    first = k8s.connect("milvus-eks", eks=eks, session=session)
    first.close()
    now[0] += datetime.timedelta(seconds=eks_token.TOKEN_LIFETIME_SECONDS - 30)  # 30 s before the first expires
    second = k8s.connect("milvus-eks", eks=eks, session=session)
    second.close()
    # Then the second invocation sends a token signed at its own time, on a client of its own, with the same CA file
    tokens = [kube.api_client.token for kube in (first, second)]
    assert [signed_at(token) for token in tokens] == [datetime.datetime(2026, 1, 1, 12, 0, 0),
                                                      datetime.datetime(2026, 1, 1, 12, 14, 30)]
    assert second.api_client is not first.api_client
    assert second.api_client.ca_file == first.api_client.ca_file
