"""What the ELBv2 API refuses of the values the load balancer controller passes through.

Why: the controller range-checks almost nothing (a health-check interval of 400 goes into CreateTargetGroup as
given) and moto accepts most of it, so the stand-in would build an ALB the real API refuses, where the controller
records ``FailedDeployModel`` with the AWS SDK for Go v2's error text. ``deploy_error`` returns the first call that
would fail, in the order pkg/deploy/stack_deployer.go makes them (target groups, load balancer, listeners).

Message texts, and where each comes from:
- "N validation error(s) detected: Value '...' at '<member>' failed to satisfy constraint: Member must ...":
  the API's generated constraint check, as quoted in aws-cloudformation/cfn-lint#807 (healthCheckIntervalSeconds)
  and kubernetes-sigs/aws-load-balancer-controller#2396 / #4014 (length, value); the limits are the botocore
  elbv2 model's (2015-12-01 service-2.json: Path 1-1024, HealthCheckIntervalSeconds 5-300, ...).
- "Health check timeout '%d' must be smaller than the interval '%d'", "Key %s not valid", "Target group
  attribute key '%s' is not recognized", "'deregistration_delay.timeout_seconds' value '%s' must be between
  '0-3600' inclusive": moto's elbv2 models.py (5.x), which copies AWS's texts.
- Everything marked "paraphrase" below: no public source gives AWS's exact text.
This module does not import the product (lambdas/): a stand-in sharing its code would agree with its mistakes.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from moto.elbv2.ssl_policies import SSL_POLICIES as MOTO_SSL_POLICIES

DeployError = tuple[str, str, str]  # (operation, error code, message)

_ATTRIBUTE_KEY = "^[a-zA-Z0-9._]+$"  # botocore LoadBalancerAttributeKey / TargetGroupAttributeKey
_TAG_PATTERN = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"  # botocore TagKey / TagValue, quoted as the API quotes it
_TRUE_FALSE = ("true", "false")

# Predefined ALB security policies: moto's (moto/elbv2/ssl_policies.py) and the older ones AWS's "Security policies
# for your Application Load Balancer" still lists. A name not here is refused with SSLPolicyNotFound (botocore's code).
SSL_POLICIES = frozenset(MOTO_SSL_POLICIES) | {
    "ELBSecurityPolicy-2015-05", "ELBSecurityPolicy-TLS-1-0-2015-04", "ELBSecurityPolicy-FS-2018-06",
    "ELBSecurityPolicy-FS-1-1-2019-08", "ELBSecurityPolicy-FS-1-2-2019-08", "ELBSecurityPolicy-FS-1-2-Res-2019-08",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
}

# botocore LoadBalancerAttribute.Key / TargetGroupAttribute.Key documentation, ALB keys only:
# a (low, high) range, a tuple of allowed words, or None for free text.
LOAD_BALANCER_ATTRIBUTES: dict[str, Any] = {
    **dict.fromkeys(["deletion_protection.enabled", "access_logs.s3.enabled", "connection_logs.s3.enabled",
                     "health_check_logs.s3.enabled", "ipv6.deny_all_igw_traffic", "zonal_shift.config.enabled",
                     "routing.http.drop_invalid_header_fields.enabled", "routing.http.preserve_host_header.enabled",
                     "routing.http.x_amzn_tls_version_and_cipher_suite.enabled", "routing.http.x_amzn_tls_kx.enabled",
                     "routing.http.xff_client_port.enabled", "routing.http2.enabled", "waf.fail_open.enabled"],
                    _TRUE_FALSE),
    **dict.fromkeys(["access_logs.s3.bucket", "access_logs.s3.prefix", "connection_logs.s3.bucket",
                     "connection_logs.s3.prefix", "health_check_logs.s3.bucket", "health_check_logs.s3.prefix"]),
    "load_balancing.cross_zone.enabled": ("true",),
    "idle_timeout.timeout_seconds": (1, 4000),
    "client_keep_alive.seconds": (60, 604800),
    "routing.http.desync_mitigation_mode": ("monitor", "defensive", "strictest"),
    "routing.http.xff_header_processing.mode": ("append", "preserve", "remove"),
}
TARGET_GROUP_ATTRIBUTES: dict[str, Any] = {
    "deregistration_delay.timeout_seconds": (0, 3600),
    "stickiness.enabled": _TRUE_FALSE,
    "stickiness.type": ("lb_cookie", "app_cookie"),
    "stickiness.lb_cookie.duration_seconds": (1, 604800),
    "stickiness.app_cookie.duration_seconds": (1, 604800),
    "stickiness.app_cookie.cookie_name": None,
    "slow_start.duration_seconds": (0, 900),  # 0 (off) or 30-900: checked below
    "load_balancing.algorithm.type": ("round_robin", "least_outstanding_requests", "weighted_random"),
    "load_balancing.algorithm.anomaly_mitigation": ("on", "off"),
    "load_balancing.cross_zone.enabled": ("true", "false", "use_load_balancer_configuration"),
    "target_group_health.dns_failover.minimum_healthy_targets.count": None,
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": None,
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": None,
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": None,
    "waf.http2.traffic_inspection_behavior": ("inspect_immediately", "inspect_after_sufficient_data"),
    "routing.http2.rst_stream_error_forwarding.enabled": _TRUE_FALSE,
}


def aws_error(operation: str, status: int, code: str, message: str, *, modeled: bool = False,
              request_id: str | None = None) -> str:
    """An AWS error as the controller's event prints it (``Failed deploy model due to %v``, group_controller.go).

    aws-sdk-go-v2, which the controller uses (its go.mod): smithy-go's OperationError ``operation error <service id>:
    <operation>, ``, then awshttp.ResponseError ``https response error StatusCode: <n>, RequestID: <id>, ``, then
    the API error: ``<Code>: <message>`` when the operation models the code (service/elasticloadbalancingv2/types/
    errors.go), ``api error <Code>: <message>`` (smithy-go GenericAPIError) when it does not.
    """
    api = f"{code}: {message}" if modeled else f"api error {code}: {message}"
    return (f"Failed deploy model due to operation error Elastic Load Balancing v2: {operation}, https response "
            f"error StatusCode: {status}, RequestID: {request_id or uuid.uuid4()}, {api}")


def certificate_not_found(cert: str) -> str:
    """CreateListener's CertificateNotFound, modeled by ELBv2 (ELBv2 API reference, CreateListener, Errors)."""
    return aws_error("CreateListener", 400, "CertificateNotFound", f"Certificate '{cert}' not found", modeled=True)


