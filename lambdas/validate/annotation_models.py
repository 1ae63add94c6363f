"""What the controller's model builder refuses beyond the encodings: JSON fields, and annotations read together.

Why: Validate checked the JSON annotations only for being JSON, and
ssl-redirect only for being a port, so a run could apply an Ingress the
controller then refused (FailedBuildModel) after the certificate was imported.
Held against the controller's own test cases (testkit/annotation_cases.json),
these are the checks that were missing. Each follows the Go function named
beside it, in kubernetes-sigs/aws-load-balancer-controller at 225f44568848
(pkg/ingress/...), and words its problem as that function's error does.

Go's encoding/json, which the controller unmarshals with, matches field names
case-insensitively, ignores unknown fields, and refuses a value of the wrong
type ("json: cannot unmarshal string into Go struct field ... of type int32").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from validate.annotation_rules import JsonRule, parse_integer, parse_json, parse_string_list, parse_string_map

PREFIX = "alb.ingress.kubernetes.io/"
_GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}  # strconv.ParseBool
_GO_BOOLEANS = _GO_TRUE | {"0", "f", "F", "FALSE", "false", "False"}


class _Refused(Exception):
    pass


def _kind(value: Any) -> str:
    """encoding/json's name for a JSON value in an UnmarshalTypeError."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return f"number {value}"
    return "object" if isinstance(value, dict) else "array" if isinstance(value, list) else "string"


def _field(obj: dict[str, Any], name: str, go_type: str, struct: str) -> Any:
    """One struct field as encoding/json fills it: exact name, else any case; None where absent or null."""
    key = name if name in obj else next((k for k in obj if k.lower() == name.lower()), None)
    value = None if key is None else obj[key]
    # go_type: "int32", or the JSON kind and the Go type, e.g. "array []string"
    json_kind, _, go_name = go_type.partition(" ")
    expected = {"string": str, "bool": bool, "int32": int, "object": dict, "array": list}[json_kind]
    ok = value is None or (isinstance(value, expected) and not (expected is int and isinstance(value, bool)))
    if ok and expected is int and value is not None and not -(2**31) <= value < 2**31:
        ok = False
    if not ok:
        raise _Refused(f"json: cannot unmarshal {_kind(value)} into Go struct field {struct}.{name} of type "
                       f"{go_name or json_kind}")
    return value


def _list_of_objects(parsed: Any, go_type: str) -> list[dict[str, Any]]:
    if parsed is None:
        return []
    if not isinstance(parsed, list):
        raise _Refused(f"json: cannot unmarshal {_kind(parsed)} into Go value of type []{go_type}")
    for entry in parsed:
        if entry is not None and not isinstance(entry, dict):
            raise _Refused(f"json: cannot unmarshal {_kind(entry)} into Go value of type {go_type}")
    return [entry or {} for entry in parsed]


class _ModelRule(JsonRule):
    """A JSON annotation the controller unmarshals into a struct and then checks; JSON's whitespace allowed."""

    def __init__(self, shape: type, example: str, check: Any) -> None:
        super().__init__(shape, example)
        self.check = check

    def __call__(self, value: str) -> list[str]:
        ok, parsed = parse_json(value)
        if not ok:
            return super().__call__(value)
        try:
            self.check(parsed, value)
        except _Refused as e:
            return [str(e)]
        return []


