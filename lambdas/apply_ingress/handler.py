"""Lambda entry point of the ApplyIngress state: parse, call the logic, return the wire dict (layer7.handlers)."""

from __future__ import annotations

from apply_ingress.logic import apply_ingress
from layer7.handlers import step_handler
from layer7.models import ApplyIngressEvent

lambda_handler = step_handler(ApplyIngressEvent, apply_ingress, kubernetes=True)
