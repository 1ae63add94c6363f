"""Lambda entry point of the RestoreLayer4 state: parse, call the logic, return the wire dict (layer7.handlers)."""

from __future__ import annotations

from layer7.handlers import step_handler
from layer7.undo_models import RestoreLayer4Event
from restore_layer4.logic import restore_layer4

lambda_handler = step_handler(RestoreLayer4Event, restore_layer4, kubernetes=True)
