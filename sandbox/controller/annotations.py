"""The load balancer controller's reading of Ingress annotations, failing as its Go source does.

``parse`` follows kubernetes-sigs/aws-load-balancer-controller at 225f44568848 (v3.5.0+; the same in v2.17):
- pkg/annotations/parser.go (sandbox/controller/parser.py): the encodings and their exact errors
  ("failed to parse int32 annotation, %v: %v" wrapping strconv's, ...);
- pkg/ingress/group_loader.go: group.name (a FailedLoadGroupID event) and group.order (no event at all: the group
  fails to load and is retried);
- pkg/ingress/model_build_*.go: the model builder's checks, in the order model_builder.go ``run`` meets them
  (per-Ingress listen ports, the load balancer, listeners and target groups), each wrapped as the code wraps it
  (``ingress: <ns>/<name>: ``) -> FailedBuildModel;
- then sandbox/controller/elbv2_validation.py: what the ELBv2 API refuses of the values the controller passed
  through -> FailedDeployModel, in the AWS SDK for Go v2's form (as quoted in
  kubernetes-sigs/aws-load-balancer-controller#4014).
It imports nothing from lambdas/: a stand-in that shares the product's code agrees with its mistakes.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sandbox.controller import model_annotations
from sandbox.controller.elbv2_validation import aws_error, deploy_error
from sandbox.controller.parser import Annotations, GoError, go_json_kind, go_objects, go_unmarshal
from sandbox.dataplane.health import HealthCheckSettings

DEFAULT_SSL_POLICY = "ELBSecurityPolicy-2016-08"  # pkg/config/controller_config.go defaultSSLPolicy
_GROUP_NAME = re.compile("^([a-z0-9][-a-z0-9.]*)?[a-z0-9]$")  # group_loader.go groupNameRegex


class AnnotationRejected(Exception):
    """What the controller would report: ``reason`` is the event's, or None where it records no event."""

    def __init__(self, reason: str | None, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


def listen_ports(raw: str) -> dict[int, str]:
    """model_build_listener.go computeIngressListenPorts: json.Unmarshal into []map[string]int32, then checks."""
    wrap = f"failed to parse listen-ports configuration: `{raw}`"

    def literal(text: str) -> tuple[str, str]:  # Go reports "number 1.5" with the literal
        return "number", text
    entries = go_objects(go_unmarshal(raw, wrap, parse_int=literal, parse_float=literal), "map[string]int32", wrap)
    for entry in entries:  # Unmarshal reports the first value of a wrong type, after reading them all
        for value in entry.values():
            if value is not None and not (isinstance(value, tuple) and re.fullmatch(r"-?[0-9]+", value[1])
                                          and -2**31 <= int(value[1]) < 2**31):
                raise GoError(f"{wrap}: json: cannot unmarshal {go_json_kind(value)} into Go value of type int32")
    if not entries:
        raise GoError(f"empty listen-ports configuration: `{raw}`")
    ports: dict[int, str] = {}
    for entry in entries:
        for protocol, value in entry.items():
            port = 0 if value is None else int(value[1])  # null leaves the int32 at zero
            if not 1 <= port <= 65535:
                raise GoError(f"listen port must be within [1, 65535]: {port}")
            if protocol not in ("HTTP", "HTTPS"):
                raise GoError(f"listen protocol must be within [HTTP, HTTPS]: {protocol}")
            ports[port] = protocol
    return ports


def _load_group(a: Annotations, ingress: str) -> dict[str, Any]:
    """group_loader.go: a bad name is a FailedLoadGroupID event; a bad order fails the load with no event."""
    name = a.string("group.name")
    if name is not None:
        problem = ("groupName must consist of lower case alphanumeric characters, '-' or '.', and must start and "
                   "end with an alphanumeric character" if not _GROUP_NAME.match(name) else
                   "groupName must be no more than 63 characters" if len(name) > 63 else None)
        if problem:  # eventhandlers/ingress_events.go records it; the Ingress is then in no group
            raise AnnotationRejected("FailedLoadGroupID",
                                     f"failed load groupID due to invalid ingress group: {problem}")
    try:
        order = a.integer("group.order")
    except GoError as e:
        raise AnnotationRejected(None, f"failed to load Ingress group order for ingress: {ingress}: {e}") from None
    if order is not None and not -1000 <= order <= 1000:
        raise AnnotationRejected(None, "explicit Ingress group order must be within [-1000:1000], "
                                       f"Ingress: {ingress}, order: {order}")
    return {"name": name, "order": 0 if order is None else order}


def _listen_port_config(a: Annotations, ingress: str) -> dict[str, Any]:
    """computeIngressListenPortConfigByPort: certificates, ssl-policy, inbound-cidrs, listen-ports."""
    certificates = a.string_list("certificate-arn") or []
    mutual_authentication = model_annotations.mutual_authentication(a)  # before the listen ports, as in Go
    for cidr in a.string_list("inbound-cidrs") or []:
        _, slash, length = cidr.partition("/")
        try:  # Go's net.ParseCIDR: the prefix length is required, host bits may be set
            if not (slash and length.isascii() and length.isdigit()):
                raise ValueError(cidr)
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            raise GoError(f"invalid inbound-cidrs settings on Ingress: {ingress}: "
                          f"invalid CIDR address: {cidr}") from None
    raw_ports = a.string("listen-ports")
    ports = ({443: "HTTPS"} if certificates else {80: "HTTP"}) if raw_ports is None else listen_ports(raw_ports)
    https = any(protocol == "HTTPS" for protocol in ports.values())
    return {"certificate_arns": certificates, "listeners": [(protocol, port) for port, protocol in ports.items()],
            "ssl_policy": (a.string("ssl-policy") or DEFAULT_SSL_POLICY) if https else None,
            "inbound_cidrs": a.string_list("inbound-cidrs") or ["0.0.0.0/0", "::/0"],
            "mutual_authentication": {port: mutual_authentication[port] for port, protocol in ports.items()
                                      if protocol == "HTTPS" and port in mutual_authentication}}


def _load_balancer(a: Annotations, ingress: str) -> dict[str, Any]:
    """model_build_load_balancer.go buildLoadBalancerSpec (and buildSSLRedirectConfig after it); errors unwrapped."""
    scheme = a.string("scheme", "internal")
    if scheme not in ("internal", "internet-facing"):
        raise GoError(f"unknown scheme: {scheme}")
    ip_address_type = a.string("ip-address-type", "ipv4")
    if ip_address_type not in ("ipv4", "dualstack", "dualstack-without-public-ipv4"):
        raise GoError(f"unknown IPAddressType: {ip_address_type}")
    pool = a.string("customer-owned-ipv4-pool")
    if pool == "":
        raise GoError(f"cannot use empty value for customer-owned-ipv4-pool annotation, ingress: {ingress}")
    attributes, tags = a.string_map("load-balancer-attributes") or {}, a.string_map("tags") or {}
    name = a.string("load-balancer-name")
    if name is not None and len(name) > 32:
        raise GoError("load balancer name cannot be longer than 32 characters")
    return {"scheme": scheme, "ip_address_type": ip_address_type, "customer_owned_ipv4_pool": pool,
            "load_balancer_attributes": attributes, "tags": tags, "load_balancer_name": name}


def _ssl_redirect(a: Annotations, ingress: str, listeners: list[tuple[str, int]]) -> int | None:
    try:
        port = a.integer("ssl-redirect")
    except GoError as e:
        raise GoError(f"ingress: {ingress}: {e}") from None
    protocols = {listen_port: protocol for protocol, listen_port in listeners}
    if port is not None and port not in protocols:
        raise GoError(f"listener does not exist for SSLRedirect port: {port}")
    if port is not None and protocols[port] != "HTTPS":
        raise GoError(f"listener protocol non-SSL for SSLRedirect port: {port}")
    return port


def _target_group(a: Annotations) -> dict[str, Any]:
    """model_build_target_group.go buildTargetGroupSpec, in its order."""
    target_type = a.string("target-type", "instance")
    if target_type not in ("instance", "ip"):
        raise GoError(f"unknown targetType: {target_type}")
    protocol = a.string("backend-protocol", "HTTP")
    if protocol not in ("HTTP", "HTTPS"):
        raise GoError(f"backend protocol must be within [HTTP, HTTPS]: {protocol}")
    version = a.string("backend-protocol-version", "HTTP1")
    if version not in ("HTTP1", "HTTP2", "GRPC"):
        raise GoError(f"backend protocol version must be within [HTTP1, HTTP2, GRPC]: {version}")
    port = a.string("healthcheck-port", "traffic-port")  # a named port is resolved against the Service by the caller
    check_protocol = a.string("healthcheck-protocol", protocol)
    if check_protocol not in ("HTTP", "HTTPS"):
        raise GoError("healthCheckProtocol must be within [HTTP, HTTPS]")
    grpc = version == "GRPC"
    path = a.string("healthcheck-path", "/AWS.ALB/healthcheck" if grpc else "/")
    codes = a.string("success-codes", "12" if grpc else "200")
    health_check: dict[str, Any] = {"port": port, "protocol": check_protocol, "path": path}
    for key, suffix in (("interval_seconds", "healthcheck-interval-seconds"),
                        ("timeout_seconds", "healthcheck-timeout-seconds"),
                        ("healthy_threshold_count", "healthy-threshold-count"),
                        ("unhealthy_threshold_count", "unhealthy-threshold-count")):
        health_check[key] = a.integer(suffix, getattr(HealthCheckSettings(), key))  # model_builder.go's defaults
    attributes = a.string_map("target-group-attributes") or {}
    a.boolean("multi-cluster-target-group")
    return {"target_type": target_type, "backend_protocol": protocol, "protocol_version": version, "grpc": grpc,
            "health_check": health_check, "matcher": {"GrpcCode" if grpc else "HttpCode": codes},
            "target_group_attributes": attributes}


def parse(annotations: Mapping[str, str], where: str, *, backends: Sequence[str] = (),
          request_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> dict[str, Any]:
    """The settings the stand-in builds from, or AnnotationRejected as the controller would report it.

    ``where`` is the Ingress as ``<namespace>/<name>``; ``backends`` the Services its rules name
    (transforms.<Service> is read per backend).
    """
    a = Annotations(annotations)
    group = _load_group(a, where)
    try:
        try:
            listen = _listen_port_config(a, where)
        except GoError as e:
            raise GoError(f"ingress: {where}: {e}") from None
        settings = {"group": group, **listen, **_load_balancer(a, where)}
        settings["ssl_redirect"] = _ssl_redirect(a, where, listen["listeners"])
        try:  # buildListenerRules wraps what the target group's build returns
            settings.update(model_annotations.backend_settings(a, backends))
            settings.update(_target_group(a))
            a.boolean("use-regex-path-match")
        except GoError as e:
            raise GoError(f"ingress: {where}: {e}") from None
        a.boolean("shield-advanced-protection")  # model_build_load_balancer_addons.go, unwrapped
        settings["frontend_nlb"] = model_annotations.frontend_nlb(a)  # model_builder.go run: after the ALB's addons
    except GoError as e:
        raise AnnotationRejected("FailedBuildModel", f"Failed build model due to {e}") from None
    settings["certificate_arn"] = (settings["certificate_arns"] or [""])[0]
    refused = deploy_error(settings)
    if refused is not None:
        operation, code, message = refused
        raise AnnotationRejected("FailedDeployModel", aws_error(operation, 400, code, message, request_id=request_id()))
    return settings
