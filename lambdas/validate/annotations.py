"""Every annotation the AWS Load Balancer Controller documents, with the rule its value must follow.

Why: Validate used to check annotation names only, so a newline or a
10,000-character health-check path reached the Ingress, and the controller
said so later, as a Warning event, or not at all. The controller itself
checks little (pkg/annotations/parser.go parses the six encodings; a few
model builders check enums); most values go to the ELBv2 API as given and
fail there. This table holds, per annotation, the documented type and the
limits AWS documents, so the input is refused at Validate, before a
certificate is imported or an Ingress written.

Sources, cited beside each rule:
- "doc": kubernetes-sigs/aws-load-balancer-controller docs/guide/ingress/annotations.md (its type table);
- controller paths: that repository's Go source at 225f44568848 (v3.5.0+);
- "botocore": the botocore elbv2 model (2015-12-01/service-2.json) shapes and member documentation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from validate.annotation_models import jwt_validation, mutual_authentication, transforms
from validate.annotation_rules import (
    JsonRule,
    Rule,
    alternatives,
    any_string,
    attributes,
    boolean,
    cidr,
    close_names,
    control_character_problems,
    either,
    health_check_path,
    integer,
    json_value,
    matching,
    one_of,
    parse_integer,
    shown,
    string_list,
    string_map,
    success_codes,
    tags,
)

PREFIX = "alb.ingress.kubernetes.io/"
# Kubernetes refuses an object whose annotations (keys and values) exceed 256 KiB in all
# (k8s.io/apimachinery pkg/api/validation/objectmeta.go TotalAnnotationSizeLimitB). Half of it is
# the caller's, so the workflow's own annotations and other managers' always fit.
MAX_TOTAL_BYTES = 128 * 1024

_TRUE_FALSE = one_of("true", "false")
_PORT = integer(1, 65535)
_SECONDS_UP_TO_A_WEEK = integer(1, 604800)
_ATTRIBUTE_KEY = r"[a-zA-Z0-9._]+"  # botocore LoadBalancerAttributeKey / TargetGroupAttributeKey / ListenerAttributeKey

# botocore LoadBalancerAttribute.Key documentation: the keys an Application Load Balancer supports, with their ranges.
LOAD_BALANCER_ATTRIBUTES: dict[str, Rule] = {
    "deletion_protection.enabled": _TRUE_FALSE,
    # "The default for Application Load Balancers is true, and can't be changed"
    "load_balancing.cross_zone.enabled": one_of("true"),
    "access_logs.s3.enabled": _TRUE_FALSE, "access_logs.s3.bucket": any_string, "access_logs.s3.prefix": any_string,
    "connection_logs.s3.enabled": _TRUE_FALSE, "connection_logs.s3.bucket": any_string,
    "connection_logs.s3.prefix": any_string,
    "health_check_logs.s3.enabled": _TRUE_FALSE, "health_check_logs.s3.bucket": any_string,
    "health_check_logs.s3.prefix": any_string,
    "ipv6.deny_all_igw_traffic": _TRUE_FALSE, "zonal_shift.config.enabled": _TRUE_FALSE,
    "idle_timeout.timeout_seconds": integer(1, 4000),  # "The valid range is 1-4000 seconds"
    "client_keep_alive.seconds": integer(60, 604800),  # "The valid range is 60-604800 seconds"
    "routing.http.desync_mitigation_mode": one_of("monitor", "defensive", "strictest"),
    "routing.http.drop_invalid_header_fields.enabled": _TRUE_FALSE,
    "routing.http.preserve_host_header.enabled": _TRUE_FALSE,
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": _TRUE_FALSE,
    "routing.http.x_amzn_tls_kx.enabled": _TRUE_FALSE,
    "routing.http.xff_client_port.enabled": _TRUE_FALSE,
    "routing.http.xff_header_processing.mode": one_of("append", "preserve", "remove"),
    "routing.http2.enabled": _TRUE_FALSE,
    "waf.fail_open.enabled": _TRUE_FALSE,
}

# botocore TargetGroupAttribute.Key documentation: the keys for an ALB target group of IP targets.
TARGET_GROUP_ATTRIBUTES: dict[str, Rule] = {
    "deregistration_delay.timeout_seconds": integer(0, 3600),  # "The range is 0-3600 seconds"
    "stickiness.enabled": _TRUE_FALSE,
    "stickiness.type": one_of("lb_cookie", "app_cookie"),  # "lb_cookie and app_cookie for Application Load Balancers"
    "stickiness.lb_cookie.duration_seconds": _SECONDS_UP_TO_A_WEEK,  # "1 second to 1 week (604800 seconds)"
    "stickiness.app_cookie.duration_seconds": _SECONDS_UP_TO_A_WEEK,
    # "Names that start with the following prefixes are not allowed: AWSALB, AWSALBAPP, and AWSALBTG"
    "stickiness.app_cookie.cookie_name": matching(r"(?!AWSALB).+", "a cookie name not starting with AWSALB"),
    "slow_start.duration_seconds": either("0", integer(30, 900)),  # "The range is 30-900 seconds ... default is 0"
    "load_balancing.algorithm.type": one_of("round_robin", "least_outstanding_requests", "weighted_random"),
    "load_balancing.algorithm.anomaly_mitigation": one_of("on", "off"),
    "load_balancing.cross_zone.enabled": one_of("true", "false", "use_load_balancer_configuration"),
    "target_group_health.dns_failover.minimum_healthy_targets.count": either("off", integer(1)),
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": either("off", integer(1, 100)),
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": integer(1),
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": either("off", integer(1, 100)),
    "waf.http2.traffic_inspection_behavior": one_of("inspect_immediately", "inspect_after_sufficient_data"),
    "routing.http2.rst_stream_error_forwarding.enabled": _TRUE_FALSE,
}

# pkg/deploy/tracking/provider.go: the controller's own tags win over the user's, so giving one changes nothing.
CONTROLLER_TAG_KEYS = frozenset({"elbv2.k8s.aws/cluster", "ingress.k8s.aws/stack", "ingress.k8s.aws/resource"})

_LISTENER_ATTRIBUTES = string_map(lambda pairs: [
    f"{key!r} is not a listener attribute key (letters, digits, '.' and '_', at most 256)"
    for key in pairs if len(key) > 256 or not re.fullmatch(_ATTRIBUTE_KEY, key)])
# Kubernetes port names (k8s.io/apimachinery validation IsValidPortName: IANA_SVC_NAME).
_PORT_NAME = re.compile(r"(?=.*[a-z])(?!.*--)[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?")


def _health_check_port(value: str) -> list[str]:
    """doc: 'traffic-port', a port number, or the name of a Service port (model_build_target_group.go)."""
    if value == "traffic-port" or (value.isdigit() and 1 <= int(value) <= 65535) or _PORT_NAME.fullmatch(value):
        return []
    return [f"must be 'traffic-port', a port number from 1 to 65535 or a port name of the Service, not {shown(value)}"]


_NLB_HEALTH_CHECK_PORT = either("traffic-port", _PORT)
_BACKEND_PROTOCOL = one_of("HTTP", "HTTPS")  # model_build_target_group.go: "must be within [HTTP, HTTPS]"
_SCHEME = one_of("internal", "internet-facing")  # model_build_load_balancer.go "unknown scheme"

# The documented names (doc table, plus the TLS and WAF sections' create-acm-cert, acm-pca-arn and
# wafv2-acl-name) and their rules. The five the workflow owns are listed for completeness; Validate
# refuses them before looking here.
ANNOTATIONS: dict[str, Rule] = {
    # doc: "Name longer than 32 characters will be treated as an error" (model_build_load_balancer.go);
    # botocore CreateLoadBalancer Name: alphanumerics or hyphens, not first or last, not "internal-".
    "load-balancer-name": matching(r"(?!internal-)(?!-)[A-Za-z0-9-]*[A-Za-z0-9]",
                                   "letters, digits and '-', not starting or ending with '-' or starting with "
                                   "'internal-'", max_length=32),
    # pkg/ingress/group_loader.go groupNameRegex and maxGroupNameLength.
    "group.name": matching(r"([a-z0-9][-a-z0-9.]*)?[a-z0-9]", "lower-case letters, digits, '-' and '.', starting "
                           "and ending with a letter or digit", max_length=63),
    "group.order": integer(-1000, 1000),  # group_loader.go minGroupOrder/maxGroupOder
    "tags": tags(CONTROLLER_TAG_KEYS),  # botocore TagKey (1-128) / TagValue (0-256) and their pattern
    "ip-address-type": one_of("ipv4", "dualstack", "dualstack-without-public-ipv4"),  # doc; "unknown IPAddressType"
    "scheme": _SCHEME,
    "subnets": string_list(), "security-groups": string_list(),
    "manage-backend-security-group-rules": boolean,
    # botocore CustomerOwnedIpv4Pool: ^(ipv4pool-coip-)[a-zA-Z0-9]+$, max 256.
    "customer-owned-ipv4-pool": matching(r"ipv4pool-coip-[a-zA-Z0-9]+", "an id like ipv4pool-coip-0123abcd",
                                         max_length=256),
    "load-balancer-attributes": attributes(LOAD_BALANCER_ATTRIBUTES, max_value=1024,  # botocore value max 1024
                                           what="a load balancer attribute of an ALB"),
    # doc examples: an ARN of a regional web ACL, or 'none' to remove it.
    "wafv2-acl-arn": either("none", matching(r"arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[^:/]+:regional/webacl/\S+",
                                             "a WAFv2 regional web ACL ARN or 'none'")),
    "wafv2-acl-name": any_string,
    "waf-acl-id": any_string,
    "shield-advanced-protection": boolean,
    "listen-ports": json_value(list, '[{"HTTPS": 443}]'),
    "ssl-redirect": _PORT,  # model_builder.go buildSSLRedirectConfig: a listener port
    # model_build_listener.go computeIngressExplicitInboundCIDRs: net.ParseCIDR on each entry.
    "inbound-cidrs": string_list(cidr),
    "security-group-prefix-lists": string_list(),
    "certificate-arn": string_list(),
    # AWS "Security policies for your Application Load Balancer": every predefined policy is named
    # ELBSecurityPolicy-...; ALBs take no custom policies.
    "ssl-policy": matching(r"ELBSecurityPolicy-[A-Za-z0-9-]+", "an ELB security policy name such as "
                           "ELBSecurityPolicy-TLS13-1-2-2021-06", max_length=128),
    "target-type": one_of("instance", "ip"),  # model_build_target_group.go "unknown targetType"
    "backend-protocol": _BACKEND_PROTOCOL,
    "backend-protocol-version": one_of("HTTP1", "HTTP2", "GRPC"),
    "target-group-attributes": attributes(TARGET_GROUP_ATTRIBUTES, max_value=None,
                                          what="a target group attribute of an ALB with IP targets"),
    "healthcheck-port": _health_check_port,  # doc: traffic-port, a port number or a named port
    "healthcheck-protocol": _BACKEND_PROTOCOL,  # "healthCheckProtocol must be within [HTTP, HTTPS]"
    "healthcheck-path": health_check_path,
    # botocore HealthCheckIntervalSeconds 5-300, HealthCheckTimeoutSeconds 2-120, HealthCheckThresholdCount 2-10.
    "healthcheck-interval-seconds": integer(5, 300, unit=" seconds"),
    "healthcheck-timeout-seconds": integer(2, 120, unit=" seconds"),
    "healthy-threshold-count": integer(2, 10),
    "unhealthy-threshold-count": integer(2, 10),
    "success-codes": success_codes(0, 99, kind="gRPC"),  # see check_annotation: the workflow's targets are GRPC
    "auth-type": one_of("none", "oidc", "cognito"),
    "auth-idp-cognito": json_value(dict, '{"userPoolARN": "...", "userPoolClientID": "...", "userPoolDomain": "..."}'),
    "auth-idp-oidc": json_value(dict, '{"issuer": "...", "authorizationEndpoint": "...", "secretName": "..."}'),
    "auth-on-unauthenticated-request": one_of("authenticate", "allow", "deny"),
    "auth-scope": any_string, "auth-session-cookie": any_string,
    "auth-session-timeout": integer(1, bits=64, unit=" seconds"),  # auth_config_builder.go ParseInt64Annotation
    "jwt-validation": jwt_validation,  # annotation_models.py: enhanced_backend_builder.go buildJwtValidationConfig
    "use-regex-path-match": boolean,
    "target-node-labels": string_map(),
    "mutual-authentication": mutual_authentication,  # annotation_models.py: model_build_listener.go
    "multi-cluster-target-group": boolean,
    "minimum-load-balancer-capacity": string_map(lambda pairs: [
        problem for key, item in pairs.items() for problem in
        ([f"{key!r} is not a capacity setting (known: CapacityUnits)"] if key != "CapacityUnits"
         else [f"CapacityUnits {p}" for p in integer(0)(item)])]),  # botocore MinimumLoadBalancerCapacity
    # botocore IpamPoolId: ^(ipam-pool-)[a-zA-Z0-9]+$, max 1000.
    "ipam-ipv4-pool-id": matching(r"ipam-pool-[a-zA-Z0-9]+", "an id like ipam-pool-0123abcd", max_length=1000),
    "create-acm-cert": boolean, "acm-pca-arn": any_string,
    "enable-frontend-nlb": boolean,
    "frontend-nlb-scheme": _SCHEME,
    "frontend-nlb-subnets": string_list(), "frontend-nlb-security-groups": string_list(),
    "frontend-nlb-listener-port-mapping": string_map(),
    "frontend-nlb-healthcheck-port": _NLB_HEALTH_CHECK_PORT,
    "frontend-nlb-healthcheck-protocol": _BACKEND_PROTOCOL,
    "frontend-nlb-healthcheck-path": health_check_path,
    "frontend-nlb-healthcheck-interval-seconds": integer(5, 300, unit=" seconds"),
    "frontend-nlb-healthcheck-timeout-seconds": integer(2, 120, unit=" seconds"),
    "frontend-nlb-healthcheck-healthy-threshold-count": integer(2, 10),
    "frontend-nlb-healthcheck-unhealthy-threshold-count": integer(2, 10),
    # botocore Matcher.HttpCode: "For Network Load Balancers, you can specify values between 200 and 599".
    "frontend-nlb-healthcheck-success-codes": success_codes(200, 599, kind="HTTP"),
    "frontend-nlb-tags": tags(CONTROLLER_TAG_KEYS),
    "frontend-nlb-eip-allocations": string_list(),
    "frontend-nlb-attributes": string_map(),  # the table says stringList; model_build_frontend_nlb.go parses a map
}

# Names with a part the user chooses (doc table: ${action-name}, ${Protocol}-${Port}, ...).
PATTERNED: list[tuple[re.Pattern[str], str, Rule]] = [
    (re.compile(r"actions\.[^/]+"), "actions.${action-name}", json_value(dict, '{"type": "fixed-response", ...}')),
    (re.compile(r"conditions\.[^/]+"), "conditions.${conditions-name}",
     json_value(list, '[{"field": "host-header", ...}]')),
    # annotation_models.py: config_types.go Transform.Validate. The controller reads only transforms.<backend
    # Service>; the others are checked alike, as the Service a caller means.
    (re.compile(r"transforms\.[^/]+"), "transforms.${transforms-name}", transforms),
    (re.compile(r"listener-attributes\.HTTPS?-\d+"), "listener-attributes.${Protocol}-${Port}", _LISTENER_ATTRIBUTES),
    (re.compile(r"target-control-port\.[^/]+\.[^/.]+"), "target-control-port.${serviceName}.${servicePort}", _PORT),
]
# ELBv2 Matcher for the two protocol versions (botocore Matcher GrpcCode 0-99, HttpCode 200-499 for ALBs).
SUCCESS_CODES = {"GRPC": success_codes(0, 99, kind="gRPC"), "HTTP1": success_codes(200, 499, kind="HTTP"),
                 "HTTP2": success_codes(200, 499, kind="HTTP")}
# model_builder.go defaultHealthCheckIntervalSeconds / defaultHealthCheckTimeoutSeconds.
DEFAULT_INTERVAL_SECONDS, DEFAULT_TIMEOUT_SECONDS = 15, 5


def rule_for(name: str) -> Rule | None:
    if name in ANNOTATIONS:
        return ANNOTATIONS[name]
    return next((rule for pattern, _, rule in PATTERNED if pattern.fullmatch(name)), None)


def check_annotation(key: str, value: str, *, protocol_version: str = "GRPC") -> list[str]:
    """Problems with one ``alb.ingress.kubernetes.io/*`` annotation, as ``ingressAnnotations.<key>: ...``.

    ``protocol_version`` is the target group's (the workflow always sets GRPC):
    it decides whether ``success-codes`` is a gRPC or an HTTP matcher.
    """
    field = f"ingressAnnotations.{key}"
    name = key.removeprefix(PREFIX)
    rule = SUCCESS_CODES.get(protocol_version, SUCCESS_CODES["GRPC"]) if name == "success-codes" else rule_for(name)
    if rule is None:
        return [f"{field}: {_unknown(name)}"]
    problems = control_character_problems(value, json_whitespace=isinstance(rule, JsonRule))
    return [f"{field}: {problem}" for problem in problems or rule(value)]


def check_annotations(annotations: Mapping[str, str], *, defaults: Mapping[str, str] | None = None) -> list[str]:
    """What only the annotations together can break: their total size, and timeout against interval.

    ``defaults`` are the annotations the Ingress gets where ``annotations``
    leave one out (the workflow's, layer7.ingress_defaults); without them, the
    controller's own defaults apply.
    """
    problems = []
    size = sum(len(key.encode()) + len(value.encode()) for key, value in annotations.items())
    if size > MAX_TOTAL_BYTES:
        problems.append(f"ingressAnnotations: {size} bytes in all, at most {MAX_TOTAL_BYTES} (Kubernetes allows "
                        "256 KiB of annotations per object, and the workflow adds its own)")
    effective = {f"{PREFIX}healthcheck-interval-seconds": str(DEFAULT_INTERVAL_SECONDS),
                 f"{PREFIX}healthcheck-timeout-seconds": str(DEFAULT_TIMEOUT_SECONDS),
                 **(defaults or {}), **annotations}
    interval = parse_integer(effective[f"{PREFIX}healthcheck-interval-seconds"])
    timeout = parse_integer(effective[f"{PREFIX}healthcheck-timeout-seconds"])
    # The ELBv2 API for HTTP/HTTPS target groups: "Health check timeout '%d' must be smaller than the interval '%d'"
    # (the text as moto's elbv2 models.py gives it). Only between values that pass their own ranges.
    if interval is not None and timeout is not None and 5 <= interval <= 300 and 2 <= timeout <= 120:
        if timeout >= interval:
            where = "" if f"{PREFIX}healthcheck-interval-seconds" in annotations else \
                ", the default: set healthcheck-interval-seconds too"
            problems.append(f"ingressAnnotations.{PREFIX}healthcheck-timeout-seconds: must be less than the health "
                            f"check interval ({interval} seconds{where}), not {timeout}")
    return problems


def _unknown(name: str) -> str:
    close = close_names(name, list(ANNOTATIONS) + [shape for _, shape, _ in PATTERNED])
    hint = f"did you mean {alternatives(close)}?" if close else "docs/guide/ingress/annotations.md lists them"
    return f"not an annotation the AWS Load Balancer Controller documents ({hint})"
