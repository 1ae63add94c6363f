"""RestoreDns: put back the record sets UpsertDns replaced (or delete its alias when it replaced none).

UpsertDns wrote what it replaced onto the Ingress (annotation
``milvus-layer7/dns-replaced``: zone, name, records) before it changed DNS,
so the undo reads that and never guesses. No annotation (no Ingress, or setup
wrote no DNS): there is nothing to restore, and the result is null. The
recorded zone is authoritative; it must be the stack's (the only zone the
role may change) and, when the input names one, that one.

A record that pointed at the Layer-4 load balancer setup removed (a CNAME or
an alias to an old address) now points at the one serving now, the address
CheckLayer4 read from the Service's status: a Service that leaves
LoadBalancer and comes back gets a new load balancer with a new name, and the
old name answers no more. The old addresses are the annotation's
``layer4Address`` (UpsertDns saw it; the annotation lives until the Ingress
is gone, so every rerun of the undo knows it) and RemoveLayer4's record, which
only the run that restores the type reads (an annotation written before the
field existed has only that). A record at the host of the same type pointing
at another load balancer, not the current one, is what an earlier run of the
undo wrote for a load balancer that has been replaced since: it is replaced
too. Any other record comes back verbatim; one that does not point at the
Service's load balancer now is said in ``warnings``.

One batch, as Route 53 applies it: in order and all or nothing (developer
guide, ChangeResourceRecordSets), the alias deleted first so a CNAME may take
its name. Only the alias to this Ingress's ALB is deleted; a record someone
else put at the name since makes Route 53 refuse the batch, which ends the
run in ``InvalidInput`` with DNS unchanged. A run that finds DNS already
restored writes nothing. Either way, before the ALB goes the state machine
waits for INSYNC, the alias's TTL (Route 53 answers an alias to a load
balancer with a 60 s TTL) and ``layer7DrainSeconds``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from layer7 import kube as k8s
from layer7.aws import error_code, raise_if_transient
from layer7.dns_records import ALIAS_TTL_SECONDS, DNS_RECORD_ANNOTATION, bare_id, normalized, records_at
from layer7.errors import InvalidInput
from layer7.ingress import ingress_hostname, read_ingress
from layer7.observability import logger
from layer7.records import json_annotation
from layer7.undo_models import DnsRestore, RestoreDnsEvent


def dns_record(ingress: dict[str, Any] | None) -> dict[str, Any] | None:
    """The annotation's ``{hostedZoneId, name, records}``, None when there is none (or it is unreadable)."""
    value = json_annotation(ingress, DNS_RECORD_ANNOTATION)
    ok = value is not None and isinstance(value.get("records"), list) and value.get("hostedZoneId")
    return value if ok else None


def _target(record: dict[str, Any]) -> str:
    """What a CNAME or an alias points at, normalized (``dualstack.`` left off)."""
    if record.get("AliasTarget"):
        return normalized(str(record["AliasTarget"].get("DNSName", ""))).removeprefix("dualstack.")
    values = [normalized(str(v.get("Value", ""))) for v in record.get("ResourceRecords") or []]
    return values[0] if record.get("Type") == "CNAME" and values else ""


def retarget(record: dict[str, Any], old: set[str], new: str | None) -> dict[str, Any]:
    """``record`` with an old Layer-4 address replaced by the new one, where it named one of them."""
    if not new or _target(record) not in {normalized(address) for address in old}:
        return record
    changed = json.loads(json.dumps(record))
    if changed.get("AliasTarget"):
        prefix = "dualstack." if str(changed["AliasTarget"]["DNSName"]).lower().startswith("dualstack.") else ""
        changed["AliasTarget"]["DNSName"] = f"{prefix}{normalized(new)}."
    else:
        changed["ResourceRecords"] = [{"Value": normalized(new)}]
    return changed


def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        alias = r.get("AliasTarget") or {}
        return (normalized(r["Name"]), r["Type"], r.get("TTL"),
                sorted(normalized(str(v.get("Value", ""))) for v in r.get("ResourceRecords") or []),
                normalized(str(alias.get("DNSName", ""))), alias.get("HostedZoneId"))
    return key(a) == key(b)


def _ours(record: dict[str, Any], alb: str | None) -> bool:
    """UpsertDns's aliases: A, and AAAA for a dualstack ALB, to this Ingress's ALB (to any load balancer, when the
    address is unknown). The AAAA records they replaced are among the recorded ones, and come back with them."""
    if record.get("Type") not in ("A", "AAAA") or not record.get("AliasTarget"):
        return False
    return _target(record) == normalized(alb) if alb else _target(record).endswith(".elb.amazonaws.com")


