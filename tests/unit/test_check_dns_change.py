"""CheckDnsChange: Route 53's current status of the change, everything else passed on; a change that never syncs
ends the run."""

from __future__ import annotations

import pytest

from check_dns_change import handler
from check_dns_change.logic import DNS_SYNC_TIMEOUT_SECONDS, check_change
from layer7.errors import TransientError
from layer7.models import CheckDnsChangeEvent
from tests.unit.kube_fakes import setup_request

T0 = 1_800_000_000.0
RECORD = {"name": "milvus.example.test", "hostedZoneId": "Z1", "changeId": "C123", "status": "PENDING",
          "replaced": [{"Name": "milvus.example.test.", "Type": "CNAME", "TTL": 60,
                        "ResourceRecords": [{"Value": "nlb"}]}],
          "waitSeconds": 120, "submittedAt": T0}


class Route53:
    def __init__(self, status: str):
        self.status = status
        self.asked: list[str] = []

    def get_change(self, Id):
        self.asked.append(Id)
        return {"ChangeInfo": {"Id": f"/change/{Id}", "Status": self.status}}


def event() -> CheckDnsChangeEvent:
    return CheckDnsChangeEvent.model_validate({"correlationId": "exec", "request": setup_request().to_wire(),
                                               "dnsRecord": RECORD})


def test_insync_is_reported_and_the_rest_rides_along():
    checked = check_change(event(), route53=Route53("INSYNC"), now=lambda: T0 + 30)
    assert checked.to_wire() == {**RECORD, "status": "INSYNC"}


def test_pending_is_reported_while_within_the_bound():
    assert check_change(event(), route53=Route53("PENDING"), now=lambda: T0 + 30).status == "PENDING"


def test_a_change_pending_past_the_bound_ends_the_run_saying_where_things_stand():
    with pytest.raises(TransientError, match="both the ALB and the Layer-4 load balancer are still in place"):
        check_change(event(), route53=Route53("PENDING"), now=lambda: T0 + DNS_SYNC_TIMEOUT_SECONDS + 1)


def test_handler_returns_the_wire_dict(lambda_context):
    route53 = Route53("INSYNC")
    out = handler.lambda_handler(event().to_wire(), lambda_context, route53=route53)
    assert out["status"] == "INSYNC" and route53.asked == ["C123"]
