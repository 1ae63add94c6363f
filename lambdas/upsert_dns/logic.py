"""UpsertDns and CheckDnsChange: point ``host`` at the ALB with a Route 53 alias record.

An alias A record (not a CNAME) because it is free to query, works at a zone
apex, and follows the ALB's changing addresses. ``dualstack.`` answers both A
and AAAA lookups through one record. EvaluateTargetHealth lets Route 53 see an
ALB without healthy targets, which matters once the record has failover
siblings. UPSERT makes a rerun harmless. Route 53 applies a change in about a
minute; the state machine polls CheckDnsChange until INSYNC rather than a
Lambda waiting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from layer7.aws import error_code, raise_if_transient
from layer7.errors import InvalidInput
from layer7.models import CheckDnsChangeEvent, DnsChange, LoadBalancerStatus, UpsertDnsEvent
from layer7.observability import logger

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_elbv2 import ElasticLoadBalancingv2Client
    from types_boto3_route53 import Route53Client
    from types_boto3_route53.type_defs import ChangeBatchTypeDef, ResourceRecordSetTypeDef


def bare_id(resource_id: str) -> str:
    """``/hostedzone/Z123`` or ``/change/C123`` -> the id alone, as it is shown and stored."""
    return resource_id.rsplit("/", 1)[-1]


def alias_dns_name(dns_name: str) -> str:
    return dns_name if dns_name.lower().startswith("dualstack.") else f"dualstack.{dns_name}"


def canonical_zone_of(load_balancer: LoadBalancerStatus, elbv2: ElasticLoadBalancingv2Client | None) -> str:
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


def _zone_name(route53: Route53Client, zone_id: str) -> str:
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


def upsert_alias(
    event: UpsertDnsEvent, *, route53: Route53Client, elbv2: ElasticLoadBalancingv2Client | None = None
) -> DnsChange:
    """UPSERT ``host`` A alias -> the ALB in ``request.hostedZoneId``; returns the change to poll."""
    request, load_balancer = event.request, event.load_balancer
    if not request.hosted_zone_id:
        raise InvalidInput("UpsertDns needs dns.hostedZoneId")
    if not load_balancer.dns_name:
        raise RuntimeError("the load balancer has no DNS name; CheckLoadBalancer should have waited for it")
    zone_id = bare_id(request.hosted_zone_id)
    zone_name = _zone_name(route53, zone_id).rstrip(".").lower()
    host = request.host.rstrip(".").lower()
    if host != zone_name and not host.endswith(f".{zone_name}"):
        raise InvalidInput(f"host {request.host} is not inside the hosted zone {zone_id} ({zone_name})")
    record: ResourceRecordSetTypeDef = {
        "Name": host,
        "Type": "A",
        "AliasTarget": {
            "HostedZoneId": canonical_zone_of(load_balancer, elbv2),
            "DNSName": alias_dns_name(load_balancer.dns_name),
            "EvaluateTargetHealth": True,
        },
    }
    batch: ChangeBatchTypeDef = {
        "Comment": f"milvus-layer7: {host} -> ALB {load_balancer.dns_name}"[:256],
        "Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}],
    }
    try:
        info = route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch)["ChangeInfo"]
    except ClientError as exc:
        raise_if_transient(exc, "changing the Route 53 record")
        if error_code(exc) == "NoSuchHostedZone":
            raise InvalidInput(f"dns.hostedZoneId {zone_id} names no Route 53 hosted zone") from exc
        if error_code(exc) == "InvalidChangeBatch":
            # e.g. a CNAME already holds the name: Route 53 says which, and a person must decide.
            message = exc.response.get("Error", {}).get("Message", "")
            raise InvalidInput(f"Route 53 refused the alias record {host}: {message}") from exc
        raise
    change = DnsChange(name=host, hosted_zone_id=zone_id, change_id=bare_id(info["Id"]), status=info["Status"])
    logger.info("alias record upserted", extra={"dnsRecord": change.to_wire()})
    return change


def check_change(event: CheckDnsChangeEvent, *, route53: Route53Client) -> DnsChange:
    """The same change with Route 53's current status (PENDING or INSYNC)."""
    record = event.dns_record
    try:
        info = route53.get_change(Id=record.change_id)["ChangeInfo"]
    except ClientError as exc:
        raise_if_transient(exc, "reading the Route 53 change")
        raise
    return record.model_copy(update={"status": info["Status"]})
