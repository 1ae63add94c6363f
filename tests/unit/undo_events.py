"""Builders for the undo steps' events (the Payloads the undo state machine sends)."""

from __future__ import annotations

import time
from typing import Any

from layer7.undo_models import IngressDeletion, Layer4Restore, Layer4Status, UndoRequest

CLUSTER = "milvus-eks"
HOST = "milvus.example.test"
OLD_NLB = "a0123456789abcdef0123456789abcde-0123456789abcdef.elb.us-east-1.amazonaws.com"
NEW_NLB = "a0123456789abcdef0123456789abcde-fedcba9876543210.elb.us-east-1.amazonaws.com"


def undo_request(**overrides: Any) -> UndoRequest:
    fields: dict[str, Any] = {
        "host": HOST, "clusterName": CLUSTER, "namespace": "milvus", "serviceName": "milvus-demo",
        "ingressName": "milvus-demo", "hostedZoneId": None,
        "layer4Verify": {"tls": False, "port": 19530, "serverName": HOST, "timeoutSeconds": 120},
        "layer4TimeoutSeconds": 900, "albTimeoutSeconds": 900, "layer7DrainSeconds": 60,
    }
    fields.update(overrides)
    return UndoRequest.model_validate(fields)


def restore(previous_address: str | None = OLD_NLB, restored_at: float | None = None) -> Layer4Restore:
    return Layer4Restore(name="milvus-demo", previous_type="ClusterIP", type="LoadBalancer", restored=True,
                         previous_address=previous_address,
                         restored_at=time.time() if restored_at is None else restored_at)


def layer4(address: str | None = NEW_NLB) -> Layer4Status:
    return Layer4Status(ready=address is not None, address=address, port=19530)


def deletion(**overrides: Any) -> IngressDeletion:
    fields: dict[str, Any] = {"namespace": "milvus", "name": "milvus-demo", "found": True, "deletedAt": time.time(),
                              "loadBalancerDnsName": None, "stack": "milvus/milvus-demo"}
    fields.update(overrides)
    return IngressDeletion.model_validate(fields)


def wire(request: UndoRequest | None = None, **parts: Any) -> dict[str, Any]:
    """A step's Payload: correlationId, the request and the parts of the state it is given."""
    event: dict[str, Any] = {"correlationId": "arn:aws:states:us-east-1:123456789012:execution:MilvusLayer7-Undo:u1",
                             "request": (request or undo_request()).to_wire()}
    for key, value in parts.items():
        event[key] = value.to_wire() if hasattr(value, "to_wire") else value
    return event