def deploy_error(settings: dict[str, Any]) -> DeployError | None:
    """The first API call of the deploy that the ELBv2 API would refuse, or None."""
    for check in (_create_target_group, _modify_target_group_attributes, _create_load_balancer,
                  _modify_load_balancer_attributes, _create_listeners):
        found = check(settings)
        if found is not None:
            return found
    return None


def _constraint(value: Any, member: str, rule: str) -> str:
    return f"Value '{value}' at '{member}' failed to satisfy constraint: Member must {rule}"


def _bounded(value: Any, size: int, member: str, low: int, high: int, what: str) -> list[str]:
    if size > high:
        return [_constraint(value, member, f"have {what} less than or equal to {high}")]
    return [_constraint(value, member, f"have {what} greater than or equal to {low}")] if size < low else []


def _length(text: str, member: str, low: int, high: int) -> list[str]:
    return _bounded(text, len(text), member, low, high, "length")


def _validation(operation: str, violations: list[str]) -> DeployError:
    count = f"{len(violations)} validation error{'s' if len(violations) > 1 else ''} detected"
    return operation, "ValidationError", f"{count}: {'; '.join(violations)}"


def _text_violations(text: str, member: str, low: int, high: int) -> list[str]:
    violations = _length(text, member, low, high)
    if violations or all(unicodedata.category(c)[0] in "LZN" or c in "_.:/=+-@" for c in text):  # _TAG_PATTERN
        return violations
    return [_constraint(text, member, f"satisfy regular expression pattern: {_TAG_PATTERN}")]


def _tag_violations(tags: dict[str, str]) -> list[str]:
    # The request's Tags are the controller's three tracking tags, then the user's; the index is a paraphrase
    # (Go map order decides the real one).
    violations = []
    for index, (key, value) in enumerate(tags.items(), start=4):
        violations += _text_violations(key, f"tags.{index}.member.key", 1, 128)
        violations += _text_violations(value, f"tags.{index}.member.value", 0, 256)
    return violations


def _matcher_error(matcher: dict[str, str]) -> str | None:
    kind, code = next(iter(matcher.items()))
    low, high = (0, 99) if kind == "GrpcCode" else (200, 499)
    for item in code.split(","):
        first, dash, last = item.partition("-")
        numbers = [first, last] if dash else [first]
        if not all(n.isascii() and n.isdigit() and low <= int(n) <= high for n in numbers):
            # paraphrase: AWS refuses it; the exact text is not public
            return f"Health check matcher {'gRPC' if kind == 'GrpcCode' else 'HTTP'} code '{code}' must be " \
                   f"within '{low}-{high}'"
    return None


def _create_target_group(settings: dict[str, Any]) -> DeployError | None:
    check = settings["health_check"]
    violations = _length(check["path"], "healthCheckPath", 1, 1024)
    for member, key, low, high in (("healthCheckIntervalSeconds", "interval_seconds", 5, 300),
                                   ("healthCheckTimeoutSeconds", "timeout_seconds", 2, 120),
                                   ("healthyThresholdCount", "healthy_threshold_count", 2, 10),
                                   ("unhealthyThresholdCount", "unhealthy_threshold_count", 2, 10)):
        violations += _bounded(check[key], check[key], member, low, high, "value")
    violations += _tag_violations(settings["tags"])
    if violations:
        return _validation("CreateTargetGroup", violations)
    if not check["path"].startswith("/") or not check["path"].isprintable():
        # paraphrase: the ALB wants a path starting with '/' and of printable characters
        return "CreateTargetGroup", "ValidationError", "Health check path must start with '/' and contain only " \
                                                       "printable characters"
    if check["timeout_seconds"] >= check["interval_seconds"]:
        return "CreateTargetGroup", "ValidationError", f"Health check timeout '{check['timeout_seconds']}' must " \
                                                       f"be smaller than the interval '{check['interval_seconds']}'"
    matcher = _matcher_error(settings["matcher"])
    if matcher is not None:
        return "CreateTargetGroup", "ValidationError", matcher
    if any(key.lower().startswith("aws:") for key in settings["tags"]):
        return "CreateTargetGroup", "ValidationError", "Tag keys starting with 'aws:' are reserved"  # paraphrase
    return None


