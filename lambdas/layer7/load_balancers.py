"""An ALB as the AWS Load Balancer Controller tags it, found by its DNS name with a fixed number of ELBv2 calls.

Shared by setup's CheckLoadBalancer (is the Ingress's ALB up and healthy?), the undo's CheckIngressDeleted
(has the controller removed it?) and CheckDrift (is it still as the setup left it?).

Paging through every load balancer in the region grows with the account;
instead the name comes from the Ingress's address: AWS gives an ALB the DNS
name ``<name>-<id>.<region>.elb.amazonaws.com`` (``internal-<name>-<id>...``
when internal; botocore's elbv2 examples), and an ALB's name may not itself
begin with ``internal-`` (CreateLoadBalancer): one DescribeLoadBalancers by name.

Ownership comes from the tags the controller writes
(``pkg/deploy/tracking/provider.go``): ``elbv2.k8s.aws/cluster``,
``ingress.k8s.aws/stack`` (``<namespace>/<ingress>``, or the group name for an
explicit IngressGroup) and ``ingress.k8s.aws/resource``, which for a target
group is ``<namespace>/<ingress>-<service>:<port>``
(``pkg/ingress/model_build_target_group.go``).

Healthy targets (``healthy_targets``): one DescribeTargetGroups, one DescribeTags for the ALB and its target
groups together, and DescribeTargetHealth for this Ingress's own target groups only (tagged
``ingress.k8s.aws/resource = <namespace>/<ingress>-<service>:<port>``): that keeps an IngressGroup shared with
other Ingresses from looking healthy because someone else's targets are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from layer7 import aws
from layer7.ingress import GROUP_NAME_ANNOTATION
from layer7.models import SetupRequest

TAG_CLUSTER = "elbv2.k8s.aws/cluster"
TAG_STACK = "ingress.k8s.aws/stack"
TAG_RESOURCE = "ingress.k8s.aws/resource"
DESCRIBE_TAGS_CHUNK = 20  # DescribeTags takes at most 20 ARNs


def load_balancer_name(dns_name: str) -> str | None:
    label = dns_name.lower().rstrip(".").split(".", 1)[0].removeprefix("internal-")
    name, separator, _ = label.rpartition("-")
    return name if separator and name else None


def tags_of(elbv2: Any, arns: list[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), DESCRIBE_TAGS_CHUNK):
        answer = elbv2.describe_tags(ResourceArns=arns[start:start + DESCRIBE_TAGS_CHUNK])
        for description in answer.get("TagDescriptions", []):
            found[description["ResourceArn"]] = {t["Key"]: t.get("Value", "") for t in description.get("Tags", [])}
    return found


def find_load_balancer(elbv2: Any, dns_name: str) -> dict[str, Any] | None:
    """The ELBv2 load balancer whose DNS name is the Ingress's address, or None while there is none."""
    name = load_balancer_name(dns_name)
    if name is None:
        return None
    try:
        found = elbv2.describe_load_balancers(Names=[name]).get("LoadBalancers", [])
    except ClientError as exc:
        aws.raise_if_transient(exc, "DescribeLoadBalancers")
        if aws.error_code(exc) in ("LoadBalancerNotFound", "ValidationError"):
            return None
        raise
    wanted = dns_name.lower().rstrip(".")
    return next((lb for lb in found if str(lb.get("DNSName", "")).lower().rstrip(".") == wanted), None)


@dataclass(frozen=True)
class Owner:
    """Whose ALB and target groups to look for: the tags the controller writes for this Ingress."""

    cluster: str
    stack: str  # "<namespace>/<ingress>", or the IngressGroup's name
    target_group_resource: str  # "<namespace>/<ingress>-<service>:<port>"


def owner_of(request: SetupRequest) -> Owner:
    """The controller's tags for this Ingress: its stack is the IngressGroup's name when it joins one."""
    namespace, name = request.namespace, request.ingress_name
    return Owner(
        cluster=request.cluster_name,
        stack=request.ingress_annotations.get(GROUP_NAME_ANNOTATION) or f"{namespace}/{name}",
        target_group_resource=f"{namespace}/{name}-{request.service_name}:{request.service_port}",
    )


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
