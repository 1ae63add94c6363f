"""Lambda entry point of the CheckIngressDeleted state (layer7.handlers): the cluster and ELBv2."""

from __future__ import annotations

from check_ingress_deleted.logic import check_ingress_deleted
from layer7.handlers import step_handler
from layer7.undo_models import CheckIngressDeletedEvent

lambda_handler = step_handler(CheckIngressDeletedEvent, check_ingress_deleted, kubernetes=True, services=("elbv2",))
