"""Lambda entry point of the DeleteIngress state: parse, call the logic, return the wire dict (layer7.handlers)."""

from __future__ import annotations

from delete_ingress.logic import delete_ingress
from layer7.handlers import step_handler
from layer7.undo_models import UndoStepEvent

lambda_handler = step_handler(UndoStepEvent, delete_ingress, kubernetes=True)
