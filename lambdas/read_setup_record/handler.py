"""Lambda entry point of the ReadSetupRecord state: parse, call the logic, return the wire dict (layer7.handlers)."""

from __future__ import annotations

from layer7.handlers import step_handler
from layer7.models import StepEvent
from read_setup_record.logic import read_setup_record

lambda_handler = step_handler(StepEvent, read_setup_record, kubernetes=True)
