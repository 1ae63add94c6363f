"""The ALB behind an Ingress and its healthy targets, with a fixed number of ELBv2 calls.

The ALB is found by the name in the Ingress's address (``layer7.load_balancers``:
one DescribeLoadBalancers by name); then one DescribeTargetGroups, one
DescribeTags for the ALB and its target groups together, and
DescribeTargetHealth for this Ingress's own target groups: at most four calls
when one backend is routed, however many load balancers the account has.

Only the target groups tagged ``ingress.k8s.aws/resource =
<namespace>/<ingress>-<service>:<port>`` (``pkg/ingress/model_build_target_group.go``
in the controller) count: that keeps an IngressGroup shared with other
Ingresses from looking ready because someone else's targets are healthy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from layer7 import aws
from layer7.load_balancers import TAG_CLUSTER, TAG_RESOURCE, TAG_STACK, tags_of


@dataclass(frozen=True)
class Owner:
    """Whose ALB and target groups to look for: the tags the controller writes for this Ingress."""

    cluster: str
    stack: str  # "<namespace>/<ingress>", or the IngressGroup's name
    target_group_resource: str  # "<namespace>/<ingress>-<service>:<port>"


def healthy_targets(elbv2: Any, load_balancer_arn: str, owner: Owner) -> tuple[bool, int]:
    """(the ALB carries this Ingress's tags, healthy targets in this Ingress's own target groups)."""
    try:
        groups = elbv2.describe_target_groups(LoadBalancerArn=load_balancer_arn).get("TargetGroups", [])
        tags = tags_of(elbv2, [load_balancer_arn, *(group["TargetGroupArn"] for group in groups)])
        lb_tags = tags.get(load_balancer_arn, {})
        owned = lb_tags.get(TAG_CLUSTER) == owner.cluster and lb_tags.get(TAG_STACK) == owner.stack
        ours = [group["TargetGroupArn"] for group in groups
                if tags.get(group["TargetGroupArn"], {}).get(TAG_RESOURCE) == owner.target_group_resource]
        healthy = 0
        for arn in ours if owned else []:
            health = elbv2.describe_target_health(TargetGroupArn=arn)
            healthy += sum(1 for d in health.get("TargetHealthDescriptions", [])
                           if (d.get("TargetHealth") or {}).get("State") == "healthy")
    except ClientError as exc:
        aws.raise_if_transient(exc, "describing the ALB's target groups")
        if aws.error_code(exc) in ("LoadBalancerNotFound", "TargetGroupNotFound"):
            return (False, 0)  # the controller is still building or replacing it; look again next time
        raise
    return (owned, healthy)
