"""Lambda entry point of the ReadSetupRecord state: parse, call the logic, return the wire dict (layer7.handlers)."""

from __future__ import annotations

from layer7.handlers import kubernetes_step
from layer7.models import StepEvent
from read_setup_record.logic import read_setup_record

lambda_handler = kubernetes_step(StepEvent, read_setup_record)
