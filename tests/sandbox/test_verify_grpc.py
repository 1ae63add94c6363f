"""VerifyGrpc against a real Milvus behind a real TLS proxy, with the chain in (moto's) ACM.

One milvus-lite and one nginx serve the whole module: milvus-lite takes a
moment to start, and every test only reads from it (the round trip drops its
scratch collection).
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from layer7.errors import VerificationFailed
from sandbox.dataplane.processes import MilvusLite, NginxAlb, free_port
from testkit.certs import make_leaf
from tests.unit.verify_grpc_events import HOST, TOKEN, aws, import_certificate, leaf, make_event  # noqa: F401
from verify_grpc import handler
from verify_grpc.logic import verify


@pytest.fixture(scope="module")
def dataplane(tmp_path_factory, leaf):
    work = tmp_path_factory.mktemp("dataplane")
    milvus = MilvusLite(work / "milvus")
    pems = (leaf.certificate_pem, leaf.private_key_pem, leaf.chain_pem)
    alb = NginxAlb(work / "alb", free_port(), *pems, milvus.port, host=HOST)
    yield SimpleNamespace(milvus=milvus, alb=alb)
    alb.stop()
    milvus.stop()

def test_milvus_answers_through_the_proxy(dataplane, aws, leaf):
    # Given the certificate and its chain in ACM, and Milvus behind the TLS proxy
    arn = import_certificate(aws.acm, leaf)
    # When VerifyGrpc checks the endpoint as the host
    result = verify(make_event(arn, dataplane.alb.listen_port), acm=aws.acm, secrets=aws.secrets)
    # Then it reports the server, the round trip time, and the certificate and TLS version the listener presented
    assert result.endpoint == f"localhost:{dataplane.alb.listen_port}"
    assert result.certificate_fingerprint_sha256 == leaf.fingerprint_sha256
    assert result.tls_version == "TLSv1.3"
    assert result.server_name == HOST
    assert result.server_version
    assert result.latency_ms > 0
    assert result.round_trip is False


def test_round_trip_with_credentials_creates_and_drops_a_scratch_collection(dataplane, aws, leaf):
    # Given credentials as username and password
    arn = import_certificate(aws.acm, leaf)
    credentials = json.dumps({"username": "root", "password": "Milvus"})
    secret = aws.secrets.create_secret(Name="milvus-token", SecretString=credentials)
    event = make_event(arn, dataplane.alb.listen_port, tokenSecretArn=secret["ARN"], roundTrip=True)
    # When VerifyGrpc runs the round trip
    result = verify(event, acm=aws.acm, secrets=aws.secrets)
    # Then it worked and left nothing behind
    assert result.round_trip is True
    from pymilvus import MilvusClient

    direct = MilvusClient(uri=dataplane.milvus.uri, dedicated=True)
    try:
        assert not [name for name in direct.list_collections() if name.startswith("layer7_verify_")]
    finally:
        direct.close()


def test_handler_returns_the_wire_dict_and_emits_the_latency_metric(dataplane, aws, leaf, capsys, lambda_context):
    arn = import_certificate(aws.acm, leaf)
    event = make_event(arn, dataplane.alb.listen_port).to_wire()
    out = handler.lambda_handler(event, lambda_context, acm=aws.acm, secrets=aws.secrets)
    assert out["serverName"] == HOST and out["latencyMs"] > 0 and out["endpoint"].startswith("localhost:")
    assert "VerificationLatencyMs" in capsys.readouterr().out


def test_wrong_server_name_fails_without_showing_the_token(dataplane, aws, leaf):
    # Given a host the certificate does not name, and a token
    arn = import_certificate(aws.acm, leaf)
    secret = aws.secrets.create_secret(Name="t", SecretString=json.dumps({"token": TOKEN}))
    port = dataplane.alb.listen_port
    event = make_event(arn, port, host="other.example.test", tokenSecretArn=secret["ARN"], timeoutSeconds=5)
    # Then the TLS name check fails, and the message says what to look at
    with pytest.raises(VerificationFailed, match="not trusted for other.example.test") as failure:
        verify(event, acm=aws.acm, secrets=aws.secrets)
    assert TOKEN not in str(failure.value)
    assert "s3cret" not in str(failure.value)


def test_untrusted_ca_fails(dataplane, aws, leaf):
    # Given the certificate in ACM without its (private) chain: only system roots are trusted
    arn = import_certificate(aws.acm, leaf, with_chain=False)
    with pytest.raises(VerificationFailed, match="not trusted for milvus.example.test"):
        verify(make_event(arn, dataplane.alb.listen_port, timeoutSeconds=5), acm=aws.acm, secrets=aws.secrets)


def test_milvus_down_behind_the_proxy_fails(dataplane, aws, leaf):
    # Given the TLS listener up but Milvus stopped behind it
    arn = import_certificate(aws.acm, leaf)
    dataplane.milvus.stop()
    try:
        assert not dataplane.milvus.answers_grpc()
        with pytest.raises(VerificationFailed, match="could not reach Milvus"):
            verify(make_event(arn, dataplane.alb.listen_port, timeoutSeconds=5), acm=aws.acm, secrets=aws.secrets)
    finally:
        dataplane.milvus.start()
    # And once it is back, the check passes again
    assert verify(make_event(arn, dataplane.alb.listen_port), acm=aws.acm, secrets=aws.secrets).server_version


def test_a_listener_still_serving_the_previous_certificate_fails(dataplane, aws, leaf):
    # Given a rotation: ACM holds a new certificate for the host, the listener still serves the old one
    new = make_leaf(leaf.root, [HOST])
    arn = import_certificate(aws.acm, new)
    event = make_event(arn, dataplane.alb.listen_port, fingerprint=new.fingerprint_sha256, timeoutSeconds=5)
    # When VerifyGrpc runs
    with pytest.raises(VerificationFailed) as failure:
        verify(event, acm=aws.acm, secrets=aws.secrets)
    # Then the cause names the certificate served and the one imported, though the old one is trusted for the host
    assert f"still serves another certificate for {HOST}: SHA-256 {leaf.fingerprint_sha256}, not " \
           f"{new.fingerprint_sha256}, the one this run imported into {arn}" in str(failure.value)
    # And once the listener serves the new one, it passes
    dataplane.alb.reload(new.certificate_pem, new.private_key_pem, new.chain_pem)
    try:
        assert verify(event, acm=aws.acm, secrets=aws.secrets).certificate_fingerprint_sha256 == \
            new.fingerprint_sha256
    finally:
        dataplane.alb.reload(leaf.certificate_pem, leaf.private_key_pem, leaf.chain_pem)