def _attribute_problem(key: str, value: str, rule: Any) -> str | None:
    if isinstance(rule, tuple) and rule and isinstance(rule[0], int):
        low, high = rule
        if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
            return f"'{key}' value '{value}' must be between '{low}-{high}' inclusive"  # moto's text for one key
        return None
    if isinstance(rule, tuple) and value not in rule:
        return f"'{value}' must be one of [{', '.join(rule)}]"  # moto's wording for stickiness.type (paraphrase)
    return None


def _attribute_violations(attributes: dict[str, str], value_max: int | None) -> list[str]:
    violations = []
    for index, (key, value) in enumerate(attributes.items(), start=1):
        member = f"attributes.{index}.member"
        violations += _length(key, f"{member}.key", 0, 256) or (
            [] if re.fullmatch(_ATTRIBUTE_KEY[1:-1], key) else
            [_constraint(key, f"{member}.key", f"satisfy regular expression pattern: {_ATTRIBUTE_KEY}")])
        if value_max is not None:
            violations += _length(value, f"{member}.value", 0, value_max)
    return violations


def _modify_target_group_attributes(settings: dict[str, Any]) -> DeployError | None:
    attributes = settings["target_group_attributes"]
    violations = _attribute_violations(attributes, None)
    if violations:
        return _validation("ModifyTargetGroupAttributes", violations)
    for key, value in attributes.items():
        if key not in TARGET_GROUP_ATTRIBUTES:
            return "ModifyTargetGroupAttributes", "ValidationError", f"Target group attribute key '{key}' is not " \
                                                                     "recognized"
        problem = _attribute_problem(key, value, TARGET_GROUP_ATTRIBUTES[key])
        if problem is None and key == "slow_start.duration_seconds" and value != "0" and int(value) < 30:
            problem = f"'{key}' value '{value}' must be between '30-900' inclusive"  # paraphrase
        if problem is not None:
            return "ModifyTargetGroupAttributes", "ValidationError", problem
    return None


def _create_load_balancer(settings: dict[str, Any]) -> DeployError | None:
    name, pool = settings["load_balancer_name"], settings["customer_owned_ipv4_pool"]
    if pool is not None and not re.fullmatch(r"ipv4pool-coip-[a-zA-Z0-9]+", pool):
        return _validation("CreateLoadBalancer", [_constraint(pool, "customerOwnedIpv4Pool", "satisfy regular "
                                                              "expression pattern: ^(ipv4pool-coip-)[a-zA-Z0-9]+$")])
    if name is None:
        return None
    # paraphrases of botocore's CreateLoadBalancer Name rules ("must contain only alphanumeric characters or
    # hyphens, must not begin or end with a hyphen, and must not begin with internal-")
    if not re.fullmatch("[A-Za-z0-9-]+", name):
        return "CreateLoadBalancer", "ValidationError", f"Load balancer name '{name}' can only contain characters " \
                                                        "that are alphanumeric characters or hyphens(-)"
    if name.startswith("-") or name.endswith("-") or name.startswith("internal-"):
        return "CreateLoadBalancer", "ValidationError", f"Load balancer name '{name}' cannot begin or end with " \
                                                        "'-', or begin with 'internal-'"
    return None


def _modify_load_balancer_attributes(settings: dict[str, Any]) -> DeployError | None:
    attributes = settings["load_balancer_attributes"]
    violations = _attribute_violations(attributes, 1024)
    if violations:
        return _validation("ModifyLoadBalancerAttributes", violations)
    for key, value in attributes.items():
        if key not in LOAD_BALANCER_ATTRIBUTES:
            return "ModifyLoadBalancerAttributes", "InvalidConfigurationRequest", f"Key {key} not valid"
        problem = _attribute_problem(key, value, LOAD_BALANCER_ATTRIBUTES[key])
        if problem is not None:
            return "ModifyLoadBalancerAttributes", "ValidationError", problem
    return None


def _create_listeners(settings: dict[str, Any]) -> DeployError | None:
    if any(protocol == "HTTPS" for protocol, _ in settings["listeners"]) and settings["ssl_policy"] not in SSL_POLICIES:
        return "CreateListener", "SSLPolicyNotFound", f"SSL policy '{settings['ssl_policy']}' not found"  # paraphrase
    return None
