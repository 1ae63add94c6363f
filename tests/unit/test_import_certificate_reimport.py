"""ImportCertificate's choice between re-importing a renewal into an earlier ARN and importing it fresh.

The rules are ACM's ("Reimport a certificate", ACM user guide; lambdas/import_certificate/reimport.py):
same key type and size, no Key Usage or Extended Key Usage value dropped (keyEncipherment may go from an
ECDSA certificate, clientAuth from any), no such extension added where the old certificate had none.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.x509.oid import ExtendedKeyUsageOID
from moto import mock_aws

from import_certificate.logic import ensure_certificate
from import_certificate.reimport import reimport_refusal
from layer7.environment import FunctionEnvironment
from layer7.models import CertificateResult, SetupRequest
from layer7.observability import metrics
from layer7.ownership import TAG_FINGERPRINT, TAG_MANAGED_BY
from testkit.certs import Issued, make_ca, make_leaf
from validate.logic import validate

HOST = "milvus.example.com"
REGION = "us-east-1"
SERVER, CLIENT = ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH
DS, KE = "digitalSignature", "keyEncipherment"


@pytest.fixture(scope="module")
def ca():
    return make_ca("Reimport Test CA")


@pytest.fixture
def aws():
    with mock_aws():
        yield boto3.client("acm", region_name=REGION), boto3.client("secretsmanager", region_name=REGION)


def run(aws: Any, issued: Issued, name: str, execution: str = "") -> CertificateResult:
    """ImportCertificate for ``issued``, stored in a secret named ``name`` (again: the same secret)."""
    acm, secretsmanager = aws
    try:
        secret = secretsmanager.create_secret(Name=name, SecretString=json.dumps({
            "certificate": issued.certificate_pem, "privateKey": issued.private_key_pem,
            "certificateChain": issued.chain_pem}))["ARN"]
    except secretsmanager.exceptions.ResourceExistsException:
        secret = secretsmanager.describe_secret(SecretId=name)["ARN"]
    request: SetupRequest = validate({"host": HOST, "certificate": {"secretArn": secret}},
                                     FunctionEnvironment(cluster_name="milvus-eks", region=REGION))
    return ensure_certificate(request, acm=acm, secretsmanager=secretsmanager, execution=execution)


def later(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=days)


def managed_count(acm) -> int:
    return len(acm.list_certificates(Includes={"keyTypes": ["RSA_2048", "EC_prime256v1"]})["CertificateSummaryList"])


# --- the rules -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("key_type", "old", "new", "refused_for"), [
    ("ec256", {}, {}, None),
    # Key Usage: values may be added, not dropped; keyEncipherment may go from an ECDSA certificate only
    ("ec256", {"key_usage": {DS}}, {"key_usage": {DS, KE}}, None),
    ("rsa2048", {"key_usage": {DS, KE}}, {"key_usage": {DS}}, "drops keyEncipherment"),
    ("ec256", {"key_usage": {DS, KE}}, {"key_usage": {DS}}, None),
    ("ec256", {"key_usage": {DS, KE}}, {"key_usage": {KE}}, "drops digitalSignature"),
    # ... nor may the extension appear where the old certificate had none, or vanish where it had one
    ("ec256", {}, {"key_usage": {DS}}, "without adding a Key Usage extension"),
    ("ec256", {"key_usage": {DS}}, {}, "has no Key Usage extension"),
    # Extended Key Usage: the same, with clientAuth the value that may go
    ("ec256", {"extended_key_usage": [SERVER]}, {"extended_key_usage": [SERVER, CLIENT]}, None),
    ("ec256", {"extended_key_usage": [SERVER, CLIENT]}, {"extended_key_usage": [SERVER]}, None),
    ("ec256", {"extended_key_usage": [SERVER]}, {"extended_key_usage": [CLIENT]}, "drops serverAuth"),
    ("ec256", {"extended_key_usage": None}, {"extended_key_usage": [SERVER]},
     "without adding an Extended Key Usage extension"),
    ("ec256", {"extended_key_usage": [SERVER]}, {"extended_key_usage": None}, "has no Extended Key Usage extension"),
])
def test_acms_reimport_rules(ca, key_type, old, new, refused_for):
    refusal = reimport_refusal(make_leaf(ca, [HOST], key_type, **old).certificate,
                               make_leaf(ca, [HOST], key_type, **new).certificate)
    if refused_for is None:
        assert refusal is None
    else:
        assert refusal is not None and refused_for in refusal


def test_a_new_key_type_or_size_is_refused_whatever_the_usages(ca):
    refusal = reimport_refusal(make_leaf(ca, [HOST], "ec256").certificate, make_leaf(ca, [HOST], "ec384").certificate)
    assert refusal is not None and "EC_prime256v1" in refusal and "EC_secp384r1" in refusal


# --- the choice, against moto's ACM (which re-imports anything: the rules are the product's) ---------------


def test_a_renewal_adding_key_usage_is_imported_fresh_and_the_old_arn_is_named(aws, ca):
    acm, _ = aws
    first = run(aws, make_leaf(ca, [HOST]), "first")
    # When the CA's renewal carries a Key Usage extension the first certificate lacked
    second = run(aws, make_leaf(ca, [HOST], key_usage={DS}, not_after=later(200)), "second")
    # Then ACM would refuse the re-import, so it is a new certificate, tagged as ours, and the old one is named
    assert second.certificate_arn != first.certificate_arn and second.certificate_imported
    tags = {t["Key"]: t["Value"] for t in acm.list_tags_for_certificate(CertificateArn=second.certificate_arn)["Tags"]}
    assert tags[TAG_MANAGED_BY] == "milvus-layer7" and tags[TAG_FINGERPRINT] == second.fingerprint_sha256
    [warning] = second.warnings
    assert first.certificate_arn in warning and "Key Usage extension" in warning and second.certificate_arn in warning
    assert managed_count(acm) == 2
    # And the next renewal like it goes into the new certificate, past the old one, without a warning
    third = run(aws, make_leaf(ca, [HOST], key_usage={DS}, not_after=later(300)), "third")
    assert third.certificate_arn == second.certificate_arn and third.warnings == [] and managed_count(acm) == 2


def replaced_days_left() -> list[float]:
    """The ReplacedCertificateDaysLeft values added since the last call (cleared, as the handler's flush does)."""
    values = list(metrics.metric_set.get("ReplacedCertificateDaysLeft", {}).get("Value", []))
    metrics.clear_metrics()
    return values


@pytest.mark.parametrize("renewal_usage", [None, {DS}], ids=["reimported", "imported-fresh"])
def test_a_renewal_reports_the_days_the_replaced_certificate_had_left(aws, ca, renewal_usage):
    # Given a first import (it replaces nothing: no metric) of a certificate ending in about 20 days
    metrics.clear_metrics()
    run(aws, make_leaf(ca, [HOST], not_after=later(20) + dt.timedelta(hours=1)), "first")
    assert replaced_days_left() == []
    # When a renewal replaces it, in its ARN or, with a Key Usage ACM would refuse there, as a new certificate
    renewed = make_leaf(ca, [HOST], key_usage=renewal_usage, not_after=later(200))
    run(aws, renewed, "second")
    # Then the days the replaced one had left are the renewal's metric, and a rerun of the same content adds none
    assert replaced_days_left() == [20]
    run(aws, renewed, "again")
    assert replaced_days_left() == []


def test_a_renewal_dropping_client_auth_is_reimported_in_place(aws, ca):
    first = run(aws, make_leaf(ca, [HOST], extended_key_usage=[SERVER, CLIENT]), "first")
    second = run(aws, make_leaf(ca, [HOST], extended_key_usage=[SERVER], not_after=later(200)), "second")
    assert second.certificate_arn == first.certificate_arn and second.warnings == []


def test_a_plain_renewal_reads_the_old_certificate_once(aws, ca) -> None:
    acm, _ = aws
    run(aws, make_leaf(ca, [HOST]), "first")
    reads: list[str] = []
    acm.meta.events.register("provide-client-params.acm.GetCertificate",
                             lambda params, **_: reads.append(params["CertificateArn"]))
    renewed = make_leaf(ca, [HOST], not_after=later(200))
    second = run(aws, renewed, "second")
    assert reads == [second.certificate_arn]
    # and a rerun with the same content reads only the one its fingerprint tag finds, to see that ACM still holds
    # that content (a hand re-import keeps the tags: tests/sandbox/test_aws_strictness.py)
    reads.clear()
    assert run(aws, renewed, "again").certificate_arn == second.certificate_arn and reads == [second.certificate_arn]


class RefusingReimports:
    """moto's ACM, but ImportCertificate into an ARN answers ACM's ValidationException (a rule not modelled)."""

    MESSAGE = "New certificate is missing one or more Key Usages supported by the currently imported certificate"

    def __init__(self, acm):
        self._acm = acm

    def __getattr__(self, name):
        return getattr(self._acm, name)

    def import_certificate(self, **params):
        if "CertificateArn" in params:
            raise ClientError({"Error": {"Code": "ValidationException", "Message": self.MESSAGE}}, "ImportCertificate")
        return self._acm.import_certificate(**params)


def test_acm_refusing_a_reimport_anyway_falls_back_to_a_fresh_import_with_a_warning(aws, ca):
    acm, secretsmanager = aws
    first = run(aws, make_leaf(ca, [HOST]), "first")
    before = acm.get_certificate(CertificateArn=first.certificate_arn)["Certificate"]
    second = run((RefusingReimports(acm), secretsmanager), make_leaf(ca, [HOST], not_after=later(200)), "second")
    assert second.certificate_arn != first.certificate_arn and second.certificate_imported
    [warning] = second.warnings
    assert first.certificate_arn in warning and RefusingReimports.MESSAGE in warning
    # The refused ARN is as it was
    assert acm.get_certificate(CertificateArn=first.certificate_arn)["Certificate"] == before


def test_an_old_certificate_that_cannot_be_read_is_not_reimported_into(aws, ca):
    acm, secretsmanager = aws
    first = run(aws, make_leaf(ca, [HOST]), "first")

    class Unreadable(RefusingReimports):
        def get_certificate(self, **_):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetCertificate")

    second = run((Unreadable(acm), secretsmanager), make_leaf(ca, [HOST], not_after=later(200)), "second")
    [warning] = second.warnings
    assert second.certificate_arn != first.certificate_arn and "could not be read" in warning


def test_a_retry_after_a_killed_fresh_import_of_a_renewal_names_the_old_arn_as_an_undisturbed_run(aws, ca):
    # Given a certificate an earlier execution imported
    acm, _ = aws
    run(aws, make_leaf(ca, [HOST]), "first", "arn:aws:states:us-east-1:123456789012:execution:Setup:earlier")
    # and a renewal ACM would not re-import (it adds Key Usage), imported fresh by this execution, which died then
    renewal = make_leaf(ca, [HOST], key_usage={DS}, not_after=later(200))
    this_run = "arn:aws:states:us-east-1:123456789012:execution:Setup:this-run"
    undisturbed = run(aws, renewal, "second", this_run)
    # When Step Functions runs the step again in the same execution
    retried = run(aws, renewal, "second", this_run)
    # Then it answers as the attempt that imported: imported, with the warning naming the old certificate
    assert retried == undisturbed and retried.certificate_imported and len(retried.warnings) == 1
    assert managed_count(acm) == 2