def _mutual_authentication(parsed: Any, raw: str) -> None:
    """model_build_listener.go computeIngressMutualAuthentication and validateMutualAuthenticationConfig."""
    struct = "MutualAuthenticationConfig"
    entries = _list_of_objects(parsed, f"ingress.{struct}")
    if not entries:
        raise _Refused(f"empty mutualAuthentication configuration from ingress annotation: `{raw}`")
    for entry in entries:
        port = _field(entry, "port", "int32", struct) or 0
        mode = _field(entry, "mode", "string", struct) or ""
        trust_store = _field(entry, "trustStore", "string", struct) or ""
        ignore = _field(entry, "ignoreClientCertificateExpiry", "bool", struct)
        advertise = _field(entry, "advertiseTrustStoreCaNames", "string", struct)
        if not 1 <= port <= 65535:
            raise _Refused(f"listen port must be within [1, 65535]: {port}")
        if mode == "":
            raise _Refused(f"mutualAuthentication mode cannot be empty for port {port}")
        if mode not in ("off", "passthrough", "verify"):
            raise _Refused(f"mutualAuthentication mode value must be among [off, passthrough, verify] for port {port} "
                           f": {mode}")
        if mode == "verify" and trust_store == "":
            raise _Refused(f"trustStore is required when mutualAuthentication mode is verify for port {port}")
        if mode != "verify" and trust_store != "":
            raise _Refused(f"Mutual Authentication mode {mode} does not support trustStore for port {port}")
        if mode != "verify" and ignore is not None:
            raise _Refused(f"Mutual Authentication mode {mode} does not support ignoring client certificate expiry "
                           f"for port {port}")
        if advertise is not None and mode != "verify":
            raise _Refused(f"Mutual Authentication mode {mode} does not support advertiseTrustStoreCaNames for port "
                           f"{port}")
        if advertise is not None and advertise not in ("on", "off"):
            raise _Refused(f'advertiseTrustStoreCaNames only supports the values "on" and "off" got value {advertise} '
                           f"for port {port}")


def _transforms(parsed: Any, raw: str) -> None:
    """config_types.go Transform.Validate, for each entry (enhanced_backend_builder.go buildTransforms)."""
    for entry in _list_of_objects(parsed, "ingress.Transform"):
        kind = _field(entry, "type", "string", "Transform") or ""
        configs = {name: _field(entry, name, "object *ingress.RewriteConfigObject", "Transform")
                   for name in ("hostHeaderRewriteConfig", "urlRewriteConfig")}
        rewrites = {name: None if config is None else
                    _field(config, "rewrites", "array []ingress.RewriteConfig", "RewriteConfigObject")
                    for name, config in configs.items()}
        needed = {"host-header-rewrite": "hostHeaderRewriteConfig", "url-rewrite": "urlRewriteConfig"}.get(kind)
        if needed is None:
            raise _Refused(f"unknown transform type: {kind}")
        if configs[needed] is None:
            raise _Refused(f"missing {needed}")
        if not rewrites[needed]:
            raise _Refused(f"{needed}.rewrites cannot be empty")


def _jwt_validation(parsed: Any, raw: str) -> None:
    """enhanced_backend_builder.go buildJwtValidationConfig."""
    if parsed is not None and not isinstance(parsed, dict):
        raise _Refused(f"json: cannot unmarshal {_kind(parsed)} into Go value of type ingress.JwtValidationConfig")
    config = parsed or {}
    struct = "JwtValidationConfig"
    if not _field(config, "jwksEndpoint", "string", struct):
        raise _Refused("jwksEndpoint is a required field for jwt validation")
    if not _field(config, "issuer", "string", struct):
        raise _Refused("issuer is a required field for jwt validation")
    claims = _field(config, "additionalClaims", "array []ingress.JwtAdditionalClaim", struct)
    for claim in _list_of_objects(claims, "ingress.JwtAdditionalClaim"):
        if not _field(claim, "format", "string", "JwtAdditionalClaim"):
            raise _Refused("format is a required field for additional claims for jwt validation")
        if not _field(claim, "name", "string", "JwtAdditionalClaim"):
            raise _Refused("name is a required field for additional claims for jwt validation")
        if not _field(claim, "values", "array []string", "JwtAdditionalClaim"):
            raise _Refused("values must not be empty for additional claims for jwt validation")


