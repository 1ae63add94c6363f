"""Lambda entry point of the VerifyGrpc state (layer7.handlers): Milvus through the ALB, with ACM and the secrets."""

from __future__ import annotations

from layer7.handlers import verification_handler
from layer7.models import VerifyGrpcEvent
from verify_grpc.logic import verify

lambda_handler = verification_handler(
    VerifyGrpcEvent, verify, clients={"acm": "acm", "secrets": "secretsmanager"},
    timeout_of=lambda event: event.request.verify.timeout_seconds, through="the ALB")
