"""A client that reaches Milvus by name, as the Milvus guide's users do, for journeys that move DNS.

It resolves the host in the sandbox's Route 53 (a CNAME to the Layer-4 load
balancer, or the alias to the ALB), keeps the answer for its TTL on the
sandbox's clock as a resolver may, and calls Milvus's GetVersion through that
balancer every half second. Setup and undo each move DNS and take a balancer
away; neither may leave a moment in which the balancer the client holds does
not answer. Used by tests/e2e and benchmarks/chaos_run.py.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import grpc

from sandbox.environment import HOST

GET_VERSION = "/milvus.proto.milvus.MilvusService/GetVersion"
ALIAS_TTL_SECONDS = 60  # what Route 53 answers an alias to a load balancer with


@dataclass
class Prober:
    """Calls Milvus through whatever the host resolves to, holding each answer for its TTL."""

    box: Any  # a started sandbox.environment.Sandbox
    ca_pem: bytes
    interval: float = 0.5
    failures: list[tuple[float, str, str]] = field(default_factory=list)
    answered: dict[str, int] = field(default_factory=dict)  # balancer kind -> calls Milvus answered
    _cached: tuple[str, str, float] | None = None  # (kind, name, until)
    _stop: threading.Event = field(default_factory=threading.Event)

    def resolve(self) -> tuple[str, str]:
        now = time.monotonic()
        if self._cached and now < self._cached[2]:
            return self._cached[0], self._cached[1]
        [record] = self.box.dns_records() or [{}]
        if record.get("Type") == "CNAME":
            kind, name = "layer4", record["ResourceRecords"][0]["Value"]
            ttl = int(record["TTL"])
        else:
            kind, name = "alb", str(record["AliasTarget"]["DNSName"]).removeprefix("dualstack.")
            ttl = ALIAS_TTL_SECONDS
        # a resolver keeps the answer for its TTL on the sandbox's clock, as the workflow's waits run on it
        self._cached = (kind, name.rstrip("."), now + ttl * self.box.settings.clock_scale)
        return self._cached[0], self._cached[1]

    def call(self, kind: str, name: str) -> None:
        if kind == "layer4":
            port = self.box.layer4.endpoint(name, 19530)
            if port is None:
                raise ConnectionError(f"no load balancer answers for {name}")
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        else:
            nginx = self.box.nginx
            if nginx is None or name not in {lb["DNSName"] for lb in self.box.load_balancers()}:
                raise ConnectionError(f"no ALB answers for {name}")
            channel = grpc.secure_channel(f"127.0.0.1:{nginx.listen_port}",
                                          grpc.ssl_channel_credentials(root_certificates=self.ca_pem),
                                          options=[("grpc.ssl_target_name_override", HOST),
                                                   ("grpc.default_authority", HOST)])
        try:
            channel.unary_unary(GET_VERSION, request_serializer=bytes, response_deserializer=bytes)(b"", timeout=3)
        finally:
            channel.close()

    def run(self) -> None:
        while not self._stop.is_set():
            kind, name = self.resolve()
            try:
                self.call(kind, name)
                self.answered[kind] = self.answered.get(kind, 0) + 1
            except Exception as exc:  # noqa: BLE001 - every failure is what the test counts
                self.failures.append((time.time(), name, repr(exc)[:300]))
            self._stop.wait(self.interval)

    def __enter__(self) -> Prober:
        self._thread = threading.Thread(target=self.run, name="undo-prober", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
