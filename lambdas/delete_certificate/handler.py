"""Lambda entry point of the DeleteCertificate state (layer7.handlers): ACM."""

from __future__ import annotations

from delete_certificate.logic import delete_certificates
from layer7.handlers import step_handler
from layer7.undo_models import DeleteCertificateEvent

lambda_handler = step_handler(DeleteCertificateEvent, delete_certificates, services=("acm",))
