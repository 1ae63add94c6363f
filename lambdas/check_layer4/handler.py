"""Lambda entry point of the CheckLayer4 state: parse, call the logic, return the wire dict (layer7.handlers)."""

from __future__ import annotations

from check_layer4.logic import check_layer4
from layer7.handlers import step_handler
from layer7.undo_models import CheckLayer4Event

lambda_handler = step_handler(CheckLayer4Event, check_layer4, kubernetes=True)
