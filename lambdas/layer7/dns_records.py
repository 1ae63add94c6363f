"""The host's records in Route 53, as setup (Validate, UpsertDns) and the undo (RestoreDns) all read them.

One reading for the three: the A, AAAA and CNAME record sets named exactly
the host (Route 53 lists in name order from ``StartRecordName``), names
compared without case or trailing dot, and ids shown without their
``/hostedzone/`` or ``/change/`` prefix. The annotation UpsertDns writes
(``DNS_RECORD_ANNOTATION``) is what RestoreDns reads back.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from layer7.aws import raise_if_transient

DNS_RECORD_ANNOTATION = "milvus-layer7/dns-replaced"
RECORD_TYPES = ("A", "AAAA", "CNAME")
# Route 53 answers an alias to an ELB load balancer with the load balancer's own TTL, 60 s.
ALIAS_TTL_SECONDS = 60


def bare_id(resource_id: str) -> str:
    """``/hostedzone/Z123`` or ``/change/C123`` -> the id alone, as it is shown and stored."""
    return resource_id.rsplit("/", 1)[-1]


def normalized(name: str) -> str:
    return name.lower().rstrip(".")


def records_at(route53: Any, zone_id: str, host: str) -> list[dict[str, Any]]:
    """The A, AAAA and CNAME record sets named exactly ``host``, as Route 53 returns them."""
    wanted = normalized(host)
    try:
        answer = route53.list_resource_record_sets(HostedZoneId=zone_id, StartRecordName=wanted, MaxItems="20")
    except ClientError as exc:
        raise_if_transient(exc, "listing the host's records")
        raise
    return [record for record in answer.get("ResourceRecordSets", [])
            if normalized(record["Name"]) == wanted and record["Type"] in RECORD_TYPES]
