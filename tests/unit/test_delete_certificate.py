"""DeleteCertificate: what ImportCertificate imported for the host goes once nothing uses it; the rest stays,
with the reason."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from delete_certificate.logic import delete_certificates
from import_certificate.logic import ensure_certificate
from layer7.undo_models import DeleteCertificateEvent
from testkit.certs import make_ca, make_leaf
from tests.unit.undo_events import HOST, deletion, wire
from validate.logic import StackDefaults, validate

OURS = "arn:aws:acm:us-east-1:123456789012:certificate/ours"
OLD = "arn:aws:acm:us-east-1:123456789012:certificate/old-key-type"
THEIRS = "arn:aws:acm:us-east-1:123456789012:certificate/theirs"


class Acm:
    """ListCertificates, tags, DescribeCertificate's InUseBy and DeleteCertificate over a dict."""

    def __init__(self, certificates: dict[str, dict]):
        self.certificates = certificates
        self.deleted: list[str] = []

    def get_paginator(self, name):
        acm = self

        class Paginator:
            def paginate(self, **_):
                return [{"CertificateSummaryList": [{"CertificateArn": arn, "Type": "IMPORTED"}
                                                    for arn in acm.certificates]}]
        return Paginator()

    def list_tags_for_certificate(self, CertificateArn):
        return {"Tags": [{"Key": k, "Value": v} for k, v in self.certificates[CertificateArn]["tags"].items()]}

    def describe_certificate(self, CertificateArn):
        if CertificateArn not in self.certificates:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "gone"}},
                              "DescribeCertificate")
        return {"Certificate": {"InUseBy": self.certificates[CertificateArn].get("in_use", [])}}

    def delete_certificate(self, CertificateArn):
        self.deleted.append(CertificateArn)
        del self.certificates[CertificateArn]


MANAGED = {"milvus-layer7:managed-by": "milvus-layer7", "milvus-layer7:host": HOST}


def test_ours_go_once_unused_and_the_rest_stay_with_the_reason():
    # Given our certificate (unused now), an older one of ours still in use, and one given by certificateArn
    acm = Acm({OURS: {"tags": MANAGED}, OLD: {"tags": MANAGED, "in_use": ["arn:aws:elasticloadbalancing:lb/x"]},
               THEIRS: {"tags": {}}})
    event = DeleteCertificateEvent.model_validate(wire(ingressDeletion=deletion(certificateArns=[THEIRS, OURS])))
    # When DeleteCertificate runs
    result = delete_certificates(event, acm=acm)
    # Then only the unused one of ours was deleted; the others stay, each with why
    assert acm.deleted == [OURS]
    assert result.to_wire() == {"deleted": [OURS], "kept": [
        {"arn": THEIRS, "reason": f"not imported by this workflow (no tag milvus-layer7:managed-by for {HOST}): "
                                  "it is not the undo's to delete"},
        {"arn": OLD, "reason": "still in use by arn:aws:elasticloadbalancing:lb/x (ACM InUseBy); delete it once "
                               "nothing uses it, or run the undo again"}]}


def test_a_second_run_finds_nothing_of_ours_left():
    acm = Acm({THEIRS: {"tags": {}}})
    result = delete_certificates(DeleteCertificateEvent.model_validate(wire(ingressDeletion=deletion())), acm=acm)
    assert (result.deleted, result.kept, acm.deleted) == ([], [], [])


def test_the_certificate_a_renewal_left_behind_goes_too(ca_and_renewals):
    # Given ImportCertificate's fresh import of a renewal ACM would not re-import (it adds Key Usage), so that
    # the Ingress names only the new certificate and the old one is left in ACM, tagged for the host
    acm, old_arn, new_arn = ca_and_renewals
    event = DeleteCertificateEvent.model_validate(wire(ingressDeletion=deletion(certificateArns=[new_arn])))
    # When DeleteCertificate runs
    result = delete_certificates(event, acm=acm)
    # Then both are deleted: every certificate tagged for the host, not only the Ingress's
    assert sorted(result.deleted) == sorted([old_arn, new_arn]) and result.kept == []
    assert acm.list_certificates(Includes={"keyTypes": ["EC_prime256v1"]})["CertificateSummaryList"] == []


@pytest.fixture
def ca_and_renewals():
    """moto's ACM after ImportCertificate imported a certificate for HOST and then a renewal of it fresh."""
    with mock_aws():
        acm, secretsmanager = boto3.client("acm", region_name="us-east-1"), boto3.client("secretsmanager",
                                                                                          region_name="us-east-1")
        ca = make_ca("Undo Test CA")
        results = []
        renewals = (("first", make_leaf(ca, [HOST])), ("renewed", make_leaf(ca, [HOST], key_usage={"digitalSignature"})))
        for name, issued in renewals:
            secret = secretsmanager.create_secret(Name=name, SecretString=json.dumps(
                {"certificate": issued.certificate_pem, "privateKey": issued.private_key_pem}))["ARN"]
            request = validate({"host": HOST, "certificate": {"secretArn": secret}},
                               StackDefaults(cluster_name="milvus-eks", region="us-east-1"))
            results.append(ensure_certificate(request, acm=acm, secretsmanager=secretsmanager))
        old, new = results
        assert old.certificate_arn in new.warnings[0]
        yield acm, old.certificate_arn, new.certificate_arn
