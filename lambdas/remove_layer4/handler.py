"""Lambda entry point of the RemoveLayer4 state: parse, call the logic, return the wire dict (layer7.handlers)."""

from __future__ import annotations

from layer7.handlers import step_handler
from layer7.models import StepEvent
from remove_layer4.logic import remove_layer4

lambda_handler = step_handler(StepEvent, remove_layer4, kubernetes=True)
