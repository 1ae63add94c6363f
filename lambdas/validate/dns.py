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

from layer7.dns_records import records_at
from layer7.dualstack import aaaa_refusal
from layer7.errors import InvalidInput


def check_host_records(route53: Any, zone_id: str, host: str, annotations: dict[str, str]) -> None:
    """Raise InvalidInput when an AAAA record at ``host`` would have to go (module docstring)."""
    refusal = aaaa_refusal(host, zone_id, records_at(route53, zone_id, host), annotations)
    if refusal:
        raise InvalidInput(refusal)
