"""Whether the ALB answers IPv6, and so whether an AAAA record at the host may point at it.

The AWS Load Balancer Controller gives the ALB the IP address type of the
Ingress's annotation ``alb.ingress.kubernetes.io/ip-address-type``: ``ipv4``
(its default) or ``dualstack``, and ``dualstack-without-public-ipv4``
(kubernetes-sigs/aws-load-balancer-controller ``docs/guide/ingress/annotations.md``
ip-address-type). Only a dualstack
ALB has IPv6 addresses; Route 53 answers an AAAA alias to one with them
(Route 53 developer guide, "Routing traffic to an ELB load balancer": for IPv6,
an AAAA alias record beside the A one).

So a host that clients reach over IPv6 (an AAAA record) keeps an AAAA record,
an alias to the ALB, only when the ALB is dualstack; otherwise the workflow
refuses before changing anything (Validate) rather than drop the AAAA record.
Shared by Validate (the early refusal) and UpsertDns (its last guard).
"""

from __future__ import annotations

from typing import Any

IP_ADDRESS_TYPE_ANNOTATION = "alb.ingress.kubernetes.io/ip-address-type"
DUALSTACK_TYPES = ("dualstack", "dualstack-without-public-ipv4")


def is_dualstack(annotations: dict[str, str]) -> bool:
    return annotations.get(IP_ADDRESS_TYPE_ANNOTATION, "ipv4").strip().lower() in DUALSTACK_TYPES


def aaaa_refusal(host: str, zone_id: str, records: list[dict[str, Any]], annotations: dict[str, str]) -> str | None:
    """Why the run must not replace ``records`` (those at ``host``), or None when it may."""
    aaaa = [record for record in records if record.get("Type") == "AAAA"]
    if not aaaa or is_dualstack(annotations):
        return None
    return (f"host {host} has an AAAA record in {zone_id}: IPv6 clients reach it, and an ipv4 ALB has no IPv6 "
            f"address to alias it to. Set ingressAnnotations.\"{IP_ADDRESS_TYPE_ANNOTATION}\": \"dualstack\" (the "
            "subnets need IPv6 CIDRs) and the AAAA record becomes an alias to the ALB, or remove the AAAA record "
            "yourself; nothing was changed")
