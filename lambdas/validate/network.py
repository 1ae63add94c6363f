"""What Validate can check cheaply of the network the functions run in, before anything is changed.

VerifyGrpc dials the ALB from the functions' subnets. An internet-facing ALB
resolves to public addresses, and a Lambda function in a VPC has no public IP
even in a public subnet: "Internet access from a private subnet requires
network address translation (NAT)" (Lambda developer guide, "Giving
Lambda functions access to resources in an Amazon VPC"). So each subnet's
route table needs a default route (0.0.0.0/0) to a NAT gateway (or a transit
gateway, a firewall's network interface, ...), and, when the caller limits
the ALB with ``alb.ingress.kubernetes.io/inbound-cidrs``, the NAT gateways'
public addresses must be among those CIDRs: the ALB sees the NAT's address
as the source (VPC user guide, "NAT gateways"). Found missing, the run would
only time out in VerifyGrpc after the ALB exists; here it ends at once with
``NetworkMisconfigured``, naming the subnet or address.

A subnet without its own route table uses the VPC's main one. An internal
ALB is reached inside the VPC and needs neither.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from layer7.aws import raise_if_transient
from layer7.errors import NetworkMisconfigured

if TYPE_CHECKING:
    from types_boto3_ec2 import EC2Client

INBOUND_CIDRS = "alb.ingress.kubernetes.io/inbound-cidrs"
DEFAULT_ROUTE = "0.0.0.0/0"


def _route_tables(ec2: EC2Client, subnet_ids: list[str]) -> dict[str, dict[str, Any]]:
    """subnet id -> the route table it uses (its own, else its VPC's main one)."""
    answer = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": subnet_ids}])
    tables: dict[str, dict[str, Any]] = {}
    for table in answer.get("RouteTables", []):
        for association in table.get("Associations", []):
            if association.get("SubnetId") in subnet_ids:
                tables[association["SubnetId"]] = dict(table)
    missing = [subnet for subnet in subnet_ids if subnet not in tables]
    if missing:
        vpcs = {subnet["SubnetId"]: subnet["VpcId"]
                for subnet in ec2.describe_subnets(SubnetIds=missing).get("Subnets", [])}
        mains = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": sorted(set(vpcs.values()))},
                                                   {"Name": "association.main", "Values": ["true"]}])
        by_vpc = {table["VpcId"]: dict(table) for table in mains.get("RouteTables", [])}
        for subnet in missing:
            if vpcs.get(subnet) in by_vpc:
                tables[subnet] = by_vpc[vpcs[subnet]]
    return tables


def _default_route(table: dict[str, Any]) -> dict[str, Any] | None:
    return next((route for route in table.get("Routes", []) if route.get("DestinationCidrBlock") == DEFAULT_ROUTE
                 and route.get("State", "active") == "active"), None)


def check_egress(ec2: EC2Client, subnet_ids: list[str], *, scheme: str, annotations: dict[str, str]) -> None:
    """Raise NetworkMisconfigured when the functions' subnets cannot reach an internet-facing ALB."""
    if scheme != "internet-facing" or not subnet_ids:
        return
    try:
        tables = _route_tables(ec2, subnet_ids)
        nat_ids: dict[str, str] = {}
        for subnet in subnet_ids:
            route = _default_route(tables.get(subnet, {}))
            if route is None:
                raise NetworkMisconfigured(
                    f"subnet {subnet}, where the workflow's functions run, has no active default route "
                    f"({DEFAULT_ROUTE}): they could not reach the internet-facing ALB. Route it to a NAT gateway, "
                    "or use scheme internal (an ALB reached inside the VPC). Nothing was changed.")
            if str(route.get("GatewayId", "")).startswith("igw-"):
                raise NetworkMisconfigured(
                    f"subnet {subnet} routes {DEFAULT_ROUTE} to internet gateway {route['GatewayId']}: a Lambda "
                    "function gets no public address, so it cannot reach an internet-facing ALB from there. Run "
                    "the functions in private subnets with a NAT gateway (context privateSubnetIds). "
                    "Nothing was changed.")
            if route.get("NatGatewayId"):
                nat_ids[subnet] = route["NatGatewayId"]
        cidrs = [part.strip() for part in annotations.get(INBOUND_CIDRS, "").split(",") if part.strip()]
        if cidrs and nat_ids:
            _check_nat_addresses(ec2, nat_ids, cidrs)
    except ClientError as exc:
        raise_if_transient(exc, "reading the functions' route tables")
        raise


def _check_nat_addresses(ec2: EC2Client, nat_ids: dict[str, str], cidrs: list[str]) -> None:
    networks = [ipaddress.ip_network(cidr, strict=False) for cidr in cidrs]
    answer = ec2.describe_nat_gateways(NatGatewayIds=sorted(set(nat_ids.values())))
    for gateway in answer.get("NatGateways", []):
        for address in gateway.get("NatGatewayAddresses", []):
            public = address.get("PublicIp")
            if public and not any(ipaddress.ip_address(public) in network for network in networks):
                raise NetworkMisconfigured(
                    f"{INBOUND_CIDRS} ({', '.join(cidrs)}) leaves out {public}, the public address of NAT gateway "
                    f"{gateway['NatGatewayId']} the functions reach the ALB through: the ALB would refuse "
                    f"VerifyGrpc. Add {public}/32 to ingressAnnotations.{INBOUND_CIDRS}. Nothing was changed.")
