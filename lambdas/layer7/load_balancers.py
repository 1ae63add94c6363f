"""An ALB as the AWS Load Balancer Controller tags it, found by its DNS name with a fixed number of ELBv2 calls.

Shared by setup's CheckLoadBalancer (is the Ingress's ALB up and healthy?) and the undo's CheckIngressDeleted
(has the controller removed it?).

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
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from layer7 import aws

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
