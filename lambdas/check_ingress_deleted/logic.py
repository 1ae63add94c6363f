"""CheckIngressDeleted: has the controller removed the ALB and let the Ingress go?

Done means both: the Ingress is gone (the controller removes its finalizer
only after the deploy without it succeeded, so the API server deletes it
only then), and no load balancer carries the Ingress's controller tags
(``elbv2.k8s.aws/cluster`` and ``ingress.k8s.aws/stack``,
pkg/deploy/tracking/provider.go). An Ingress in a shared IngressGroup leaves
the group's ALB to its other members; there only the first counts.

The ALB is looked up by the name in its address, as CheckLoadBalancer does
(``layer7.load_balancers``: a fixed number of calls); when the Ingress never had an address, every load
balancer's tags are read, as the controller itself finds them. Stateless:
the time counts from ``$.ingressDeletion.deletedAt``, and past
``albTimeoutSeconds`` the run ends in ``LoadBalancerTimeout``, with Milvus
answering through the Layer-4 load balancer.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from botocore.exceptions import ClientError

from layer7 import aws
from layer7 import kube as k8s
from layer7.errors import LoadBalancerTimeout
from layer7.ingress import read_ingress
from layer7.load_balancers import TAG_CLUSTER, TAG_STACK, find_load_balancer, tags_of
from layer7.observability import logger
from layer7.undo_models import AlbRemoval, CheckIngressDeletedEvent, IngressDeletion
from layer7.waits import next_wait


def tagged_load_balancers(elbv2: Any, cluster: str, deletion: IngressDeletion) -> list[str]:
    """ARNs of load balancers that still carry the Ingress's controller tags."""
    try:
        if deletion.load_balancer_dns_name:
            found = find_load_balancer(elbv2, deletion.load_balancer_dns_name)
            candidates = [found["LoadBalancerArn"]] if found else []
        else:
            pages = elbv2.get_paginator("describe_load_balancers").paginate()
            candidates = [lb["LoadBalancerArn"] for page in pages for lb in page["LoadBalancers"]]
        tags = tags_of(elbv2, candidates) if candidates else {}
    except ClientError as exc:
        aws.raise_if_transient(exc, "looking for the Ingress's load balancer")
        if aws.error_code(exc) == "LoadBalancerNotFound":
            return []  # deleted between the two calls
        raise
    wanted = {TAG_CLUSTER: cluster, TAG_STACK: deletion.stack}
    return [arn for arn in candidates if all(tags.get(arn, {}).get(key) == value for key, value in wanted.items())]


def check_ingress_deleted(event: CheckIngressDeletedEvent, kube: k8s.Kube, elbv2: Any, *,
                          now: Callable[[], float] = time.time) -> AlbRemoval:
    request, deletion = event.request, event.ingress_deletion
    ingress = read_ingress(kube, deletion.namespace, deletion.name)
    remaining_lbs = [] if deletion.shared_group else tagged_load_balancers(elbv2, request.cluster_name, deletion)
    done = ingress is None and not remaining_lbs
    moment = now()
    elapsed = max(0.0, moment - deletion.deleted_at)
    remaining = request.alb_timeout_seconds - elapsed
    if not done and remaining <= 0:
        held = ((ingress or {}).get("metadata") or {}).get("finalizers") or []
        seen = (f"the Ingress is still there, held by {', '.join(held) or 'no finalizer'}" if ingress is not None
                else f"load balancers {', '.join(remaining_lbs)} still carry its tags")
        raise LoadBalancerTimeout(
            f"the load balancer controller did not remove the ALB of Ingress {deletion.namespace}/{deletion.name} "
            f"within {request.alb_timeout_seconds} s: {seen}. Milvus answers through the Layer-4 load balancer; "
            "check the controller's logs (deletion protection, IAM) and start the undo again"
        )
    wait = 0 if done else next_wait(elapsed, remaining)
    logger.info("ALB removal checked", extra={"ingressGone": ingress is None, "loadBalancers": remaining_lbs,
                                              "wait": wait})
    return AlbRemoval(done=done, ingress_gone=ingress is None, load_balancers=remaining_lbs, wait_seconds=wait,
                      elapsed_seconds=round(elapsed, 3))
