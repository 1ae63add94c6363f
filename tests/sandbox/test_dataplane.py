"""The sandbox's data plane: milvus-lite as the Milvus pod, nginx as the ALB's HTTPS listener."""

from __future__ import annotations

import socket
import ssl
import stat
import tempfile
import time
import warnings

import grpc
import pytest

from sandbox.dataplane.listener import ListenerSettings
from sandbox.dataplane.processes import DataPlaneError, MilvusLite, NginxAlb, answers_grpc, free_port
from testkit.certs import make_ca, make_leaf

HOST = "milvus.example.test"


@pytest.fixture(scope="module")
def ca():
    return make_ca("dataplane test CA")


@pytest.fixture(scope="module")
def leaf(ca):
    # Two names: one the listener's host rule routes, one it does not.
    return make_leaf(ca, [HOST, "other.example.test"])


@pytest.fixture(scope="module")
def milvus(tmp_path_factory):
    server = MilvusLite(tmp_path_factory.mktemp("milvus") / "data")
    yield server
    server.stop()


@pytest.fixture
def alb(tmp_path, leaf, milvus):
    pems = (leaf.certificate_pem, leaf.private_key_pem, leaf.chain_pem)
    proxy = NginxAlb(tmp_path / "alb", free_port(), *pems, milvus.port, host=HOST)
    yield proxy
    proxy.stop()


def secure_call(port: int, ca_pem: str, server_name: str, method: str = "/AWS.ALB/healthcheck") -> grpc.StatusCode:
    """One gRPC call through the listener as a client would make it; the status it ends with."""
    credentials = grpc.ssl_channel_credentials(root_certificates=ca_pem.encode())
    options = [("grpc.ssl_target_name_override", server_name)]
    with grpc.secure_channel(f"localhost:{port}", credentials, options=options) as channel:
        try:
            call: grpc.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(method)  # raw bytes both ways
            call(b"", timeout=5)
            return grpc.StatusCode.OK
        except grpc.RpcError as exc:
            return exc.code()


def test_free_port_can_be_bound():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_milvus_lite_answers_the_alb_health_check(milvus):
    assert milvus.running and milvus.answers_grpc()
    assert not answers_grpc(free_port(), timeout=0.5)
    from pymilvus import MilvusClient

    client = MilvusClient(uri=milvus.uri, dedicated=True)
    try:
        assert client.get_server_version()
    finally:
        client.close()


def test_listener_serves_leaf_and_chain_and_passes_grpc_to_milvus(alb, leaf, ca):
    # The certificate file is what ACM would serve: the leaf, then its chain
    bundle = alb.cert_path.read_text()
    assert bundle.index(leaf.certificate_pem.strip()) < bundle.index(ca.certificate_pem.strip())
    # The key is for nginx only
    assert stat.S_IMODE(alb.key_path.stat().st_mode) == 0o600
    conf = alb.conf_path.read_text()
    assert f"grpc_pass grpc://127.0.0.1:{alb.upstream_port};" in conf
    assert "client_max_body_size 64m;" in conf and f"listen 127.0.0.1:{alb.listen_port} ssl" in conf
    # A client that trusts the CA reaches Milvus as the host: UNIMPLEMENTED is the ALB's healthy answer
    assert secure_call(alb.listen_port, ca.certificate_pem, HOST) == grpc.StatusCode.UNIMPLEMENTED
    assert secure_call(alb.listen_port, ca.certificate_pem, HOST, "/milvus.proto.milvus.MilvusService/GetVersion") in (
        grpc.StatusCode.OK,
        grpc.StatusCode.INTERNAL,  # an empty body is not a GetVersionRequest everywhere; the point is it got there
    )
    assert logged(alb, f"host={HOST}")


def logged(alb, text: str, timeout: float = 5.0) -> bool:
    """nginx writes the access log line after the response: give it a moment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in alb.access_log.read_text():
            return True
        time.sleep(0.05)
    return False


def test_a_host_the_rule_does_not_name_gets_404(alb, ca):
    # Like the ALB's default action: HTTP 404, which gRPC reports as UNIMPLEMENTED, and nothing reaches Milvus
    assert secure_call(alb.listen_port, ca.certificate_pem, "other.example.test") == grpc.StatusCode.UNIMPLEMENTED
    assert logged(alb, '" 404 host=other.example.test')


def test_milvus_stopped_behind_the_listener_is_unavailable(tmp_path, leaf, ca):
    pems = (leaf.certificate_pem, leaf.private_key_pem, leaf.chain_pem)
    with NginxAlb(tmp_path, free_port(), *pems, free_port()) as alb:
        assert secure_call(alb.listen_port, ca.certificate_pem, HOST) == grpc.StatusCode.UNAVAILABLE


def test_reload_rotates_the_certificate_and_refuses_a_mismatched_key(alb, ca, leaf):
    # Given a new certificate for the same host
    new = make_leaf(ca, [HOST])
    before = alb.served_certificate_sha256()
    # When the listener reloads with it
    alb.reload(new.certificate_pem, new.private_key_pem, new.chain_pem)
    # Then it serves the new leaf, still answering gRPC
    after = alb.served_certificate_sha256()
    assert after and after != before
    assert secure_call(alb.listen_port, ca.certificate_pem, HOST) == grpc.StatusCode.UNIMPLEMENTED
    # And a key that does not match is refused, without its text in the message, and the old pair stays
    with pytest.raises(DataPlaneError, match="rejected") as refused:
        alb.reload(leaf.certificate_pem, new.private_key_pem, leaf.chain_pem)
    assert "PRIVATE KEY" not in str(refused.value)
    assert alb.served_certificate_sha256() == after
    assert new.certificate_pem.strip() in alb.cert_path.read_text()


def test_stop_closes_the_port_and_start_opens_it_again(alb):
    alb.stop()
    assert not alb.running and alb.served_certificate_sha256() is None
    alb.start()
    assert alb.served_certificate_sha256() is not None


def test_a_port_in_use_fails_with_the_log(tmp_path, leaf):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(DataPlaneError, match="nginx (exited|rejected)"):
            NginxAlb(tmp_path, port, leaf.certificate_pem, leaf.private_key_pem, None, free_port(), start_timeout=10)


def test_milvus_lite_restarts_on_the_same_port(tmp_path):
    server = MilvusLite(tempfile.mkdtemp(dir=tmp_path))
    try:
        port = server.port
        server.stop()
        assert not server.answers_grpc()
        server.start()
        assert server.port == port and server.answers_grpc()
    finally:
        server.stop()


# --- what the ALB enforces: the listener's security policy and the idle timeout ------------------------------------


def _policy(name: str):
    """The policy as DescribeSSLPolicies answers (moto's copy of AWS's)."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        [policy] = boto3.client("elbv2", region_name="us-east-1").describe_ssl_policies(Names=[name])["SslPolicies"]
    return policy


