"""ImportCertificate against moto's ACM and Secrets Manager: import once, reuse, rotate, refuse."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from import_certificate import handler
from import_certificate.logic import ensure_certificate
from layer7.environment import FunctionEnvironment
from layer7.errors import CertificateInvalid, CertificateNotFound, TransientError
from layer7.models import SetupRequest
from layer7.observability import logger
from layer7.ownership import TAG_FINGERPRINT, TAG_HOST, TAG_MANAGED_BY
from testkit.certs import make_ca, make_leaf
from validate.logic import validate

HOST = "milvus.example.com"
REGION = "us-east-1"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:MilvusLayer7-Setup:this-run"
EARLIER_EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:MilvusLayer7-Setup:earlier-run"
LATER_EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:MilvusLayer7-Setup:later-run"


@pytest.fixture(scope="module")
def ca():
    return make_ca("Test Root CA")


@pytest.fixture(scope="module")
def leaf(ca):
    return make_leaf(ca, [HOST])


@pytest.fixture
def aws():
    with mock_aws():
        yield boto3.client("acm", region_name=REGION), boto3.client("secretsmanager", region_name=REGION)


@pytest.fixture
def log_output():
    """What the Powertools logger writes, at DEBUG, whatever pytest does with stdout."""
    stream = io.StringIO()
    previous_stream = logger.registered_handler.setStream(stream)
    previous_level = logger.log_level
    logger.setLevel(logging.DEBUG)
    yield stream
    logger.registered_handler.setStream(previous_stream)
    logger.setLevel(previous_level)


def store(secretsmanager, issued, name="milvus-tls", **override) -> str:
    value = {
        "certificate": issued.certificate_pem,
        "privateKey": issued.private_key_pem,
        "certificateChain": issued.chain_pem,
    }
    value.update(override)
    return secretsmanager.create_secret(Name=name, SecretString=json.dumps(value))["ARN"]


def request_for(certificate: dict, host: str = HOST) -> SetupRequest:
    return validate({"host": host, "certificate": certificate},
                    FunctionEnvironment(cluster_name="milvus-eks", region=REGION))


def event_for(request: SetupRequest) -> dict:
    return {"request": request.to_wire(), "correlationId": "arn:aws:states:us-east-1:123456789012:execution:sm:run"}


def tags_of(acm, arn) -> dict:
    return {tag["Key"]: tag["Value"] for tag in acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]}


def certificate_count(acm) -> int:
    return len(
        acm.list_certificates(Includes={"keyTypes": ["RSA_2048", "EC_prime256v1", "EC_secp384r1"]})[
            "CertificateSummaryList"
        ]
    )


def key_lines(issued) -> list[str]:
    return [line for line in issued.private_key_pem.splitlines() if "-" not in line]


def assert_no_key_material(text: str, issued) -> None:
    assert "PRIVATE KEY" not in text
    assert not any(line in text for line in key_lines(issued))


# --- importing from a secret -------------------------------------------------------


def test_a_new_certificate_is_imported_with_the_products_tags(aws, leaf):
    # Given a certificate secret and an empty ACM
    acm, secretsmanager = aws
    request = request_for({"secretArn": store(secretsmanager, leaf)})
    # When the step runs
    result = ensure_certificate(request, acm=acm, secretsmanager=secretsmanager)
    # Then the certificate is imported and tagged as ours, for this host and content
    assert result.certificate_imported is True
    assert result.fingerprint_sha256 and result.days_until_expiry in (88, 89)
    assert result.not_after == leaf.certificate.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert tags_of(acm, result.certificate_arn) == {
        TAG_HOST: HOST,
        TAG_FINGERPRINT: result.fingerprint_sha256,
        TAG_MANAGED_BY: "milvus-layer7",
    }
    assert certificate_count(acm) == 1


def test_the_same_certificate_again_is_reused(aws, leaf):
    # Given a run that imported the certificate
    acm, secretsmanager = aws
    request = request_for({"secretArn": store(secretsmanager, leaf)})
    first = ensure_certificate(request, acm=acm, secretsmanager=secretsmanager)
    # When a second run brings the same certificate
    second = ensure_certificate(request, acm=acm, secretsmanager=secretsmanager)
    # Then the first import is reused and nothing new is in ACM
    assert second.certificate_arn == first.certificate_arn
    assert second.certificate_imported is False
    assert certificate_count(acm) == 1


def test_a_retry_after_the_first_attempt_was_killed_past_its_import_reports_this_executions_import(aws, leaf):
    # Given an execution that started before its first attempt imported the certificate and died (result lost)
    acm, secretsmanager = aws
    request = request_for({"secretArn": store(secretsmanager, leaf)})
    undisturbed = ensure_certificate(request, acm=acm, secretsmanager=secretsmanager, execution=EXECUTION)
    # When Step Functions runs the step again in the same execution
    retried = ensure_certificate(request, acm=acm, secretsmanager=secretsmanager, execution=EXECUTION)
    # Then nothing more is imported and the answer is the undisturbed one: imported by this run
    assert retried == undisturbed and retried.certificate_imported is True
    assert certificate_count(acm) == 1
    # while a later execution (however soon after: no clock is compared) imported nothing
    later = ensure_certificate(request, acm=acm, secretsmanager=secretsmanager, execution=LATER_EXECUTION)
    assert later == undisturbed.model_copy(update={"certificate_imported": False})


def test_a_retry_after_a_killed_renewal_re_import_reports_it_imported(aws, ca, leaf):
    # Given a certificate an earlier execution imported
    acm, secretsmanager = aws
    ensure_certificate(request_for({"secretArn": store(secretsmanager, leaf)}), acm=acm, secretsmanager=secretsmanager,
                       execution=EARLIER_EXECUTION)
    # and a renewal this execution re-imported into its ARN (the tags written after it) before dying
    renewed = request_for({"secretArn": store(secretsmanager, make_leaf(ca, [HOST]), "renewed")})
    undisturbed = ensure_certificate(renewed, acm=acm, secretsmanager=secretsmanager, execution=EXECUTION)
    # When the step runs again in the same execution, then it answers as the attempt that re-imported
    retried = ensure_certificate(renewed, acm=acm, secretsmanager=secretsmanager, execution=EXECUTION)
    assert retried == undisturbed and (retried.certificate_imported, retried.warnings) == (True, [])
    assert certificate_count(acm) == 1


def test_an_ec_p384_certificate_is_found_again(aws, ca):
    # ListCertificates hides non-RSA-2048 keys unless asked: an EC certificate must still be reused
    acm, secretsmanager = aws
    issued = make_leaf(ca, [HOST], "ec384")
    request = request_for({"secretArn": store(secretsmanager, issued)})
    first = ensure_certificate(request, acm=acm, secretsmanager=secretsmanager)
    assert ensure_certificate(request, acm=acm, secretsmanager=secretsmanager).certificate_arn == first.certificate_arn


def test_a_renewed_certificate_for_the_same_host_replaces_the_old_one_in_place(aws, ca, leaf):
    # Given a certificate imported for the host
    acm, secretsmanager = aws
    first = ensure_certificate(
        request_for({"secretArn": store(secretsmanager, leaf)}), acm=acm, secretsmanager=secretsmanager
    )
    # When a renewed certificate (new key, later expiry) for the same host is stored and the step runs
    renewed = make_leaf(ca, [HOST], not_after=dt.datetime.now(dt.UTC) + dt.timedelta(days=365))
    second = ensure_certificate(
        request_for({"secretArn": store(secretsmanager, renewed, "renewed")}), acm=acm, secretsmanager=secretsmanager
    )
    # Then it is re-imported into the same ARN, which listeners already use
    assert second.certificate_arn == first.certificate_arn
    assert second.certificate_imported is True
    assert second.fingerprint_sha256 != first.fingerprint_sha256
    described = acm.describe_certificate(CertificateArn=second.certificate_arn)["Certificate"]
    assert described["NotAfter"].date() == renewed.certificate.not_valid_after_utc.date()
    # And the tags describe the new content
    assert tags_of(acm, second.certificate_arn)[TAG_FINGERPRINT] == second.fingerprint_sha256
    assert tags_of(acm, second.certificate_arn)[TAG_MANAGED_BY] == "milvus-layer7"
    assert certificate_count(acm) == 1


def test_a_renewal_with_another_key_type_is_a_new_certificate_and_the_old_one_is_named(aws, ca, leaf):
    # Given an EC P-256 certificate imported for the host
    acm, secretsmanager = aws
    first = ensure_certificate(
        request_for({"secretArn": store(secretsmanager, leaf)}), acm=acm, secretsmanager=secretsmanager
    )
    # When its renewal has an RSA 2048 key (ACM refuses to re-import another key type or size into an ARN)
    renewed = make_leaf(ca, [HOST], "rsa2048")
    second = ensure_certificate(
        request_for({"secretArn": store(secretsmanager, renewed, "renewed-rsa")}), acm=acm,
        secretsmanager=secretsmanager,
    )
    # Then it is imported as a new certificate, tagged as ours, and the old one is left and named
    assert second.certificate_arn != first.certificate_arn and second.certificate_imported
    assert tags_of(acm, second.certificate_arn)[TAG_MANAGED_BY] == "milvus-layer7"
    assert certificate_count(acm) == 2
    [warning] = second.warnings
    assert first.certificate_arn in warning and "same key type and size" in warning
    # and a later renewal with the RSA key again goes into the RSA certificate
    again = make_leaf(ca, [HOST], "rsa2048", not_after=dt.datetime.now(dt.UTC) + dt.timedelta(days=200))
    third = ensure_certificate(
        request_for({"secretArn": store(secretsmanager, again, "again-rsa")}), acm=acm, secretsmanager=secretsmanager
    )
    assert third.certificate_arn == second.certificate_arn and third.warnings == []


def test_another_host_gets_its_own_certificate(aws, ca, leaf):
    acm, secretsmanager = aws
    first = ensure_certificate(
        request_for({"secretArn": store(secretsmanager, leaf)}), acm=acm, secretsmanager=secretsmanager
    )
    other = make_leaf(ca, ["other.example.com"])
    second = ensure_certificate(
        request_for({"secretArn": store(secretsmanager, other, "other")}, host="other.example.com"),
        acm=acm,
        secretsmanager=secretsmanager,
    )
    assert second.certificate_arn != first.certificate_arn and certificate_count(acm) == 2


def test_a_certificate_someone_else_imported_is_left_alone(aws, leaf):
    # Given the same certificate imported by hand, without the product's tags
    acm, secretsmanager = aws
    theirs = acm.import_certificate(
        Certificate=leaf.certificate_pem.encode(), PrivateKey=leaf.private_key_pem.encode()
    )["CertificateArn"]
    # When the step runs
    result = ensure_certificate(
        request_for({"secretArn": store(secretsmanager, leaf)}), acm=acm, secretsmanager=secretsmanager
    )
    # Then it imports its own copy rather than taking over theirs
    assert result.certificate_arn != theirs and result.certificate_imported is True


def test_a_missing_secret_is_certificate_not_found(aws):
    acm, secretsmanager = aws
    missing = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:nothing-here-AbCdEf"
    with pytest.raises(CertificateNotFound, match="does not exist"):
        ensure_certificate(request_for({"secretArn": missing}), acm=acm, secretsmanager=secretsmanager)


@pytest.mark.parametrize(
    ("secret_string", "expected"),
    [
        ("-----BEGIN PRIVATE KEY-----\nnot json", "is not a JSON object"),
        ('["certificate"]', "is not a JSON object"),
        ('{"certificate": "x"}', "has no privateKey"),
        ('{"certificate": "x", "privateKey": "y", "certificateChain": 3}', "certificateChain must be a PEM string"),
    ],
)
def test_a_secret_of_the_wrong_shape_is_certificate_invalid(aws, secret_string, expected):
    acm, secretsmanager = aws
    arn = secretsmanager.create_secret(Name="bad", SecretString=secret_string)["ARN"]
    with pytest.raises(CertificateInvalid, match=expected) as caught:
        ensure_certificate(request_for({"secretArn": arn}), acm=acm, secretsmanager=secretsmanager)
    assert "PRIVATE KEY" not in str(caught.value)


def test_a_bad_bundle_changes_nothing_in_acm(aws, ca, leaf):
    # Given a secret whose key belongs to another certificate
    acm, secretsmanager = aws
    other = make_leaf(ca, [HOST])
    arn = store(secretsmanager, leaf, privateKey=other.private_key_pem)
    # When the step runs, it refuses and imports nothing
    with pytest.raises(CertificateInvalid, match="privateKey: does not match"):
        ensure_certificate(request_for({"secretArn": arn}), acm=acm, secretsmanager=secretsmanager)
    assert certificate_count(acm) == 0


def test_a_garbage_pem_names_the_secret_and_never_its_contents(aws, leaf):
    # Given a secret whose certificate field is not PEM at all
    acm, secretsmanager = aws
    arn = store(secretsmanager, leaf, certificate="hello, not a certificate")
    # When the step runs
    with pytest.raises(CertificateInvalid) as caught:
        ensure_certificate(request_for({"secretArn": arn}), acm=acm, secretsmanager=secretsmanager)
    # Then the message says which secret and which field, and quotes neither the value nor the key
    message = str(caught.value)
    assert message.startswith(f"certificate.secretArn: secret {arn}: certificate:")
    assert "hello" not in message
    assert_no_key_material(message, leaf)


# --- a certificate already in ACM ------------------------------------------------------


def test_a_certificate_arn_is_checked_and_used_as_is(aws, leaf):
    acm, secretsmanager = aws
    arn = acm.import_certificate(Certificate=leaf.certificate_pem.encode(), PrivateKey=leaf.private_key_pem.encode())[
        "CertificateArn"
    ]
    result = ensure_certificate(request_for({"certificateArn": arn}), acm=acm, secretsmanager=secretsmanager)
    assert result.certificate_arn == arn and result.certificate_imported is False
    assert result.fingerprint_sha256 and result.days_until_expiry in (88, 89)
    assert certificate_count(acm) == 1


def test_a_certificate_arn_that_does_not_cover_the_host_is_certificate_invalid(aws, leaf):
    acm, secretsmanager = aws
    arn = acm.import_certificate(Certificate=leaf.certificate_pem.encode(), PrivateKey=leaf.private_key_pem.encode())[
        "CertificateArn"
    ]
    with pytest.raises(CertificateInvalid, match=r"does not cover host other\.example\.com"):
        ensure_certificate(
            request_for({"certificateArn": arn}, host="other.example.com"), acm=acm, secretsmanager=secretsmanager
        )


def test_a_wildcard_certificate_arn_covers_one_label(aws, ca):
    acm, secretsmanager = aws
    wildcard = make_leaf(ca, ["*.example.com"])
    arn = acm.import_certificate(
        Certificate=wildcard.certificate_pem.encode(), PrivateKey=wildcard.private_key_pem.encode()
    )["CertificateArn"]
    assert (
        ensure_certificate(request_for({"certificateArn": arn}), acm=acm, secretsmanager=secretsmanager).certificate_arn
        == arn
    )
    with pytest.raises(CertificateInvalid):
        ensure_certificate(
            request_for({"certificateArn": arn}, host="a.milvus.example.com"), acm=acm, secretsmanager=secretsmanager
        )


def test_a_certificate_arn_not_yet_issued_is_certificate_invalid(aws):
    acm, secretsmanager = aws
    arn = acm.request_certificate(DomainName=HOST, ValidationMethod="DNS")["CertificateArn"]
    with pytest.raises(CertificateInvalid, match="is PENDING_VALIDATION, not ISSUED"):
        ensure_certificate(request_for({"certificateArn": arn}), acm=acm, secretsmanager=secretsmanager)


def test_a_missing_certificate_arn_is_certificate_not_found(aws):
    acm, secretsmanager = aws
    missing = f"arn:aws:acm:{REGION}:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    with pytest.raises(CertificateNotFound, match="is not in ACM"):
        ensure_certificate(request_for({"certificateArn": missing}), acm=acm, secretsmanager=secretsmanager)


# --- faults AWS may answer with ---------------------------------------------------------


class RefusingSecrets:
    def __init__(self, code: str, status: int):
        self.code, self.status = code, status

    def get_secret_value(self, **kwargs):
        raise ClientError(
            {"Error": {"Code": self.code, "Message": "no"}, "ResponseMetadata": {"HTTPStatusCode": self.status}},
            "GetSecretValue",
        )


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ThrottlingException", 400, TransientError),
        ("InternalServiceError", 500, TransientError),
        ("AccessDeniedException", 400, CertificateNotFound),
        ("DecryptionFailure", 400, CertificateNotFound),
    ],
)
def test_secrets_manager_faults_are_sorted(code, status, expected):
    request = request_for({"secretArn": f"arn:aws:secretsmanager:{REGION}:123456789012:secret:milvus-tls-AbCdEf"})
    with pytest.raises(expected):
        ensure_certificate(request, acm=None, secretsmanager=RefusingSecrets(code, status))


# --- the handler ---------------------------------------------------------------------------


def test_the_handler_imports_and_reports_days_until_expiry(aws, leaf, capsys, caplog, log_output, lambda_context):
    # Given a certificate secret, and every log line captured at DEBUG
    caplog.set_level(logging.DEBUG)
    _, secretsmanager = aws
    event = event_for(request_for({"secretArn": store(secretsmanager, leaf)}))
    # When the handler runs with clients it makes itself
    output = handler.lambda_handler(event, lambda_context)
    # Then it returns the certificate result as plain JSON
    assert output["certificateImported"] is True and output["certificateArn"].startswith("arn:aws:acm:")
    # And publishes the expiry metric
    printed = capsys.readouterr()
    metric = next(json.loads(line) for line in printed.out.splitlines() if "CertificateDaysUntilExpiry" in line)
    assert metric["CertificateDaysUntilExpiry"] in (output["daysUntilExpiry"], [output["daysUntilExpiry"]])
    assert metric["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [
        {"Name": "CertificateDaysUntilExpiry", "Unit": "Count"}
    ]
    # And neither its result nor any log line holds the key
    for text in (json.dumps(output), printed.out, printed.err, log_output.getvalue(), caplog.text):
        assert_no_key_material(text, leaf)
    assert "certificate imported" in log_output.getvalue()


def test_a_failing_run_leaks_no_key_material(aws, ca, leaf, capsys, caplog, log_output, lambda_context):
    # Given a secret whose certificate does not name the host
    caplog.set_level(logging.DEBUG)
    acm, secretsmanager = aws
    event = event_for(request_for({"secretArn": store(secretsmanager, leaf)}, host="other.example.com"))
    # When the handler runs with injected clients
    with pytest.raises(CertificateInvalid) as caught:
        handler.lambda_handler(event, lambda_context, acm=acm, secretsmanager=secretsmanager)
    # Then the error, the output and every log line are free of the key
    printed = capsys.readouterr()
    for text in (str(caught.value), printed.out, printed.err, log_output.getvalue(), caplog.text):
        assert_no_key_material(text, leaf)
