"""DeleteCertificate: what ImportCertificate imported for the host goes once nothing uses it; the rest stays,
with the reason."""

from __future__ import annotations

from botocore.exceptions import ClientError

from delete_certificate.logic import delete_certificates
from layer7.undo_models import DeleteCertificateEvent
from tests.unit.undo_events import HOST, deletion, wire

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