def handshake(port: int, ca_pem: str, *, maximum=None, minimum=None) -> str:
    """The TLS version one handshake as HOST negotiates, or the error's text.

    A TLS 1.1 client needs OpenSSL's security level 0 to even offer 1.1 (OpenSSL 3 refuses it above that).
    """
    context = ssl.create_default_context(cadata=ca_pem)
    if maximum is not None:
        context.maximum_version = maximum
    if minimum is not None:
        context.minimum_version = minimum
    if maximum is not None and maximum < ssl.TLSVersion.TLSv1_2:
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname=HOST) as tls:
                return str(tls.version())
    except ssl.SSLError as exc:
        return exc.reason or str(exc)


@pytest.fixture
def old_tls():
    """Python's enum still names TLS 1.0 and 1.1 (deprecated, as the protocols are)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield ssl.TLSVersion.TLSv1_1


def test_the_workflows_policy_refuses_tls_1_1_and_serves_1_2_and_1_3(tmp_path, leaf, ca, milvus, old_tls):
    # Given the listener with ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09 (TLSv1.2, TLSv1.3)
    listener = ListenerSettings.from_policy(_policy("ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"))
    assert listener.ssl_protocols == ("TLSv1.2", "TLSv1.3")
    pems = (leaf.certificate_pem, leaf.private_key_pem, leaf.chain_pem)
    with NginxAlb(tmp_path, free_port(), *pems, milvus.port, host=HOST, listener=listener) as alb:
        # Then a client that speaks at most TLS 1.1 is refused, by the server
        assert handshake(alb.listen_port, ca.certificate_pem, maximum=old_tls) == "TLSV1_ALERT_PROTOCOL_VERSION"
        # And TLS 1.2 and 1.3 clients are served
        assert handshake(alb.listen_port, ca.certificate_pem, maximum=ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
        assert handshake(alb.listen_port, ca.certificate_pem, minimum=ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
        assert secure_call(alb.listen_port, ca.certificate_pem, HOST) == grpc.StatusCode.UNIMPLEMENTED


def test_the_controllers_default_policy_still_serves_tls_1_1(tmp_path, leaf, ca, milvus, old_tls):
    # Given the listener with ELBSecurityPolicy-2016-08 (what the controller sets when no ssl-policy is given)
    listener = ListenerSettings.from_policy(_policy("ELBSecurityPolicy-2016-08"))
    pems = (leaf.certificate_pem, leaf.private_key_pem, leaf.chain_pem)
    with NginxAlb(tmp_path, free_port(), *pems, milvus.port, host=HOST, listener=listener) as alb:
        # Then TLS 1.1 is served: the refusal above is the policy's, not this machine's OpenSSL's
        assert handshake(alb.listen_port, ca.certificate_pem, maximum=old_tls) == "TLSv1.1"


def _idle_for(port: int, *, request: bool) -> float:
    """Seconds until the listener closes an HTTP/2 connection left idle (after its preface, and a request)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    with context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname=HOST) as tls:
        tls.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes(3) + bytes([4, 0]) + bytes(4))  # preface, SETTINGS
        if request:  # HEADERS, stream 1, END_STREAM|END_HEADERS: GET https / (HPACK static), :authority HOST
            block = bytes([0x82, 0x87, 0x84, 0x41, len(HOST)]) + HOST.encode()
            tls.sendall(len(block).to_bytes(3, "big") + bytes([1, 5]) + (1).to_bytes(4, "big") + block)
        started = time.monotonic()
        tls.settimeout(10)
        while tls.recv(4096):
            pass
        return time.monotonic() - started


def test_an_idle_connection_is_closed_after_the_idle_timeout(tmp_path, leaf, milvus):
    # Given an idle timeout of 2 s (idle_timeout.timeout_seconds=2)
    pems = (leaf.certificate_pem, leaf.private_key_pem, leaf.chain_pem)
    listener = ListenerSettings(idle_timeout_seconds=2)
    with NginxAlb(tmp_path, free_port(), *pems, milvus.port, host=HOST, listener=listener) as alb:
        # Then a connection that sends nothing, before its first request and after one, is closed after 2 s
        for request in (False, True):
            assert 1.8 <= _idle_for(alb.listen_port, request=request) <= 3.5


def test_configure_restarts_with_another_policy(alb, ca, old_tls):
    before = alb.served_certificate_sha256()
    alb.configure(ListenerSettings.from_policy(_policy("ELBSecurityPolicy-2016-08")))
    assert handshake(alb.listen_port, ca.certificate_pem, maximum=old_tls) == "TLSv1.1"
    assert alb.served_certificate_sha256() == before
