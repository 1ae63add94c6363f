"""VerifyLayer4: Milvus answers through the Layer-4 load balancer, plain or over TLS, before the ALB goes."""

from __future__ import annotations

import socket

import pytest

from layer7.errors import VerificationFailed
from layer7.undo_models import VerifyLayer4Event
from tests.unit.undo_events import HOST, NEW_NLB, layer4, undo_request, wire
from verify_layer4.logic import verify_layer4


class Client:
    made: list[dict] = []

    def __init__(self, **kwargs):
        Client.made.append(kwargs)

    def get_server_version(self, timeout):
        return "v2.6.15"

    def close(self):
        pass


class Refused(Client):
    def get_server_version(self, timeout):
        raise ConnectionError("failed to connect to all addresses; last error: UNAVAILABLE: Connection refused")


def event(**verify) -> VerifyLayer4Event:
    settings = {"tls": False, "port": 19530, "serverName": HOST, "timeoutSeconds": 30, **verify}
    return VerifyLayer4Event.model_validate(wire(undo_request(layer4Verify=settings), layer4=layer4()))


def resolves(*args, **kwargs):
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 19530))]


def test_plain_grpc_through_the_layer4_load_balancer():
    Client.made = []
    result = verify_layer4(event(), secrets=None, resolve=resolves, client_factory=Client)
    [made] = Client.made
    assert made["uri"] == f"http://{NEW_NLB}:19530" and made["dedicated"] is True and "server_name" not in made
    assert result.to_wire() | {"latencyMs": 0} == {
        "endpoint": f"{NEW_NLB}:19530", "serverName": "", "serverVersion": "v2.6.15", "latencyMs": 0,
        "roundTrip": False, "tls": False}


def test_tls_checks_the_server_name_against_the_system_roots():
    Client.made = []
    result = verify_layer4(event(tls=True, port=443), secrets=None, resolve=resolves, client_factory=Client)
    [made] = Client.made
    assert made["uri"] == f"https://{NEW_NLB}:443" and made["server_name"] == HOST
    assert made["server_pem_path"].endswith(".pem")
    assert (result.server_name, result.tls) == (HOST, True)


def test_nothing_answering_is_verification_failed_with_what_to_check():
    with pytest.raises(VerificationFailed) as caught:
        verify_layer4(event(), secrets=None, resolve=resolves, client_factory=Refused)
    message = str(caught.value)
    assert message.startswith(f"plain gRPC to {NEW_NLB}:19530 (the Service's Layer-4 load balancer) failed "
                              "while asking the server version: ")
    assert "check the Service's port (layer4Verify.port)" in message and message.endswith("The ALB still serves Milvus")


def test_a_name_that_does_not_resolve_yet_is_retried():
    def unknown(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(VerificationFailed, match="does not resolve yet"):
        verify_layer4(event(), secrets=None, resolve=unknown, client_factory=Client)
