"""DeleteCertificate: what ImportCertificate imported for the host goes once nothing uses it; the rest stays,
with the reason."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, cast

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from delete_certificate.logic import IN_USE_BUDGET_SECONDS, delete_certificates
from import_certificate.logic import ensure_certificate
from layer7.environment import FunctionEnvironment
from layer7.undo_models import DeleteCertificateEvent
from testkit.certs import make_ca, make_leaf
from tests.unit.undo_events import HOST, deletion, wire
from validate.logic import validate

if TYPE_CHECKING:
    from types_boto3_acm import ACMClient

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


T0 = 1_800_000_000.0
LB = "arn:aws:elasticloadbalancing:lb/x"


def look(acm: Acm, *, at: float, previous: dict | None = None, arns: list[str] | None = None,
         managed: list[str] | None = None) -> dict:
    event = DeleteCertificateEvent.model_validate(wire(ingressDeletion=deletion(certificateArns=arns or []),
                                                       certificates=previous or {},
                                                       managedCertificates=managed or []))
    # the fake answers the four calls the step makes, not the whole client its stub types
    return delete_certificates(event, acm=cast("ACMClient", acm), now=lambda: at).to_wire()


def test_ours_go_at_once_when_unused_and_theirs_stay_with_the_reason():
    # Given our certificate (unused now) and one given by certificateArn
    acm = Acm({OURS: {"tags": MANAGED}, THEIRS: {"tags": {}}})
    # When DeleteCertificate runs
    result = look(acm, at=T0, arns=[THEIRS, OURS])
    # Then ours was deleted, theirs stays with why, and there is nothing to wait for
    assert acm.deleted == [OURS]
    assert result == {"deleted": [OURS], "kept": [
        {"arn": THEIRS, "reason": f"not imported by this workflow (no tag milvus-layer7:managed-by for {HOST}): "
                                  "it is not the undo's to delete"}],
        "done": True, "waitingFor": [], "startedAt": T0, "waitSeconds": 0, "elapsedSeconds": 0.0}


def test_one_of_ours_still_in_use_is_looked_at_again_until_acm_lets_it_go():
    # Given ACM still names the deleted ALB in InUseBy of an older certificate of ours (its lag)
    acm = Acm({OURS: {"tags": MANAGED}, OLD: {"tags": MANAGED, "in_use": [LB]}})
    # When DeleteCertificate looks
    first = look(acm, at=T0, arns=[OURS])
    # Then the unused one is deleted and the state machine is told to look again soon
    assert (first["deleted"], first["kept"], first["done"], first["waitingFor"], first["waitSeconds"]) == (
        [OURS], [], False, [OLD], 2)
    # When ACM has let go by the next look
    acm.certificates[OLD]["in_use"] = []
    second = look(acm, at=T0 + 2, previous=first, arns=[OURS])
    # Then both are said deleted (the first look's too, and OURS is not taken for someone else's), and it is done
    assert (second["deleted"], second["kept"], second["done"], second["startedAt"]) == ([OURS, OLD], [], True, T0)
    assert acm.deleted == [OURS, OLD]


def test_past_its_budget_a_certificate_still_in_use_is_kept_and_named():
    acm = Acm({OLD: {"tags": MANAGED, "in_use": [LB]}})
    first = look(acm, at=T0)
    late = look(acm, at=T0 + IN_USE_BUDGET_SECONDS + 1, previous=first)
    assert (late["done"], late["deleted"], acm.deleted) == (True, [], [])
    assert late["kept"] == [{"arn": OLD, "reason": f"still in use by {LB} (ACM InUseBy) {IN_USE_BUDGET_SECONDS} s "
                                                   "after the ALB went; delete it once nothing uses it, or run the "
                                                   "undo again"}]


def test_waits_grow_with_the_time_waited_and_never_pass_the_budget():
    acm = Acm({OLD: {"tags": MANAGED, "in_use": [LB]}})
    first = look(acm, at=T0)
    assert look(acm, at=T0 + 80, previous=first)["waitSeconds"] == 20
    assert look(acm, at=T0 + 400, previous=first)["waitSeconds"] == 30
    assert look(acm, at=T0 + IN_USE_BUDGET_SECONDS - 5, previous=first)["waitSeconds"] == 5


def test_a_retry_after_the_first_attempt_was_killed_past_its_delete_names_what_this_execution_deleted():
    # Given what an undisturbed look answers, ValidateUndo having found our certificate when the undo began
    undisturbed = look(Acm({OURS: {"tags": MANAGED}, THEIRS: {"tags": {}}}), at=T0, arns=[THEIRS, OURS],
                       managed=[OURS])
    # and a first attempt that deleted it and died before it answered (its result is lost)
    acm = Acm({OURS: {"tags": MANAGED}, THEIRS: {"tags": {}}})
    look(acm, at=T0, arns=[THEIRS, OURS], managed=[OURS])
    # When Step Functions runs the step again in the same execution
    retried = look(acm, at=T0, arns=[THEIRS, OURS], managed=[OURS])
    # Then it deletes nothing more and says what an undisturbed run says: ours deleted (ACM: not found)
    assert acm.deleted == [OURS]
    assert retried == undisturbed and undisturbed["deleted"] == [OURS]


class _Killed(BaseException):
    """The Lambda's end mid-call: nothing after it runs."""


