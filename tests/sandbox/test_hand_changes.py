"""The sandbox's hand changes after a setup (issue 20's drifts): an Ingress annotated with kubectl
(sandbox/kubernetes/kubectl.py) and a certificate near its end re-imported into ACM (sandbox/aws/hand_changes.py)."""

from __future__ import annotations

import datetime as dt
import json

import boto3
from moto import mock_aws

from sandbox.aws import hand_changes
from sandbox.kubernetes import kubectl
from testkit.certs import make_ca, make_leaf

INTERVAL = "alb.ingress.kubernetes.io/healthcheck-interval-seconds"
SSL_POLICY = "alb.ingress.kubernetes.io/ssl-policy"


def _ingress() -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "milvus-demo", "namespace": "milvus",
                         "annotations": {INTERVAL: "5", SSL_POLICY: "ELBSecurityPolicy-TLS13-1-2-2021-06"}},
            "spec": {"ingressClassName": "alb", "rules": [{"host": "milvus.example.com", "http": {"paths": [
                {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "milvus-demo",
                                                                            "port": {"number": 19530}}}}]}}]}}


def test_kubectl_annotate_changes_and_removes_annotations_as_its_own_field_manager(standin):
    # Given an Ingress applied by the workflow's manager
    standin.ensure_namespace("milvus")
    standin.create("ingresses", "milvus", _ingress(), manager="milvus-layer7")
    # When someone runs kubectl annotate --overwrite ... interval=30 ssl-policy-
    after = kubectl.annotate(standin, "ingresses", "milvus", "milvus-demo", {INTERVAL: "30", SSL_POLICY: None})
    # Then the one changes, the other is gone, the rest stays
    annotations = after["metadata"]["annotations"]
    assert annotations[INTERVAL] == "30" and SSL_POLICY not in annotations
    assert after["spec"]["rules"][0]["host"] == "milvus.example.com"
    # and kubectl-annotate owns what it set (an Update entry of its own)
    [entry] = [e for e in after["metadata"]["managedFields"] if e["manager"] == "kubectl-annotate"]
    assert entry["operation"] == "Update"
    assert f"f:{INTERVAL}" in json.dumps(entry["fieldsV1"])


@mock_aws
def test_a_certificate_near_its_end_reimported_keeps_its_arn_and_ends_in_the_days_given():
    # Given a certificate for the host in ACM, ending in 90 days
    acm = boto3.client("acm", region_name="us-east-1")
    ca = make_ca("test CA")
    leaf = make_leaf(ca, ["milvus.example.com"])
    arn = acm.import_certificate(Certificate=leaf.certificate_pem.encode(), PrivateKey=leaf.private_key_pem.encode(),
                                 CertificateChain=ca.certificate_pem.encode())["CertificateArn"]
    # When one ending in 10 days is re-imported into its ARN
    now = dt.datetime.now(dt.UTC)
    hand_changes.reimport_expiring(acm, arn, "milvus.example.com", days_left=10, now=now)
    # Then the ARN holds it: 10 days left
    certificate = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert (certificate["NotAfter"] - now).days == 10
    assert certificate["DomainName"] == "milvus.example.com"
