"""Route 53 as strict as the real one, where moto 5.2.5 is not.

1. Conflicting record sets. A CNAME cannot share its name with any other record set (RFC 1034 3.6.2); Route 53
   refuses a batch that would leave one with InvalidChangeBatch and one of two messages, verbatim from AWS SDK
   users' reports (hashicorp/terraform#9732, aws/aws-sdk-java#1996, cookpad/roadworker#89; the first has two
   spaces before CNAME, sic), below. Changes apply in order, so deleting the CNAME and then creating an A record
   is fine; CREATE of an existing set and DELETE of a missing one are refused too. moto accepts all of these.
2. Change status. ChangeResourceRecordSets answers ``PENDING`` with a new change id, and GetChange turns
   ``INSYNC`` once the change reached every Route 53 name server, "generally within 60 seconds" (Route 53
   developer guide, ChangeResourceRecordSets). moto answers ``INSYNC`` at once with one id; here a change is
   PENDING for ``PROPAGATION_SECONDS``.
3. Hosted zone ids start with ``Z`` (``Z1D633PJN98FT9`` in the API reference; moto's own comment says so), which
   the stack's configuration checks; moto 5.2.5 draws from any letters and digits.
"""

from __future__ import annotations

import functools
import secrets
import string
import time
from typing import Any

PROPAGATION_SECONDS = 2.0
_submitted: dict[str, float] = {}


@functools.cache  # the patches are process-wide, as moto's classes are: applied once
def install() -> None:
    import moto.route53.models as models
    from moto.route53.models import Route53Backend
    from moto.route53.responses import Route53

    models.create_route53_zone_id = _zone_id
    original_change = Route53Backend.change_resource_record_sets

    def change_resource_record_sets(self: Any, zoneid: str, change_list: list[dict[str, Any]]) -> None:
        zone = self.get_hosted_zone(zoneid)
        check_batch({(_name(record.name), record.type) for record in zone.rrsets}, change_list, zone.name)
        # check_batch refused every CREATE of an existing set; moto 5.2.5 also refuses a CREATE equal to any
        # earlier change in the zone's journal whenever some record sorts at or after its name (its
        # ResourceRecordAlreadyExists from get_record_sets' dropwhile), though that set was deleted since, as
        # when a setup after an undo re-creates the alias it had. Route 53 has no such rule: pass it as UPSERT.
        original_change(self, zoneid, [{**change, "Action": "UPSERT"} if change["Action"] == "CREATE" else change
                                       for change in change_list])

    Route53Backend.change_resource_record_sets = change_resource_record_sets  # type: ignore[method-assign]

    original_response = Route53.change_resource_record_sets
    original_get_change = Route53.get_change

    def change_response(self: Any) -> Any:
        result = original_response(self)
        change_id = "C" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(20))
        _submitted[change_id] = time.monotonic()
        _change_info(result).update(Id=f"/change/{change_id}", Status="PENDING")
        return result

    def get_change(self: Any) -> Any:
        result = original_get_change(self)
        info = _change_info(result)
        change_id = str(info["Id"]).rsplit("/", 1)[-1]
        submitted = _submitted.get(change_id)
        if submitted is not None and time.monotonic() < submitted + PROPAGATION_SECONDS:
            info["Status"] = "PENDING"
        return result

    Route53.change_resource_record_sets = change_response  # type: ignore[method-assign]
    Route53.get_change = get_change  # type: ignore[method-assign]


def _change_info(result: Any) -> dict[str, Any]:
    """The ChangeInfo of moto's answer (an ActionResult wrapping a dict)."""
    body: dict[str, Any] = result.result if hasattr(result, "result") else result
    info: dict[str, Any] = body["ChangeInfo"]
    return info


def _zone_id(*_args: Any, **_kwargs: Any) -> str:
    return "Z" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(20))


def _name(name: str) -> str:
    return name.lower().rstrip(".") + "."


def check_batch(existing: set[tuple[str, str]], changes: list[dict[str, Any]], zone_name: str) -> None:
    """Raise InvalidChangeBatch with Route 53's messages when applying ``changes`` in order breaks a rule."""
    from moto.route53.exceptions import Route53ClientError

    records, problems = set(existing), []
    zone = _name(zone_name)
    for change in changes:
        record_set = change["ResourceRecordSet"]
        key = (_name(record_set["Name"]), record_set["Type"])
        name, type_ = key
        others = {t for n, t in records if n == name and t != type_}
        if change["Action"] == "DELETE":
            if key not in records:
                problems.append(f"Tried to delete resource record set [name='{name}', type='{type_}'] but it was "
                                "not found")
            records.discard(key)
            continue
        if change["Action"] == "CREATE" and key in records:
            problems.append(f"Tried to create resource record set [name='{name}', type='{type_}'] but it already "
                            "exists")
        elif type_ == "CNAME" and others:
            problems.append(f"RRSet of type CNAME with DNS name {name} is not permitted as it conflicts with other "
                            f"records with the same DNS name in zone {zone}")
        elif "CNAME" in others:
            problems.append(f"RRSet of type {type_} with DNS name {name} is not permitted because a conflicting "
                            f"RRSet of type  CNAME with the same DNS name already exists in zone {zone}")
        records.add(key)
    if problems:
        raise Route53ClientError("InvalidChangeBatch", "[" + ", ".join(problems) + "]")