class KilledAtSecondDelete(Acm):
    def delete_certificate(self, CertificateArn):
        if self.deleted:
            raise _Killed
        super().delete_certificate(CertificateArn)


def test_a_retry_after_the_first_attempt_was_killed_between_two_deletes_finishes_as_an_undisturbed_run_does():
    # Given two certificates of ours (one a renewal with another key type left behind), and what an undisturbed
    # look answers
    certificates = {OURS: {"tags": MANAGED}, OLD: {"tags": MANAGED}}
    undisturbed = look(Acm(json.loads(json.dumps(certificates))), at=T0, managed=[OLD, OURS])
    # and a first attempt that deleted the first and died before the second
    acm = KilledAtSecondDelete(json.loads(json.dumps(certificates)))
    with pytest.raises(_Killed):
        look(acm, at=T0, managed=[OLD, OURS])
    assert acm.deleted == [OLD]
    # When Step Functions runs the step again
    retried = look(Acm(acm.certificates), at=T0, managed=[OLD, OURS])
    # Then the second goes too, and the answer is the undisturbed one: both deleted by this execution
    assert retried == undisturbed and undisturbed["deleted"] == [OLD, OURS] and acm.certificates == {}

def test_one_validate_undo_found_that_is_still_there_but_no_longer_ours_is_not_said_deleted():
    acm = Acm({OURS: {"tags": {}}})  # its tags removed by hand since ValidateUndo looked
    result = look(acm, at=T0, managed=[OURS])
    assert (result["deleted"], acm.deleted) == ([], [])


def test_a_second_run_finds_nothing_of_ours_left():
    acm = Acm({THEIRS: {"tags": {}}})
    result = delete_certificates(DeleteCertificateEvent.model_validate(wire(ingressDeletion=deletion())), acm=acm)
    assert (result.deleted, result.kept, result.done, acm.deleted) == ([], [], True, [])


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
        renewals = (("first", make_leaf(ca, [HOST])),
                    ("renewed", make_leaf(ca, [HOST], key_usage={"digitalSignature"})))
        for name, issued in renewals:
            secret = secretsmanager.create_secret(Name=name, SecretString=json.dumps(
                {"certificate": issued.certificate_pem, "privateKey": issued.private_key_pem}))["ARN"]
            request = validate({"host": HOST, "certificate": {"secretArn": secret}},
                               FunctionEnvironment(cluster_name="milvus-eks", region="us-east-1"))
            results.append(ensure_certificate(request, acm=acm, secretsmanager=secretsmanager))
        old, new = results
        assert old.certificate_arn in new.warnings[0]
        yield acm, old.certificate_arn, new.certificate_arn
