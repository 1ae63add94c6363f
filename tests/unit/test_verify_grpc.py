"""VerifyGrpc without a server: failing fast, the Milvus credentials, the CA bundle."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from layer7.errors import VerificationFailed
from layer7.milvus_grpc import read_token, write_ca_bundle
from layer7.served_certificate import PresentedCertificate, expected_fingerprint, same_fingerprint
from tests.unit.verify_grpc_events import HOST, aws, import_certificate, leaf, make_event  # noqa: F401 - fixtures
from verify_grpc.logic import verify


def test_a_name_that_does_not_resolve_fails_fast(aws, leaf):
    arn = import_certificate(aws.acm, leaf)
    started = time.monotonic()
    with pytest.raises(VerificationFailed, match="does not resolve yet"):
        verify(make_event(arn, 443, dns_name="k8s-x.invalid"), acm=aws.acm, secrets=aws.secrets)
    assert time.monotonic() - started < 10


def test_missing_load_balancer_name_fails(aws, leaf):
    arn = import_certificate(aws.acm, leaf)
    event = make_event(arn, 443)
    event = event.model_copy(update={"load_balancer": event.load_balancer.model_copy(update={"dns_name": None})})
    with pytest.raises(VerificationFailed, match="no DNS name"):
        verify(event, acm=aws.acm, secrets=aws.secrets)


@pytest.mark.parametrize(
    ("secret", "token"),
    [
        ({"token": "abc"}, "abc"),
        ({"username": "u", "password": "p"}, "u:p"),
        ({"token": "t", "username": "u", "password": "p"}, "t"),
    ],
)
def test_read_token_accepts_a_token_or_username_and_password(aws, secret, token):
    arn = aws.secrets.create_secret(Name="s", SecretString=json.dumps(secret))["ARN"]
    assert read_token(aws.secrets, arn) == token


def test_read_token_refuses_other_shapes_and_missing_secrets(aws):
    assert read_token(aws.secrets, None) == ""
    arn = aws.secrets.create_secret(Name="s", SecretString="not json")["ARN"]
    with pytest.raises(VerificationFailed, match="JSON object"):
        read_token(aws.secrets, arn)
    with pytest.raises(VerificationFailed, match="cannot read"):
        read_token(aws.secrets, "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf")


def test_ca_bundle_holds_system_roots_and_the_chain(tmp_path, leaf):
    path = write_ca_bundle(leaf.chain_pem, str(tmp_path))
    try:
        text = Path(path).read_text()
        assert leaf.chain_pem.strip() in text
        assert text.count("BEGIN CERTIFICATE") > 1
    finally:
        os.unlink(path)


# --- the certificate the ALB presents -------------------------------------------------------------------------------


class _Milvus:
    """A MilvusClient that answers; VerifyGrpc's gRPC path is tested against a real one in tests/sandbox."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def get_server_version(self, timeout):
        return "v2.6.0"

    def close(self):
        pass


def _presenting(fingerprint: str, *, trusted: bool = True, problem: str = ""):
    calls = []

    def present(dns_name, port, host, bundle, timeout):
        calls.append((dns_name, port, host, os.path.isfile(bundle)))
        return PresentedCertificate(fingerprint, "TLSv1.3", trusted=trusted, problem=problem)

    return present, calls


def test_the_output_records_the_presented_certificate_and_the_tls_version(aws, leaf):
    # Given the ALB presents the certificate this run imported
    arn = import_certificate(aws.acm, leaf)
    present, calls = _presenting(leaf.fingerprint_sha256.upper())  # any case: it is the same fingerprint
    event = make_event(arn, 443, fingerprint=leaf.fingerprint_sha256)
    # When VerifyGrpc runs
    result = verify(event, acm=aws.acm, secrets=aws.secrets, present=present, client_factory=_Milvus)
    # Then it asked the ALB's name and port as the host, with the CA bundle, and recorded what it saw
    assert calls == [("localhost", 443, HOST, True)]
    assert (result.certificate_fingerprint_sha256, result.tls_version) == (leaf.fingerprint_sha256.upper(), "TLSv1.3")
    assert result.to_wire()["certificateFingerprintSha256"] == leaf.fingerprint_sha256.upper()
    assert result.to_wire()["tlsVersion"] == "TLSv1.3"


def test_another_certificate_presented_fails_naming_both_fingerprints(aws, leaf):
    # Given the ALB still presents the previous certificate (the re-import not yet picked up)
    arn = import_certificate(aws.acm, leaf)
    stale = "ab" * 32
    present, _ = _presenting(stale)
    event = make_event(arn, 443, fingerprint=leaf.fingerprint_sha256)
    # Then VerifyGrpc fails before the gRPC call, saying the ALB still serves another certificate
    with pytest.raises(VerificationFailed) as failure:
        verify(event, acm=aws.acm, secrets=aws.secrets, present=present, client_factory=_fail_if_called)
    assert str(failure.value) == (
        f"the ALB on localhost:443 still serves another certificate for {HOST}: SHA-256 {stale}, not "
        f"{leaf.fingerprint_sha256}, the one this run imported into {arn}. The endpoint does not yet serve the new "
        "certificate: a re-import takes a moment to reach the ALB (the workflow retries); if it persists, check "
        f"that the Ingress's certificate-arn is {arn} and that no other certificate on the listener names {HOST}")


def test_a_stale_certificate_from_another_authority_is_named_stale_and_untrusted(aws, leaf):
    arn = import_certificate(aws.acm, leaf)
    present, _ = _presenting("cd" * 32, trusted=False, problem="unable to get local issuer certificate")
    with pytest.raises(VerificationFailed, match=f"still serves another certificate for {HOST}: SHA-256 "
                       f"{'cd' * 32} \\(and not trusted for {HOST}: unable to get local issuer certificate\\)"):
        verify(make_event(arn, 443, fingerprint=leaf.fingerprint_sha256), acm=aws.acm, secrets=aws.secrets,
               present=present, client_factory=_fail_if_called)


def test_without_a_recorded_fingerprint_the_one_in_acm_is_expected(aws, leaf):
    # Given ImportCertificate could not record a fingerprint (an existing certificate's body unreadable)
    assert expected_fingerprint("", leaf.certificate_pem) == leaf.fingerprint_sha256
    assert expected_fingerprint("", "") == ""
    # Then what ACM holds for the ARN is what the ALB must present
    arn = import_certificate(aws.acm, leaf)
    present, _ = _presenting("ef" * 32)
    with pytest.raises(VerificationFailed, match=f"not {leaf.fingerprint_sha256}, the one this run imported"):
        verify(make_event(arn, 443, fingerprint=""), acm=aws.acm, secrets=aws.secrets, present=present,
               client_factory=_fail_if_called)


def test_fingerprints_compare_in_any_case_and_with_colons():
    assert same_fingerprint("AB:CD:01", "abcd01") and not same_fingerprint("abcd01", "abcd02")


def _fail_if_called(**kwargs):
    raise AssertionError("the gRPC call must not be made once the certificate is known to be the wrong one")
