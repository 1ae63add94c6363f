"""The controller's JSON annotations and frontend-NLB annotations, as its model builder reads and refuses them.

Each function follows the Go function its docstring names, in kubernetes-sigs/aws-load-balancer-controller at
225f44568848, and raises GoError with that function's text (held against the controller's own test cases in
testkit/annotation_cases.json). Go's encoding/json (decode.go) fills a struct field by its name in any case, skips
unknown fields, leaves a field at its zero value for null, and refuses a value of the wrong type with an
UnmarshalTypeError ("json: cannot unmarshal string into Go struct field MutualAuthenticationConfig.port of type
int32"). It imports nothing from lambdas/: a stand-in that shares the product's code agrees with its mistakes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sandbox.controller.parser import Annotations, GoError, go_json_kind, go_objects, go_unmarshal, parse_go_int

_TYPES: dict[str, type] = {"string": str, "bool": bool, "int32": int, "object": dict, "array": list}


def _field(obj: dict[str, Any], struct: str, name: str, go_type: str, wrap: str) -> Any:
    """decode.go's field lookup: the exact name, else a case-insensitive match; None for absent or null."""
    key = name if name in obj else next((k for k in obj if k.lower() == name.lower()), None)
    value = None if key is None else obj[key]
    json_kind, _, go_name = go_type.partition(" ")
    expected = _TYPES[json_kind]
    fits = value is None or (isinstance(value, expected) and not (expected is int and isinstance(value, bool)))
    if fits and isinstance(value, int) and expected is int:
        fits = -(2**31) <= value < 2**31
    if not fits:
        raise GoError(f"{wrap}: json: cannot unmarshal {go_json_kind(value)} into Go struct field {struct}.{name} of "
                      f"type {go_name or json_kind}")
    return value


def mutual_authentication(a: Annotations) -> dict[int, dict[str, Any]]:
    """model_build_listener.go computeIngressMutualAuthentication, parseMtlsConfigEntries and
    validateMutualAuthenticationConfig. A trust store given by name is resolved later (DescribeTrustStores)."""
    raw = a.string("mutual-authentication")
    if raw is None:
        return {}
    wrap = f"failed to parse mutualAuthentication configuration from ingress annotation: `{raw}`"
    struct = "MutualAuthenticationConfig"
    entries = go_objects(go_unmarshal(raw, wrap), f"ingress.{struct}", wrap)
    if not entries:
        raise GoError(f"empty mutualAuthentication configuration from ingress annotation: `{raw}`")
    by_port = {}
    for entry in entries:
        port = _field(entry, struct, "port", "int32", wrap) or 0
        mode = _field(entry, struct, "mode", "string", wrap) or ""
        trust_store = _field(entry, struct, "trustStore", "string *string", wrap) or ""
        ignore = _field(entry, struct, "ignoreClientCertificateExpiry", "bool *bool", wrap)
        advertise = _field(entry, struct, "advertiseTrustStoreCaNames", "string *string", wrap)
        if not 1 <= port <= 65535:
            raise GoError(f"listen port must be within [1, 65535]: {port}")
        if mode == "":
            raise GoError(f"mutualAuthentication mode cannot be empty for port {port}")
        if mode not in ("off", "passthrough", "verify"):
            raise GoError(f"mutualAuthentication mode value must be among [off, passthrough, verify] for port {port} : "
                          f"{mode}")
        if mode == "verify" and not trust_store:
            raise GoError(f"trustStore is required when mutualAuthentication mode is verify for port {port}")
        if mode in ("off", "passthrough") and trust_store:
            raise GoError(f"Mutual Authentication mode {mode} does not support trustStore for port {port}")
        if mode in ("off", "passthrough") and ignore is not None:
            raise GoError(f"Mutual Authentication mode {mode} does not support ignoring client certificate expiry for "
                          f"port {port}")
        if advertise is not None and mode != "verify":
            raise GoError(f"Mutual Authentication mode {mode} does not support advertiseTrustStoreCaNames for port "
                          f"{port}")
        if advertise is not None and advertise not in ("on", "off"):
            raise GoError(f'advertiseTrustStoreCaNames only supports the values "on" and "off" got value {advertise} '
                          f"for port {port}")
        by_port[port] = {"mode": mode, "trust_store": trust_store or None,
                         "ignore_client_certificate_expiry": False if mode == "verify" and ignore is None else ignore,
                         "advertise_trust_store_ca_names": advertise}
    return by_port


def _json_annotation(a: Annotations, suffix: str) -> tuple[Any, str] | None:
    """parser.go ParseJSONAnnotation: "failed to parse json annotation, <key>: <raw>: <json error>"."""
    raw = a.string(suffix)
    if raw is None:
        return None
    wrap = f"failed to parse json annotation, {a.key(suffix)}: {raw}"
    return go_unmarshal(raw, wrap), wrap


