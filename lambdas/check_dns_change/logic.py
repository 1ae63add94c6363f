"""CheckDnsChange: the same change with Route 53's current status.

Route 53 applies a change to all its name servers "generally within 60
seconds"; the state machine polls this step until INSYNC instead of a Lambda
waiting, and everything else UpsertDns found (what it replaced, how long to
wait before the Layer-4 load balancer goes) rides along unchanged.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from botocore.exceptions import ClientError

from layer7.aws import raise_if_transient
from layer7.errors import TransientError
from layer7.models import CheckDnsChangeEvent, DnsChange

# Ten times what Route 53 generally needs; past it the run ends (stacks/timeouts.py counts on this bound).
DNS_SYNC_TIMEOUT_SECONDS = 600


def check_change(event: CheckDnsChangeEvent, *, route53: Any, now: Callable[[], float] = time.time) -> DnsChange:
    record = event.dns_record
    try:
        info = route53.get_change(Id=record.change_id)["ChangeInfo"]
    except ClientError as exc:
        raise_if_transient(exc, "reading the Route 53 change")
        raise
    waited = now() - record.submitted_at
    if info["Status"] != "INSYNC" and record.submitted_at and waited > DNS_SYNC_TIMEOUT_SECONDS:
        raise TransientError(
            f"Route 53 change {record.change_id} for {record.name} is still {info['Status']} after {waited:.0f} s; "
            "the record may already answer with its new value, and both the ALB and the Layer-4 load balancer are "
            "still in place. "
            "Check the Route 53 console, then start the run again"
        )
    return record.model_copy(update={"status": info["Status"]})
