"""UpsertDns: point ``host`` at the ALB with a Route 53 alias record, in place of what answered for it before.

Runs after VerifyGrpc and before RemoveLayer4: clients that reach Milvus
through ``host`` may still resolve it to the Layer-4 load balancer, so the
record moves first, and the Layer-4 load balancer goes only once Route 53 is
INSYNC and the old record's TTL (plus ``layer4DrainSeconds``) has passed
(``waitSeconds``, a Wait state's SecondsPath).

An alias A record (not a CNAME) because it is free to query, works at a zone
apex, and follows the ALB's changing addresses; when the Ingress makes the ALB
dualstack (``alb.ingress.kubernetes.io/ip-address-type``), an AAAA alias beside
it, so IPv6 clients keep an answer (``layer7.dualstack``). An AAAA record at the
host with an ipv4 ALB is refused (Validate refuses it first, before anything
changes; this is the last guard), never silently deleted. A CNAME cannot share
its name with any other record, so whatever answered for ``host`` before (the
guide's CNAME to the NLB, an A or AAAA record) is deleted in the same batch,
before the aliases are created: Route 53 applies a batch in order and all or
nothing.

What it replaced is written first, onto the Ingress (annotation
``milvus-layer7/dns-replaced``), so the undo restores exactly that, and a
re-run still knows the original, whatever answers for ``host`` by then: its
own alias, one to an ALB a rerun replaced, or a hand edit. With it
goes ``layer4Address``, the Layer-4 load balancer's address as this step saw
it (the Service's status, or RemoveLayer4's record on a re-run after it): the
undo retargets whatever pointed there to the load balancer serving then,
however often it is run, since the annotation lives as long as the Ingress.
"""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import ClientError

from layer7 import kube as k8s
from layer7.aws import error_code, raise_if_transient
from layer7.dns_records import ALIAS_TTL_SECONDS, DNS_RECORD_ANNOTATION, bare_id, normalized, records_at
from layer7.dualstack import aaaa_refusal, is_dualstack
from layer7.errors import InvalidInput
from layer7.layer4 import layer4_address, recorded_address
from layer7.models import DnsChange, LoadBalancerStatus, UpsertDnsEvent
from layer7.observability import logger
from layer7.records import json_annotation

DNS_FIELD_MANAGER = "milvus-layer7-dns"
# Waiting out an old TTL longer than this would outlast the state machine's timeout (see stacks/timeouts.py).
MAX_OLD_TTL_SECONDS = 3600


def alias_dns_name(dns_name: str) -> str:
    return dns_name if dns_name.lower().startswith("dualstack.") else f"dualstack.{dns_name}"


def canonical_zone_of(load_balancer: LoadBalancerStatus, elbv2: Any | None) -> str:
    """The ALB's own hosted zone (the alias target's zone); looked up when CheckLoadBalancer did not pass it."""
    if load_balancer.canonical_hosted_zone_id:
        return load_balancer.canonical_hosted_zone_id
    if elbv2 is None or not load_balancer.arn:
        raise RuntimeError("the load balancer's canonical hosted zone id is unknown and its ARN is missing")
    try:
        found = elbv2.describe_load_balancers(LoadBalancerArns=[load_balancer.arn])["LoadBalancers"]
    except ClientError as exc:
        raise_if_transient(exc, "describing the load balancer")
        raise
    return str(found[0]["CanonicalHostedZoneId"])


def _zone_name(route53: Any, zone_id: str) -> str:
    try:
        return str(route53.get_hosted_zone(Id=zone_id)["HostedZone"]["Name"])
    except ClientError as exc:
        raise_if_transient(exc, "reading the hosted zone")
        if error_code(exc) in ("NoSuchHostedZone", "InvalidInput"):
            raise InvalidInput(
                f"dns.hostedZoneId {zone_id} names no Route 53 hosted zone this account can see; "
                "give the id of the public or private zone that holds the host"
            ) from exc
        raise


def is_alias_to(record: dict[str, Any], alias: dict[str, Any]) -> bool:
    target = record.get("AliasTarget") or {}
    same_target = normalized(str(target.get("DNSName", ""))) == normalized(alias["DNSName"])
    return record["Type"] in ("A", "AAAA") and same_target


def ttl_of(records: list[dict[str, Any]]) -> int:
    """How long resolvers may keep answering with what these records said."""
    return max((int(record["TTL"]) if "TTL" in record else ALIAS_TTL_SECONDS for record in records), default=0)


def recorded_replacement(ingress: dict[str, Any]) -> list[dict[str, Any]] | None:
    records = (json_annotation(ingress, DNS_RECORD_ANNOTATION) or {}).get("records")
    return records if isinstance(records, list) else None


def recorded_layer4_address(ingress: dict[str, Any]) -> str | None:
    """The ``layer4Address`` of the annotation; None in one written before the field existed."""
    address = (json_annotation(ingress, DNS_RECORD_ANNOTATION) or {}).get("layer4Address")
    return str(address) if address else None


def service_layer4_address(kube: k8s.Kube, namespace: str, name: str) -> str | None:
    """The Layer-4 address the Service has, else the one RemoveLayer4 recorded on it; None when neither is known."""
    try:
        service = kube.get(k8s.service_path(namespace, name), f"read Service {namespace}/{name}")
    except k8s.NotFound:
        return None
    return layer4_address(service) or recorded_address(service)


