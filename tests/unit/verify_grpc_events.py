"""Inputs for VerifyGrpc's tests: a leaf certificate, moto's ACM and Secrets Manager, and the step event."""

from __future__ import annotations

from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from layer7.models import VerifyGrpcEvent
from testkit.certs import make_ca, make_leaf

HOST = "milvus.example.test"
TOKEN = "root:s3cret-Milvus-token"


@pytest.fixture(scope="module")
def leaf():
    return make_leaf(make_ca("verify-grpc test CA"), [HOST])


@pytest.fixture
def aws():
    with mock_aws():
        yield SimpleNamespace(acm=boto3.client("acm"), secrets=boto3.client("secretsmanager"))


def import_certificate(acm, leaf, with_chain: bool = True) -> str:
    extra = {"CertificateChain": leaf.chain_pem.encode()} if with_chain else {}
    return acm.import_certificate(
        Certificate=leaf.certificate_pem.encode(), PrivateKey=leaf.private_key_pem.encode(), **extra
    )["CertificateArn"]


def make_event(arn: str, port: int, *, dns_name: str = "localhost", host: str = HOST, fingerprint: str = "",
               **verify) -> VerifyGrpcEvent:
    """The state's payload; ``fingerprint`` is what ImportCertificate recorded ('' when it could not)."""
    verify = {"timeoutSeconds": 20, **verify}
    return VerifyGrpcEvent.model_validate(
        {
            "correlationId": "arn:aws:states:us-east-1:123456789012:execution:sm:run-1",
            "request": {
                "host": host,
                "certificate": {"certificateArn": arn},
                "clusterName": "milvus",
                "namespace": "milvus",
                "serviceName": "milvus-demo",
                "servicePort": 19530,
                "ingressName": "milvus-demo",
                "scheme": "internet-facing",
                "listenPort": port,
                "ingressAnnotations": {},
                "layer4": "remove",
                "verify": verify,
                "hostedZoneId": None,
                "albTimeoutSeconds": 900,
            },
            "certificate": {
                "certificateArn": arn,
                "certificateImported": True,
                "notAfter": "2030-01-01T00:00:00Z",
                "daysUntilExpiry": 90,
                "fingerprintSha256": fingerprint,
            },
            "loadBalancer": {
                "ready": True, "dnsName": dns_name, "listenPort": port, "state": "active", "healthyTargets": 1,
            },  # fmt: skip
        }
    )
