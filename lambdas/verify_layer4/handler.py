"""Lambda entry point of the VerifyLayer4 state (layer7.handlers): Milvus through the Layer-4 load balancer."""

from __future__ import annotations

from layer7.handlers import verification_handler
from layer7.undo_models import VerifyLayer4Event
from verify_layer4.logic import verify_layer4

lambda_handler = verification_handler(
    VerifyLayer4Event, verify_layer4, clients={"secrets": "secretsmanager"},
    timeout_of=lambda event: event.request.layer4_verify.timeout_seconds, through="the Layer-4 load balancer")
