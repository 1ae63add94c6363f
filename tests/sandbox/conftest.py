"""Fixtures for the tests that start the sandbox's stand-ins (this tier: servers, no deploy of the product's stack).

The product's own unit tests never import the sandbox; the tests here drive
product code against the stand-ins, or the stand-ins themselves.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from layer7 import kube as k8s
from sandbox.environment import CHART_SERVICE, load_manifest
from sandbox.kubernetes import KubernetesStandIn

CLUSTER = "milvus-eks"


def chart_service(namespace: str = "milvus", *, source_ranges: bool = True) -> dict[str, Any]:
    """The Milvus chart's LoadBalancer Service (sandbox/fixtures), in ``namespace``."""
    manifest = load_manifest(CHART_SERVICE)
    manifest["metadata"]["namespace"] = namespace
    if not source_ranges:
        del manifest["spec"]["loadBalancerSourceRanges"]
    return manifest


@pytest.fixture
def standin():
    """The sandbox's API server for cluster milvus-eks, accepting tokens signed with testing/testing."""
    server = KubernetesStandIn(cluster_name=CLUSTER, credentials={"testing": "testing"})
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """moto's server in this process, with the sandbox's patches (one test module at a time)."""
    from sandbox.aws.server import MotoSandbox

    moto = MotoSandbox(cache_dir=tmp_path_factory.mktemp("lambda-cache")).start()
    yield moto
    moto.stop()


def point_cluster_at(standin: Any, name: str = CLUSTER, region: str = "us-east-1") -> Any:
    """Create ``name`` in moto's EKS (inside mock_aws) and make DescribeCluster answer with the stand-in."""
    import boto3
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.eks.models import eks_backends

    eks = boto3.client("eks", region_name=region)
    eks.create_cluster(name=name, roleArn="arn:aws:iam::123456789012:role/eks",
                       resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    cluster = eks_backends[DEFAULT_ACCOUNT_ID][region].clusters[name]
    cluster.endpoint = standin.url
    ca = standin.ca_pem.encode() if isinstance(standin.ca_pem, str) else standin.ca_pem
    cluster.certificate_authority = {"data": base64.b64encode(ca).decode()}
    return eks


def connector(eks: Any, access_key: str = "testing", secret: str = "testing") -> Any:
    """``connect`` as the handlers call it, signing with explicit keys (mock_aws swaps the environment's)."""
    import boto3

    session = boto3.Session(aws_access_key_id=access_key, aws_secret_access_key=secret, region_name="us-east-1")
    return lambda name: k8s.connect(name, eks=eks, session=session)