# An ELB load balancer's DNS name: <name>.<region>.elb.amazonaws.com (ALB, CLB) or <name>-<hex>.elb.<region>.
# amazonaws.com (NLB), .com.cn in China.
ELB_NAME = re.compile(r"\.elb\.([a-z0-9-]+\.)?amazonaws\.com(\.cn)?$")


def _replaced_load_balancer(record: dict[str, Any], retargeted: list[dict[str, Any]], new: str | None) -> bool:
    """An earlier run's retargeted record, to a load balancer that is not the Service's now."""
    target = _target(record)
    return bool(new) and target != normalized(new or "") and bool(ELB_NAME.search(target)) and any(
        normalized(record["Name"]) == normalized(w["Name"]) and record["Type"] == w["Type"] for w in retargeted)


def restore_dns(event: RestoreDnsEvent, *, kube: k8s.Kube, route53_client: Callable[[], Any], stack_zone: str,
                now: Callable[[], float] = time.time) -> DnsRestore | None:
    request = event.request
    ingress = read_ingress(kube, request.namespace, request.ingress_name)
    recorded = dns_record(ingress)
    if recorded is None:
        return None
    zone, host = bare_id(str(recorded["hostedZoneId"])), normalized(str(recorded.get("name") or request.host))
    for allowed, what in ((request.hosted_zone_id, "the input's dns.hostedZoneId"), (stack_zone, "the stack's")):
        if allowed and bare_id(allowed) != zone:
            raise InvalidInput(f"setup replaced {host}'s records in zone {zone}, which is not {what} ({allowed}); "
                               "restore them by hand (the Ingress's annotation "
                               f"{DNS_RECORD_ANNOTATION} holds them). Nothing was changed")
    route53 = route53_client()
    new = event.layer4.address
    old = {str(a) for a in (recorded.get("layer4Address"), event.restore.previous_address) if a} - {new or ""}
    wanted = [retarget(record, old, new) for record in recorded["records"]]
    retargeted = [w for w, r in zip(wanted, recorded["records"], strict=True) if w is not r]
    warnings = [f"{r['Type']} {host} is restored as it was, pointing at {_target(r)}, not at the Service's "
                f"Layer-4 load balancer {new}"
                for r in wanted if r["Type"] == "CNAME" and _target(r) != normalized(new or "")]
    current = records_at(route53, zone, host)
    alb = ingress_hostname(ingress or {})
    remove = [r for r in current if (_ours(r, alb) or _replaced_load_balancer(r, retargeted, new))
              and not any(same(r, w) for w in wanted)]
    add = [w for w in wanted if not any(same(w, r) for r in current)]
    wait = ALIAS_TTL_SECONDS + request.layer7_drain_seconds
    if not remove and not add:
        logger.info("DNS already restored", extra={"record": host, "zone": zone})
        return DnsRestore(name=host, hosted_zone_id=zone, change_id="", status="INSYNC", restored=wanted,
                          wait_seconds=wait, submitted_at=now(), warnings=warnings)
    changes = [{"Action": "DELETE", "ResourceRecordSet": r} for r in remove]
    changes += [{"Action": "CREATE", "ResourceRecordSet": w} for w in add]
    batch = {"Comment": f"milvus-layer7 undo: {host} back to the Layer-4 load balancer"[:256], "Changes": changes}
    try:
        info = route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch=batch)["ChangeInfo"]
    except ClientError as exc:
        raise_if_transient(exc, "restoring the Route 53 records")
        if error_code(exc) in ("InvalidChangeBatch", "NoSuchHostedZone"):
            message = exc.response.get("Error", {}).get("Message", "")
            raise InvalidInput(f"Route 53 refused to restore {host} in {zone}: {message}. DNS was not changed; "
                               f"the records to restore are in the Ingress's annotation {DNS_RECORD_ANNOTATION}"
                               ) from exc
        raise
    restored = DnsRestore(name=host, hosted_zone_id=zone, change_id=bare_id(info["Id"]), status=info["Status"],
                          replaced=remove, restored=wanted, wait_seconds=wait, submitted_at=now(), warnings=warnings)
    logger.info("DNS restored", extra={"dnsRecord": restored.to_wire()})
    return restored
