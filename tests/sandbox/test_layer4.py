"""The service controller stand-in: a LoadBalancer Service gets an NLB that passes TCP through, and loses it."""

from __future__ import annotations

import socket
import threading

import pytest

from sandbox.dataplane.nlb import NetworkLoadBalancers, TcpProxy
from sandbox.kubernetes.service_controller import FINALIZER, ServiceControllerStandIn, default_load_balancer_name
from tests.polling import wait_for
from tests.sandbox.conftest import chart_service


@pytest.fixture()
def echo():
    """A TCP server that answers every line with itself: the pod behind the NLB."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=lambda c=conn: [c.sendall(data) for data in iter(lambda: c.recv(1024), b"")],
                             daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def say(port: int, text: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
        conn.sendall(text)
        return conn.recv(1024)


def answers(nlbs: NetworkLoadBalancers, hostname: str) -> bool:
    port = nlbs.endpoint(hostname, 19530)
    if port is None:  # no load balancer has that name yet
        return False
    try:
        return say(port, b"?") == b"?"
    except OSError:
        return False


def test_the_proxy_passes_bytes_through_and_close_drops_its_connections(echo):
    proxy = TcpProxy(echo)
    conn = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
    conn.sendall(b"ping")
    assert conn.recv(1024) == b"ping"
    proxy.close()
    assert conn.recv(1024) == b""  # the connection went with the load balancer
    with pytest.raises(OSError):
        say(proxy.port, b"x")


def test_a_service_loses_its_nlb_when_it_leaves_load_balancer_and_gets_a_fresh_one_back(standin, echo):
    # Given the chart's LoadBalancer Service with the address its NLB has
    seeded = standin.seed_service(chart_service())
    old_name = seeded["status"]["loadBalancer"]["ingress"][0]["hostname"]
    changes = []
    nlbs = NetworkLoadBalancers(echo, on_change=changes.append)
    controller = ServiceControllerStandIn(standin, nlbs=nlbs, provision_delay=0.3, serve_delay=1.0,
                                          poll_interval=0.05).start()
    try:
        # Then the controller adopts it: finalizer on, the name answers on the Service's port
        wait_for(lambda: nlbs.endpoint(old_name, 19530))
        assert standin.get("services", "milvus", "milvus-demo")["metadata"]["finalizers"] == [FINALIZER]
        assert say(nlbs.endpoint(old_name, 19530), b"hello") == b"hello"
        # When the Service becomes ClusterIP
        standin.patch("services", "milvus", "milvus-demo", {"spec": {
            "type": "ClusterIP", "loadBalancerSourceRanges": None, "allocateLoadBalancerNodePorts": None,
            "externalTrafficPolicy": None, "ports": [{"port": 19530, "nodePort": None},
                                                      {"port": 9091, "nodePort": None}]}},
                      content_type="application/strategic-merge-patch+json")
        # Then the NLB goes: its name maps to nothing, the finalizer is off, the status empty
        wait_for(lambda: nlbs.endpoints.get(old_name, "") is None)
        service = standin.get("services", "milvus", "milvus-demo")
        assert service["metadata"].get("finalizers") is None and service["status"]["loadBalancer"] == {}
        assert nlbs.endpoint(old_name, 19530) is None and changes[-1][old_name] is None
        # When it becomes LoadBalancer again
        standin.patch("services", "milvus", "milvus-demo", {"spec": {"type": "LoadBalancer"}},
                      content_type="application/strategic-merge-patch+json")
        # Then, after the provisioning delay, it has a fresh address that answers, and the old one still does not
        hostname = wait_for(lambda: (standin.get("services", "milvus", "milvus-demo")["status"]["loadBalancer"]
                                     .get("ingress") or [{}])[0].get("hostname"))
        uid = service["metadata"]["uid"]
        assert hostname != old_name and hostname.startswith(default_load_balancer_name(uid) + "-")
        assert hostname.endswith(".elb.us-east-1.amazonaws.com")
        # which refuses connections at first, as a provisioning NLB whose targets are not registered yet
        with pytest.raises(ConnectionRefusedError):
            say(nlbs.endpoint(hostname, 19530), b"too early")
        # and serves a little later
        wait_for(lambda: answers(nlbs, hostname), timeout=5, every=0.1)
        assert say(nlbs.endpoint(hostname, 19530), b"again") == b"again"
        assert nlbs.endpoint(old_name, 19530) is None
        reasons = [e["reason"] for e in standin.events_for("milvus", "Service", "milvus-demo")]
        assert {"EnsuringLoadBalancer", "EnsuredLoadBalancer", "DeletingLoadBalancer",
                "DeletedLoadBalancer"} <= set(reasons)
        assert not controller.errors
    finally:
        controller.stop()
        nlbs.close()
