"""The annotations the workflow sets unless the caller's ingressAnnotations say otherwise.

Why: without them every setting beyond the guide's five is the load balancer
controller's default, and those suit neither gRPC nor a vector database: the
listener's ``ssl-policy`` defaults to ELBSecurityPolicy-2016-08, which allows
TLS 1.0 and 1.1 (controller pkg/config/controller_config.go defaultSSLPolicy);
the ALB's idle timeout is 60 s (botocore elbv2 LoadBalancerAttribute.Key:
"idle_timeout.timeout_seconds ... The default is 60 seconds"); and the target
group is checked every 15 s (model_builder.go defaultHealthCheckIntervalSeconds),
so a new target waits up to 15 s for the one passing check AWS requires
("After your target is registered, it must pass one health check to be
considered healthy", ALB guide, target-group-health-checks).

Unlike the guide's five (``OWNED_ANNOTATIONS`` in validate/logic.py), each
default yields to the caller's value. ``load-balancer-attributes`` is one
stringMap annotation holding many ALB attributes, so it is merged key by key:
the caller's keys win, the workflow's other keys stay. docs/CONTRACT.md,
"Defaults the workflow sets", says why each value was chosen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

ALB = "alb.ingress.kubernetes.io/"
LOAD_BALANCER_ATTRIBUTES = f"{ALB}load-balancer-attributes"

# The policy AWS recommends ("AWS recommends implementing the new post-quantum TLS (PQ-TLS) based security
# policy ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09", ALB guide, describe-ssl-policies; the console's default):
# TLS 1.3 and 1.2 only; for TLS 1.2 only ECDHE with AES-GCM, the suites HTTP/2, and so gRPC, keeps anyway (RFC
# 7540 section 9.2.2 and its Appendix A black list); hybrid post-quantum key exchange for clients that offer it,
# classic ECDHE for the others. TLS13-1-2-2021-06 adds CBC suites HTTP/2 should not use, and no PQ exchange.
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
# 300 s: ALBs do not count HTTP/2 PING frames as activity ("Application Load Balancers do not support HTTP/2
# PING frames. These do not reset the connection idle timeout", ALB guide, edit-load-balancer-attributes), so
# gRPC keepalives cannot hold a channel open; five times the default lets long Milvus calls (a big search, a
# load or an index build waited on in one call) finish, and stays under a NAT gateway's 350 s idle timeout
# (Lambda guide, configuration-vpc) so that the ALB, with a GOAWAY, not a NAT, with a reset, ends an idle channel.
IDLE_TIMEOUT_SECONDS = "300"
# Every 5 s (the API's minimum, HealthCheckIntervalSeconds 5-300): a new target turns healthy after one passing
# check, so about 5 s after registration instead of 15. A 4 s timeout (it must be below the interval) lets a
# busy Milvus proxy answer late without failing; 3 consecutive failures (15 s) before a target is taken out, so
# one slow answer never flaps it, and 2 passes (10 s) to bring a recovered one back.
HEALTH_CHECK = {
    "healthcheck-interval-seconds": "5",
    "healthcheck-timeout-seconds": "4",
    "healthy-threshold-count": "2",
    "unhealthy-threshold-count": "3",
}

DEFAULT_ANNOTATIONS: dict[str, str] = {
    f"{ALB}ssl-policy": SSL_POLICY,
    **{f"{ALB}{name}": value for name, value in HEALTH_CHECK.items()},
    LOAD_BALANCER_ATTRIBUTES: f"idle_timeout.timeout_seconds={IDLE_TIMEOUT_SECONDS}",
}


def parse_string_map(value: str) -> dict[str, str]:
    """k1=v1,k2=v2 as the controller reads it (pkg/annotations/parser.go: '\\,' is a literal comma).

    Validate has already refused a value the controller cannot parse; a pair
    without '=' is kept as a key with an empty value rather than dropped.
    """
    pairs: dict[str, str] = {}
    for part in re.split(r"(?<!\\),", value):
        if part.strip():
            key, _, item = part.replace("\\,", ",").partition("=")
            pairs[key.strip()] = item.strip()
    return pairs


def format_string_map(pairs: Mapping[str, str]) -> str:
    return ",".join(f"{key}={item.replace(',', chr(92) + ',')}" for key, item in pairs.items())


def with_defaults(annotations: Mapping[str, str]) -> dict[str, str]:
    """The caller's annotations on top of the workflow's defaults; load-balancer-attributes merged key by key."""
    merged = {**DEFAULT_ANNOTATIONS, **annotations}
    if LOAD_BALANCER_ATTRIBUTES in annotations:
        ours = parse_string_map(DEFAULT_ANNOTATIONS[LOAD_BALANCER_ATTRIBUTES])
        merged[LOAD_BALANCER_ATTRIBUTES] = format_string_map(
            {**ours, **parse_string_map(annotations[LOAD_BALANCER_ATTRIBUTES])})
    return merged