def record_replacement(kube: k8s.Kube, event: UpsertDnsEvent, zone_id: str, records: list[dict[str, Any]],
                       layer4: str | None) -> None:
    request = event.request
    annotation = json.dumps({"hostedZoneId": zone_id, "name": request.host, "records": records,
                             "layer4Address": layer4}, separators=(",", ":"), sort_keys=True)
    kube.patch(k8s.ingress_path(request.namespace, request.ingress_name),
               f"record the replaced DNS records on Ingress {request.namespace}/{request.ingress_name}",
               {"metadata": {"annotations": {DNS_RECORD_ANNOTATION: annotation}}},
               content_type=k8s.STRATEGIC_MERGE_PATCH, fieldManager=DNS_FIELD_MANAGER)


def upsert_alias(event: UpsertDnsEvent, *, route53: Any, kube: k8s.Kube, elbv2: Any | None = None) -> DnsChange:
    """Replace what answers for ``host`` in ``request.hostedZoneId`` with an alias to the ALB; return the change."""
    request, load_balancer = event.request, event.load_balancer
    if not request.hosted_zone_id:
        raise InvalidInput("UpsertDns needs dns.hostedZoneId")
    if not load_balancer.dns_name:
        raise RuntimeError("the load balancer has no DNS name; CheckLoadBalancer should have waited for it")
    zone_id = bare_id(request.hosted_zone_id)
    zone_name = normalized(_zone_name(route53, zone_id))
    host = normalized(request.host)
    if host != zone_name and not host.endswith(f".{zone_name}"):
        raise InvalidInput(f"host {request.host} is not inside the hosted zone {zone_id} ({zone_name})")
    alias = {"HostedZoneId": canonical_zone_of(load_balancer, elbv2),
             "DNSName": alias_dns_name(load_balancer.dns_name), "EvaluateTargetHealth": True}
    current = records_at(route53, zone_id, host)
    refusal = aaaa_refusal(host, zone_id, current, request.ingress_annotations)
    if refusal:
        raise InvalidInput(refusal)
    routed = [record for record in current if record.get("SetIdentifier")]
    if routed:
        raise InvalidInput(f"host {host} has records with a routing policy ({routed[0]['Type']} set "
                           f"{routed[0]['SetIdentifier']!r}) in {zone_id}; the workflow only replaces simple "
                           "records: point it at the ALB yourself, or remove them and start again")
    others = [record for record in current if not is_alias_to(record, alias)]
    ingress = kube.get(k8s.ingress_path(request.namespace, request.ingress_name),
                       f"read Ingress {request.namespace}/{request.ingress_name}")
    # Once recorded, the original stays recorded: what answers at a rerun is this workflow's alias (to this ALB, or
    # to one it replaced since) or a later hand edit, never what the undo should put back.
    replaced = recorded_replacement(ingress)
    if replaced is None:
        replaced = others
    old_ttl = ttl_of(replaced)
    if old_ttl > MAX_OLD_TTL_SECONDS:
        raise InvalidInput(f"host {host} answers with a TTL of {old_ttl} s, longer than the {MAX_OLD_TTL_SECONDS} s "
                           "the workflow waits out; lower the record's TTL, wait out the old one, and start again "
                           "(nothing in DNS or on the Service was changed)")
    layer4 = recorded_layer4_address(ingress) or service_layer4_address(kube, request.namespace,
                                                                        request.service_name)
    if recorded_replacement(ingress) != replaced or recorded_layer4_address(ingress) != layer4:
        record_replacement(kube, event, zone_id, replaced, layer4)  # before DNS changes: the original is never lost

    types = ("A", "AAAA") if is_dualstack(request.ingress_annotations) else ("A",)
    ours = {record["Type"] for record in current if is_alias_to(record, alias)}
    if not others and set(types) <= ours:
        # A renewal or a rerun: the host already points at this ALB and nothing else answers for it. Nothing is
        # written, and the drain is still owed: a run that died before RemoveLayer4 may have moved it just now.
        unchanged = DnsChange(name=host, hosted_zone_id=zone_id, change_id="", status="INSYNC", replaced=replaced,
                              wait_seconds=old_ttl + request.layer4_drain_seconds, submitted_at=time.time())
        logger.info("alias record already in place", extra={"dnsRecord": unchanged.to_wire()})
        return unchanged
    changes = [{"Action": "DELETE", "ResourceRecordSet": old} for old in others]
    changes += [{"Action": "UPSERT" if type_ in ours else "CREATE",
                 "ResourceRecordSet": {"Name": host, "Type": type_, "AliasTarget": alias}} for type_ in types]
    batch = {"Comment": f"milvus-layer7: {host} -> ALB {load_balancer.dns_name}"[:256], "Changes": changes}
    try:
        info = route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch)["ChangeInfo"]
    except ClientError as exc:
        raise_if_transient(exc, "changing the Route 53 record")
        if error_code(exc) == "NoSuchHostedZone":
            raise InvalidInput(f"dns.hostedZoneId {zone_id} names no Route 53 hosted zone") from exc
        if error_code(exc) == "InvalidChangeBatch":
            message = exc.response.get("Error", {}).get("Message", "")
            raise InvalidInput(f"Route 53 refused the alias record {host}: {message}") from exc
        raise
    change = DnsChange(name=host, hosted_zone_id=zone_id, change_id=bare_id(info["Id"]), status=info["Status"],
                       replaced=replaced, wait_seconds=old_ttl + request.layer4_drain_seconds,
                       submitted_at=time.time())
    logger.info("alias record upserted", extra={"dnsRecord": change.to_wire()})
    return change
