"""VerifyGrpc without a server: failing fast, the Milvus credentials, the CA bundle."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from layer7.errors import VerificationFailed
from tests.unit.verify_grpc_events import HOST, aws, import_certificate, leaf, make_event  # noqa: F401 - fixtures
from verify_grpc.logic import read_token, verify, write_ca_bundle

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
