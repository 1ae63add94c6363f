"""Validate's look at the host's records in the stack's zone: refuse a run that would have to drop an AAAA record.

UpsertDns replaces what answers for ``host`` with aliases to the ALB. An AAAA
record there is kept as an AAAA alias only when the ALB is dualstack
(``layer7.dualstack``); otherwise the run must stop, and stopping here, before
the certificate import and the Ingress, leaves everything as it was. One
ListResourceRecordSets on the stack's zone (the only zone the role may read);
UpsertDns checks again as its last guard, as records may change in between.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from layer7.aws import raise_if_transient
from layer7.dualstack import aaaa_refusal
from layer7.errors import InvalidInput


def records_at(route53: Any, zone_id: str, host: str) -> list[dict[str, Any]]:
    """The record sets named exactly ``host`` (Route 53 lists in name order from StartRecordName)."""
    wanted = host.lower().rstrip(".")
    try:
        answer = route53.list_resource_record_sets(HostedZoneId=zone_id, StartRecordName=wanted, MaxItems="20")
    except ClientError as exc:
        raise_if_transient(exc, "listing the host's records")
        raise
    return [record for record in answer.get("ResourceRecordSets", [])
            if str(record.get("Name", "")).lower().rstrip(".") == wanted]


def check_host_records(route53: Any, zone_id: str, host: str, annotations: dict[str, str]) -> None:
    """Raise InvalidInput when an AAAA record at ``host`` would have to go (module docstring)."""
    refusal = aaaa_refusal(host, zone_id, records_at(route53, zone_id, host), annotations)
    if refusal:
        raise InvalidInput(refusal)
