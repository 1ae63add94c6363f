"""Loaded by every sandbox Lambda process (first on PYTHONPATH): load balancer names -> 127.0.0.1.

The sandbox's "ALB" (a TLS gRPC proxy) listens on 127.0.0.1, but the workflow dials the DNS name moto's ELBv2
gave it (`*.elb.amazonaws.com`), which resolves nowhere. Rather than editing /etc/hosts, such names resolve to
127.0.0.1 in socket.getaddrinfo / gethostbyname / gethostbyname_ex (TLS still sends and checks the original
name), and in grpc channel creation, since gRPC's C core does its own DNS: `<name>:<port>` becomes
`127.0.0.1:<port>`, with `grpc.ssl_target_name_override` (secure channels) or `grpc.default_authority` set to the
original unless the caller set them. grpc is patched when first imported: functions without it pay nothing.

Each load balancer's name answers on its own ports: the file SANDBOX_LOOPBACK_PORTS_FILE holds `{"<name>":
{"<port>": <local port>}, ...}`, the ALB's listener (sandbox/environment.py) and the NLBs' (sandbox/dataplane/nlb.py),
so two sandboxes on one machine never want the same port; a name mapped to null belongs to a deleted load balancer
and no longer resolves (gaierror; gRPC is left to fail its own lookup). The file is read again whenever it was
rewritten, at the lookup, as a name's DNS answer changes under a running function on AWS: a warm environment sees
a load balancer made after it started.

An existing sitecustomize further down sys.path is still loaded afterwards.
"""

import importlib.abc
import importlib.util
import json
import os
import socket
import sys

_SUFFIX = ".elb.amazonaws.com"
_LOOPBACK = "127.0.0.1"
_PORTS_FILE = os.environ.get("SANDBOX_LOOPBACK_PORTS_FILE")
_read: list = [None, {}]  # (the file's identity and mtime when read, its map)


def _ports() -> dict:
    """The map as the file holds it now (written by rename: a reader never meets half of it)."""
    if not _PORTS_FILE:
        return {}
    try:
        stat = os.stat(_PORTS_FILE)
    except OSError:
        return {}
    stamp = (stat.st_ino, stat.st_mtime_ns)
    if stamp != _read[0]:
        try:
            with open(_PORTS_FILE, encoding="utf-8") as handle:
                _read[:] = [stamp, json.load(handle)]
        except (OSError, ValueError):
            return {}
    return _read[1]


def _normal(host) -> str:
    if isinstance(host, bytes):
        host = host.decode("ascii", "ignore")
    return host.rstrip(".").lower() if isinstance(host, str) else ""


def _mapped_port(host, port):
    """(known name, port to dial): the local port for a Network Load Balancer's name and port."""
    name, known = _normal(host), _ports()
    if name not in known:
        return False, port
    ports = known[name]
    if ports is None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    local = ports.get(str(port))
    return True, (local if local is not None else port)


def _is_loopback_name(host) -> bool:
    host = _normal(host)
    return bool(_ports().get(host)) or host.endswith(_SUFFIX)


def _patch_socket() -> None:
    real_getaddrinfo, real_byname, real_byname_ex = socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex

    def getaddrinfo(host, port=None, *args, **kwargs):
        known, port = _mapped_port(host, port)
        loopback = known or _is_loopback_name(host)
        return real_getaddrinfo(_LOOPBACK if loopback else host, port, *args, **kwargs)

    def gethostbyname(host):
        _mapped_port(host, None)  # a deleted load balancer's name does not resolve
        return _LOOPBACK if _is_loopback_name(host) else real_byname(host)

    def gethostbyname_ex(host):
        _mapped_port(host, None)
        return (host, [], [_LOOPBACK]) if _is_loopback_name(host) else real_byname_ex(host)

    socket.getaddrinfo, socket.gethostbyname, socket.gethostbyname_ex = getaddrinfo, gethostbyname, gethostbyname_ex


def rewrite_target(target, options, secure):
    """(target, options) with an ALB name replaced by 127.0.0.1; else unchanged."""
    if not isinstance(target, str):
        return target, options
    rest = target.removeprefix("dns:///") if target.startswith("dns:///") else target.removeprefix("dns:")
    host, sep, port = rest.rpartition(":")
    if not sep:
        host, port = rest, "443" if secure else "80"
    if not _is_loopback_name(host):
        return target, options
    try:
        _, port = _mapped_port(host, port)
    except socket.gaierror:
        return target, options  # gRPC's own resolver finds no such name either
    opts = list(options or [])
    names = {name for name, _ in opts}
    if secure and "grpc.ssl_target_name_override" not in names:
        opts.append(("grpc.ssl_target_name_override", host))
    if "grpc.default_authority" not in names and "grpc.ssl_target_name_override" not in names:
        opts.append(("grpc.default_authority", rest))
    return f"{_LOOPBACK}:{port}", opts


def _wrap(module, name, secure) -> None:
    real = getattr(module, name, None)
    if real is None or getattr(real, "_sandbox", False):
        return

    def channel(target, *args, **kwargs):
        # signatures: insecure_channel(target, options, compression),
        # secure_channel(target, credentials, options, compression)
        args = list(args)
        index = 1 if secure else 0
        if len(args) > index:
            target, args[index] = rewrite_target(target, args[index], secure)
        else:
            target, kwargs["options"] = rewrite_target(target, kwargs.get("options"), secure)
        return real(target, *args, **kwargs)

    channel._sandbox = True  # type: ignore[attr-defined]  # marks our wrapper: _wrap applies it once
    setattr(module, name, channel)


def _patch_grpc_module(module) -> None:
    _wrap(module, "insecure_channel", False)
    _wrap(module, "secure_channel", True)


class _GrpcPatcher(importlib.abc.MetaPathFinder):
    """Wraps the loader of `grpc` and `grpc.aio` to patch them once executed."""

    def find_spec(self, fullname, path, target=None):
        if fullname not in ("grpc", "grpc.aio"):
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return None
        real_exec = spec.loader.exec_module

        def exec_module(module):
            real_exec(module)
            _patch_grpc_module(module)

        spec.loader.exec_module = exec_module
        return spec


def _chain_next_sitecustomize() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        if not entry or os.path.abspath(entry) == here:
            continue
        candidate = os.path.join(entry, "sitecustomize.py")
        if os.path.isfile(candidate):
            spec = importlib.util.spec_from_file_location("_chained_sitecustomize", candidate)
            if spec is None or spec.loader is None:  # never for a .py file that exists
                return
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return


_patch_socket()
if "grpc" in sys.modules:
    _patch_grpc_module(sys.modules["grpc"])
else:
    sys.meta_path.insert(0, _GrpcPatcher())
_chain_next_sitecustomize()