mutual_authentication = _ModelRule(list, '[{"port": 443, "mode": "off"}]', _mutual_authentication)
transforms = _ModelRule(list, '[{"type": "url-rewrite", "urlRewriteConfig": {"rewrites": [...]}}]', _transforms)
jwt_validation = _ModelRule(dict, '{"jwksEndpoint": "...", "issuer": "..."}', _jwt_validation)

# model_build_frontend_nlb.go getFrontendNlbAttributes (shared_constants/attributes.go).
_CLIENT_ROUTING_POLICIES = ("any_availability_zone", "partial_availability_zone_affinity", "availability_zone_affinity")


def workflow_problems(annotations: Mapping[str, str], *, listen_port: int) -> list[str]:
    """What annotations break together, or against the Ingress the workflow writes (one HTTPS listener).

    Only values that pass their own rule (annotations.check_annotation) are
    read here, so each problem is named once.
    """
    def given(name: str) -> str | None:
        return annotations.get(PREFIX + name)

    def field(name: str) -> str:
        return f"ingressAnnotations.{PREFIX}{name}"

    problems = []
    # model_builder.go buildSSLRedirectConfig: the port must be a listener's, and an HTTPS one.
    redirect = parse_integer(given("ssl-redirect") or "")
    if redirect is not None and redirect != listen_port:
        problems.append(f"{field('ssl-redirect')}: listener does not exist for SSLRedirect port: {redirect} (the "
                        f"workflow's Ingress has one listener, HTTPS on listenPort {listen_port})")
    # model_build_frontend_nlb.go buildFrontendNlbModel: the frontend NLB's annotations are read only when enabled.
    if given("enable-frontend-nlb") not in _GO_TRUE:
        return problems
    problems.extend(_frontend_nlb_problems(given, field))
    return problems


def _frontend_nlb_problems(given: Any, field: Any) -> list[str]:
    problems = []
    # buildFrontendNlbScheme: without frontend-nlb-scheme, the controller's --default-load-balancer-scheme
    # (pkg/config/controller_config.go: internal), not the ALB's scheme.
    scheme = given("frontend-nlb-scheme") or "internal"
    eips, subnets = given("frontend-nlb-eip-allocations"), given("frontend-nlb-subnets")
    if eips is not None and scheme in ("internal", "internet-facing"):
        # validateEIPAllocations, then buildFrontendNlbSubnetMappings's count (explicit subnets only: discovered
        # ones are known only to the controller).
        if scheme != "internet-facing":
            problems.append(f"{field('frontend-nlb-eip-allocations')}: EIP allocations can only be set for internet "
                            "facing load balancers (set frontend-nlb-scheme: internet-facing)")
        elif subnets is not None and parse_string_list(eips) and \
                len(parse_string_list(eips)) != len(parse_string_list(subnets)):
            problems.append(f"{field('frontend-nlb-eip-allocations')}: count of EIP allocations "
                            f"({len(parse_string_list(eips))}) and subnets ({len(parse_string_list(subnets))}) must "
                            "match")
    attributes = parse_string_map(given("frontend-nlb-attributes") or "") or {}
    policy = attributes.get("dns_record.client_routing_policy")
    if policy is not None and policy not in _CLIENT_ROUTING_POLICIES:  # getFrontendNlbAttributes
        problems.append(f"{field('frontend-nlb-attributes')}: invalid dns_record.client_routing_policy: got "
                        f"'{policy}' expected one of {', '.join(repr(p) for p in _CLIENT_ROUTING_POLICIES)}")
    mapping = parse_string_map(given("frontend-nlb-listener-port-mapping") or "") or {}
    for nlb_port, alb_port in mapping.items():  # parseFrontendNlbListenerPortMapping: strconv.ParseInt(s, 10, 32)
        for what, port in (("NLB", nlb_port), ("ALB", alb_port)):
            if parse_integer(port) is None:
                problems.append(f"{field('frontend-nlb-listener-port-mapping')}: invalid {what} listener port: {port}")
    return problems
