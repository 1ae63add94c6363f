"""Lambda entry point of the UpsertDns state (layer7.handlers): the cluster, Route 53 and ELBv2."""

from __future__ import annotations

from layer7.handlers import step_handler
from layer7.models import UpsertDnsEvent
from upsert_dns.logic import upsert_alias

lambda_handler = step_handler(UpsertDnsEvent, upsert_alias, kubernetes=True, services=("route53", "elbv2"))
