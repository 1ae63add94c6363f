"""The ALB's data plane in the sandbox: a real Milvus behind a TLS-terminating gRPC proxy.

On AWS the path is client -> ALB (TLS, HTTP/2, GRPC target group) -> Milvus proxy pod. Here milvus-lite's gRPC
server plays the pod and nginx the ALB's listener: it terminates TLS with the imported certificate (leaf + chain,
as ACM serves it) and passes gRPC on. Both are child processes bound to 127.0.0.1 that write only under
directories the caller owns, so the sandbox works as root and as an ordinary user (who cannot bind ports below
1024: use ``free_port()`` rather than 443). Private keys are written 0600 and never logged.
"""

from __future__ import annotations

import atexit
import grp
import hashlib
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

from sandbox.dataplane.listener import ListenerSettings

LOCALHOST = "127.0.0.1"

# What an ALB sends as a GRPC target group's health check, and the code it
# counts as healthy (12, UNIMPLEMENTED): Milvus has no grpc.health.v1 service.
ALB_HEALTH_CHECK_PATH = "/AWS.ALB/healthcheck"

_PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


class DataPlaneError(RuntimeError):
    """A data plane process did not start, reload or answer in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now (racy, as all such helpers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def answers_grpc(port: int, *, host: str = LOCALHOST, timeout: float = 1.0) -> bool:
    """True when a plaintext gRPC server on ``host:port`` passes the ALB's health check: a live server that does not
    know the ALB's health-check method answers UNIMPLEMENTED, what the ALB's default matcher wants."""
    import grpc  # noqa: PLC0415 - only here: NginxAlb alone runs without grpcio

    channel = grpc.insecure_channel(f"{host}:{port}")
    try:
        channel.unary_unary(ALB_HEALTH_CHECK_PATH, request_serializer=bytes, response_deserializer=bytes)(
            b"", timeout=timeout)
        return True
    except grpc.RpcError as exc:
        return exc.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        channel.close()


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class _Child:
    """A server run as a child process: started, waited for, stopped (also at interpreter exit)."""

    _proc: subprocess.Popen | None = None
    _start_timeout: float

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _spawn(self, command: list[str], log_path: Path, ready, failure) -> None:
        """Run ``command`` (output to ``log_path``) until ``ready()``; ``failure(text)`` makes the error."""
        with log_path.open("ab") as log:
            self._proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        atexit.register(self.stop)
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise failure(f"exited with {self._proc.returncode}:\n{_log_tail(log_path)}")
            if ready():
                return
            time.sleep(0.1)
        self.stop()
        raise failure(f"was not ready in {self._start_timeout:.0f} s:\n{_log_tail(log_path)}")

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s); safe to call twice."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        atexit.unregister(self.stop)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class MilvusLite(_Child):
    """milvus-lite's gRPC server, the Milvus pod behind the ALB; ``stop()`` keeps ``data_dir`` for ``start()``."""

    def __init__(self, data_dir: str | os.PathLike[str], port: int | None = None, *, start_timeout: float = 60.0):
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.log"
        self._start_timeout = start_timeout
        self.start()

    @property
    def uri(self) -> str:
        """Where a plaintext MilvusClient reaches this server directly (no proxy)."""
        return f"http://{LOCALHOST}:{self.port}"

    def start(self) -> None:
        """Start the server (again, after ``stop()``) and wait until it answers gRPC."""
        if self.running:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(self.data_dir),
                   "--host", LOCALHOST, "--port", str(self.port)]  # fmt: skip
        self._spawn(command, self.log_path, self.answers_grpc, lambda text: DataPlaneError(f"milvus-lite {text}"))

    def answers_grpc(self, timeout: float = 1.0) -> bool:
        """What the ALB's target health check sees: True while Milvus is serving."""
        return self.running and answers_grpc(self.port, timeout=timeout)


