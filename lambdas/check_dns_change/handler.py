"""Lambda entry point of the CheckDnsChange state (layer7.handlers): Route 53."""

from __future__ import annotations

from check_dns_change.logic import check_change
from layer7.handlers import step_handler
from layer7.models import CheckDnsChangeEvent

lambda_handler = step_handler(CheckDnsChangeEvent, check_change, services=("route53",))