def transforms(a: Annotations, service: str) -> list[dict[str, Any]]:
    """enhanced_backend_builder.go buildTransforms: transforms.<backend Service>, each through Transform.Validate
    (config_types.go)."""
    found = _json_annotation(a, f"transforms.{service}")
    if found is None:
        return []
    value, wrap = found
    entries = go_objects(value, "ingress.Transform", wrap)
    for entry in entries:
        kind = _field(entry, "Transform", "type", "string ingress.TransformType", wrap) or ""
        config_name = {"host-header-rewrite": "hostHeaderRewriteConfig", "url-rewrite": "urlRewriteConfig"}.get(kind)
        configs = {name: _field(entry, "Transform", name, "object *ingress.RewriteConfigObject", wrap)
                   for name in ("hostHeaderRewriteConfig", "urlRewriteConfig")}
        rewrites = {name: config and _field(config, "RewriteConfigObject", "rewrites", "array []ingress.RewriteConfig",
                                            wrap) for name, config in configs.items()}
        if config_name is None:
            raise GoError(f"unknown transform type: {kind}")
        if configs[config_name] is None:
            raise GoError(f"missing {config_name}")
        if not rewrites[config_name]:
            raise GoError(f"{config_name}.rewrites cannot be empty")
    return entries


def jwt_validation(a: Annotations) -> dict[str, Any] | None:
    """enhanced_backend_builder.go buildJwtValidationConfig."""
    found = _json_annotation(a, "jwt-validation")
    if found is None:
        return None
    value, wrap = found
    if value is not None and not isinstance(value, dict):
        raise GoError(f"{wrap}: json: cannot unmarshal {go_json_kind(value)} into Go value of type "
                      "ingress.JwtValidationConfig")
    config, struct = value or {}, "JwtValidationConfig"
    if not _field(config, struct, "jwksEndpoint", "string", wrap):
        raise GoError("jwksEndpoint is a required field for jwt validation")
    if not _field(config, struct, "issuer", "string", wrap):
        raise GoError("issuer is a required field for jwt validation")
    claims = _field(config, struct, "additionalClaims", "array []ingress.JwtAdditionalClaim", wrap)
    for claim in go_objects(claims, "ingress.JwtAdditionalClaim", wrap):
        if not _field(claim, "JwtAdditionalClaim", "format", "string ingress.jwtAdditionalClaimFormat", wrap):
            raise GoError("format is a required field for additional claims for jwt validation")
        if not _field(claim, "JwtAdditionalClaim", "name", "string", wrap):
            raise GoError("name is a required field for additional claims for jwt validation")
        if not _field(claim, "JwtAdditionalClaim", "values", "array []string", wrap):
            raise GoError("values must not be empty for additional claims for jwt validation")
    return config


# pkg/shared_constants/attributes.go, in the order getFrontendNlbAttributes lists them.
_CLIENT_ROUTING_POLICIES = ("any_availability_zone", "partial_availability_zone_affinity", "availability_zone_affinity")
# pkg/config/controller_config.go: --default-load-balancer-scheme defaults to internal.
DEFAULT_SCHEME = "internal"


def frontend_nlb(a: Annotations, default_scheme: str = DEFAULT_SCHEME) -> dict[str, Any] | None:
    """model_build_frontend_nlb.go buildFrontendNlbModel, in its order; None when not enabled.

    Subnets are resolved by the controller (ResolveViaNameOrIDSlice, or discovery); the stand-in takes the
    named ones as given, and without them cannot count discovered ones against the EIPs.
    """
    if not a.boolean("enable-frontend-nlb"):  # buildEnableFrontendNlbViaAnnotation
        return None
    scheme = a.string("frontend-nlb-scheme")  # buildFrontendNlbSchemeViaAnnotation, else t.defaultScheme
    if scheme is not None and scheme not in ("internal", "internet-facing"):
        raise GoError(f"unknown scheme: {scheme}")
    scheme = scheme or default_scheme
    subnets, eips = a.string_list("frontend-nlb-subnets"), a.string_list("frontend-nlb-eip-allocations")
    if eips is not None and scheme != "internet-facing":  # validateEIPAllocations
        raise GoError("EIP allocations can only be set for internet facing load balancers")
    if eips and subnets is not None and len(eips) != len(subnets):  # buildFrontendNlbSubnetMappings
        raise GoError(f"count of EIP allocations ({len(eips)}) and subnets ({len(subnets)}) must match")
    attributes = a.string_map("frontend-nlb-attributes") or {}  # getFrontendNlbAttributes
    policy = attributes.get("dns_record.client_routing_policy")
    if policy is not None and policy not in _CLIENT_ROUTING_POLICIES:
        expected = ", ".join(f"'{p}'" for p in _CLIENT_ROUTING_POLICIES)
        raise GoError(f"invalid dns_record.client_routing_policy set in annotation aws-load-balancer-attributes: got "
                      f"'{policy}' expected one of [{expected}]")
    try:
        mapping = a.string_map("frontend-nlb-listener-port-mapping") or {}
    except GoError as e:  # buildFrontendNlbListenerConfigByPortForIngress -> parseFrontendNlbListenerPortMapping
        raise GoError(f"failed to parse frontend-nlb-listener-port-mapping for ingress map[]: {e}") from None
    for nlb_port, alb_port in mapping.items():
        for what, port in (("NLB", nlb_port), ("ALB", alb_port)):
            try:
                parse_go_int(port, 32)
            except GoError:  # only the port is named, not strconv's error
                raise GoError(f"invalid {what} listener port: {port}") from None
    return {"scheme": scheme, "subnets": subnets, "eip_allocations": eips or [], "attributes": attributes,
            "listener_port_mapping": mapping}


def backend_settings(a: Annotations, backends: Sequence[str]) -> dict[str, Any]:
    """enhanced_backend_builder.go Build, per backend: transforms, then the JWT validation."""
    return {"transforms": {service: transforms(a, service) for service in backends},
            "jwt_validation": jwt_validation(a)}