def _write_file(path: Path, data: str, mode: int) -> None:
    """Write ``data`` to ``path`` with ``mode`` from the first byte, replacing it atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # the umask or an older file may have left other bits
        os.write(fd, data.encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _leaf_der(cert_pem: str) -> bytes:
    match = _PEM_CERT.search(cert_pem)
    if not match:
        raise DataPlaneError("cert_pem holds no PEM certificate")
    return ssl.PEM_cert_to_DER_cert(match.group(0))


def _nginx_version(nginx: str) -> tuple[int, ...]:
    out = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False).stderr
    match = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(part) for part in match.groups()) if match else (0, 0, 0)


class NginxAlb(_Child):
    """nginx as the ALB's HTTPS listener: TLS + HTTP/2 in front, gRPC to Milvus behind.

    ``host`` plays the Ingress's host rule: another name gets the ALB's default action, a 404 (gRPC: UNIMPLEMENTED);
    without it every name reaches Milvus. ``listener``: what the ALB enforces (sandbox/dataplane/listener.py).
    """

    def __init__(
        self,
        workdir: str | os.PathLike[str],
        listen_port: int,
        cert_pem: str,
        key_pem: str,
        chain_pem: str | None,
        upstream_port: int,
        *,
        host: str | None = None,
        listener: ListenerSettings | None = None,
        nginx: str | None = None,
        start_timeout: float = 20.0,
    ):
        self.workdir = Path(workdir).resolve()
        self.listen_port = listen_port
        self.upstream_port = upstream_port
        self.host = host
        self.listener = listener or ListenerSettings()
        self.nginx = nginx or shutil.which("nginx") or "/usr/sbin/nginx"
        self.conf_path = self.workdir / "nginx.conf"
        self.cert_path = self.workdir / "certificate.pem"  # leaf + chain, as the ALB serves it
        self.key_path = self.workdir / "private-key.pem"
        self.error_log = self.workdir / "error.log"
        self.access_log = self.workdir / "access.log"
        self.pid_path = self.workdir / "nginx.pid"
        self._start_timeout = start_timeout
        self.workdir.mkdir(parents=True, exist_ok=True)
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.workdir / "tmp" / temp).mkdir(parents=True, exist_ok=True)
        self._write_certificate(cert_pem, key_pem, chain_pem)
        self.conf_path.write_text(self._config())
        self.start()

    @property
    def endpoint(self) -> str:
        return f"{LOCALHOST}:{self.listen_port}"

    def start(self) -> None:
        """Start nginx (again, after ``stop()``) and wait until the port serves its own certificate: any TLS answer
        could be another process on the port (a second sandbox) while this nginx failed to bind."""
        if self.running:
            return
        self._test_config()
        wanted = _leaf_der(self.cert_path.read_text())

        def failure(text: str) -> DataPlaneError:
            return DataPlaneError(f"nginx {text}{self._bind_hint()}")

        self._spawn(self._command(), self.error_log, lambda: self._served_leaf_der() == wanted, failure)

    def configure(self, listener: ListenerSettings) -> None:
        """Enforce another policy or idle timeout: a restart, as the controller stand-in built a new ALB for it."""
        if listener == self.listener:
            return
        old = self.listener
        self.listener = listener
        self.conf_path.write_text(self._config())
        try:
            self._test_config()
        except DataPlaneError:
            self.listener = old
            self.conf_path.write_text(self._config())
            raise
        self.stop()
        self.start()

    def reload(self, cert_pem: str, key_pem: str, chain_pem: str | None = None, *, timeout: float = 10.0) -> None:
        """Rotate the certificate as a re-import into the same ACM ARN does, without dropping the listener; returns
        once the new leaf is served. One nginx refuses (bad PEM, key not matching) leaves the old in place."""
        old = (self.cert_path.read_text(), self.key_path.read_text())
        self._write_certificate(cert_pem, key_pem, chain_pem)
        try:
            self._test_config()
        except DataPlaneError:
            _write_file(self.cert_path, old[0], 0o644)
            _write_file(self.key_path, old[1], 0o600)
            raise
        if self._proc is None or not self.running:
            raise DataPlaneError("nginx is not running")
        self._proc.send_signal(signal.SIGHUP)  # what `nginx -s reload` sends to the master
        wanted = _leaf_der(cert_pem)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._served_leaf_der() == wanted:
                return
            time.sleep(0.1)
        tail = _log_tail(self.error_log)
        raise DataPlaneError(f"nginx still serves the old certificate after {timeout:.0f} s:\n{tail}")

    def served_certificate_sha256(self) -> str | None:
        """SHA-256 of the leaf the listener serves now (hex), None when it does not answer TLS."""
        der = self._served_leaf_der()
        return hashlib.sha256(der).hexdigest() if der else None

    def _command(self, *extra: str) -> list[str]:
        # -e: the error log before the config is read; a compiled-in default may be a root-owned path.
        return [self.nginx, "-p", f"{self.workdir}/", "-c", str(self.conf_path), "-e", str(self.error_log), *extra]

    def _test_config(self) -> None:
        """``nginx -t`` loads the certificate and key: catches a mismatch before nginx uses it."""
        result = subprocess.run(self._command("-t", "-q"), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise DataPlaneError(f"nginx rejected its configuration{self._bind_hint()}:\n"
                                 f"{result.stderr.strip() or _log_tail(self.error_log)}")  # fmt: skip

    def _bind_hint(self) -> str:
        if self.listen_port < 1024 and os.geteuid() != 0:
            return f" (port {self.listen_port} < 1024 needs root: use free_port())"
        return ""

    def _write_certificate(self, cert_pem: str, key_pem: str, chain_pem: str | None) -> None:
        _leaf_der(cert_pem)  # fail early, and before touching files, on something that is no certificate
        bundle = cert_pem.strip() + "\n"
        if chain_pem and chain_pem.strip():
            bundle += chain_pem.strip() + "\n"
        _write_file(self.cert_path, bundle, 0o644)
        _write_file(self.key_path, key_pem.strip() + "\n", 0o600)

    def _served_leaf_der(self) -> bytes | None:
        try:
            pem = ssl.get_server_certificate((LOCALHOST, self.listen_port), timeout=2)
        except (OSError, ssl.SSLError):
            return None
        return ssl.PEM_cert_to_DER_cert(pem)

    def _config(self) -> str:
        temp = self.workdir / "tmp"  # its subdirectories are made in __init__
        # As root the master drops its workers to `nobody`, who may not enter a private workdir: keep the caller.
        user = ""
        if os.geteuid() == 0:
            user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"
        # `listen ... http2` is deprecated from nginx 1.25.1 in favour of `http2 on`.
        modern = _nginx_version(self.nginx) >= (1, 25, 1)
        listen_http2, http2_on = ("", "http2 on;") if modern else (" http2", "")
        tls = f"""
        ssl_certificate {self.cert_path};
        ssl_certificate_key {self.key_path};
        {http2_on}"""
        if self.host:
            default_server = f"""
    server {{
        listen {self.endpoint} ssl{listen_http2} default_server;
        server_name _;{tls}
        return 404;
    }}"""
            named = f"listen {self.endpoint} ssl{listen_http2};\n        server_name {self.host};"
        else:
            default_server = ""
            named = f"listen {self.endpoint} ssl{listen_http2} default_server;\n        server_name _;"
        idle = self.listener.idle_timeout_seconds
        return f"""# Written by sandbox/dataplane/processes.py: the ALB's HTTPS listener in front of Milvus.
daemon off;
master_process on;
worker_processes 1;
pid {self.pid_path};
error_log {self.error_log} notice;
{user}

events {{
    worker_connections 512;
}}

http {{
    log_format alb '$remote_addr [$time_local] "$request" $status host=$host $request_time';
    access_log {self.access_log} alb;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;

    # Milvus refuses gRPC messages above 64 MB; let it say so itself.
    client_max_body_size 64m;
    # The listener's security policy, for every server (ssl_protocols is taken from the default server).
    {self.listener.tls_directives()}
    # The ALB's idle timeout, on the client side.
    client_header_timeout {idle}s;
    keepalive_timeout {idle}s;
    client_body_timeout {idle}s;
    send_timeout {idle}s;
{default_server}
    server {{
        {named}{tls}

        location / {{
            grpc_pass grpc://{LOCALHOST}:{self.upstream_port};
            grpc_connect_timeout 5s;
            grpc_read_timeout {idle}s;
            grpc_send_timeout {idle}s;
            grpc_socket_keepalive on;
        }}
    }}
}}
"""
