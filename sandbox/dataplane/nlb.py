"""The Network Load Balancers' data plane in the sandbox: per NLB DNS name, a local port per Service port.

An NLB passes TCP through (Milvus speaks plain gRPC), so each port of a serving NLB is a TCP proxy on 127.0.0.1 in
front of the sandbox's one Milvus. A provisioning NLB has its name but routes nothing yet (ELB user guide, "Register
targets for your Network Load Balancer"): its ports are bound sockets that never listen, so a client is refused.
When each state begins is the cloud's service controller's decision (sandbox/kubernetes/service_controller.py).
``on_change`` receives the name -> port map for the Lambdas' resolver shim (sandbox/aws/lambda_shim).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

Endpoints = dict[str, dict[str, int] | None]  # NLB name -> {service port: local port}, None once deleted


class TcpProxy:
    """Accepts on a free 127.0.0.1 port and pipes each connection to ``upstream_port``; ``close`` drops them all."""

    def __init__(self, upstream_port: int, *, host: str = "127.0.0.1") -> None:
        self.upstream = (host, upstream_port)
        self._listener = socket.create_server((host, 0))
        self.port = int(self._listener.getsockname()[1])
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, name=f"nlb-proxy-{self.port}", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()  # no target answers: the NLB resets the connection
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                self._drop(end)

    def _drop(self, end: socket.socket) -> None:
        with self._lock:
            self._open.discard(end)
        try:
            end.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        end.close()

    def close(self) -> None:
        self._closed = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (close alone does not, on Linux)
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            ends = list(self._open)
        for end in ends:
            self._drop(end)


class NetworkLoadBalancers:
    """The NLBs by DNS name: ``provisioning`` (refused), ``serve`` (proxied to ``backend_port``), ``remove``."""

    def __init__(self, backend_port: int, *, on_change: Callable[[Endpoints], None] | None = None) -> None:
        self.backend_port, self.on_change = backend_port, on_change
        self.endpoints: Endpoints = {}
        self._listeners: dict[str, list[TcpProxy | socket.socket]] = {}
        self._lock = threading.RLock()

    def endpoint(self, hostname: str, port: int) -> int | None:
        """The local port that answers for ``hostname:port``, None while no load balancer has that name."""
        with self._lock:
            ports = self.endpoints.get(hostname.lower().rstrip("."))
        return ports.get(str(port)) if ports else None

    def provisioning(self, hostname: str, ports: list[int]) -> None:
        """The NLB has its name and does not serve yet: each port is a bound socket with no listener (refused)."""
        closed = {}
        for port in ports:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))  # held, so nothing else takes the port; never listening
            closed[str(port)] = sock
        self._replace(hostname, {port: int(sock.getsockname()[1]) for port, sock in closed.items()},
                      list(closed.values()))

    def serve(self, hostname: str, ports: list[int]) -> None:
        proxies = {str(port): TcpProxy(self.backend_port) for port in ports}
        self._replace(hostname, {port: proxy.port for port, proxy in proxies.items()}, list(proxies.values()))

    def remove(self, hostname: str) -> None:
        """The NLB is deleted: its connections drop and its name no longer resolves."""
        self._replace(hostname, None, [])

    def close(self) -> None:
        with self._lock:
            for listeners in self._listeners.values():
                for listener in listeners:
                    listener.close()
            self._listeners.clear()

    def _replace(self, hostname: str, ports: dict[str, int] | None, listeners: list[TcpProxy | socket.socket]) -> None:
        with self._lock:
            for old in self._listeners.pop(hostname, []):
                old.close()
            if listeners:
                self._listeners[hostname] = listeners
            self.endpoints[hostname] = ports
            endpoints = dict(self.endpoints)
        if self.on_change is not None:
            self.on_change(endpoints)
