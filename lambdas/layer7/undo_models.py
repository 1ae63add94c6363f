"""Typed shapes of what flows between the undo workflow's states (docs/CONTRACT.md, "The undo workflow").

Same conventions as ``models``: the caller's JSON is ``UndoInput`` (strict,
camelCase, nothing unknown); ``ValidateUndo`` puts the request with every
default filled in at ``$.request``, and each later step adds its result at
its own path.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from layer7.models import DnsChange, DnsOptions, StrictInput, WireModel

# --- the undo input, as the caller wrote it ---------------------------------


class Layer4VerifyOptions(StrictInput):
    """How VerifyLayer4 reaches Milvus through the Layer-4 load balancer (it passes TCP through to Milvus)."""

    tls: bool = False  # Milvus's own TLS (common.security.tlsMode); plain gRPC otherwise
    port: int = Field(default=19530, ge=1, le=65535)
    server_name: str | None = None  # TLS only; default: host
    token_secret_arn: str | None = None
    timeout_seconds: int = Field(default=120, ge=1, le=900)


class UndoInput(StrictInput):
    host: str | None = None
    cluster_name: str | None = None
    namespace: str | None = None
    service_name: str | None = None
    ingress_name: str | None = None
    dns: DnsOptions = Field(default_factory=DnsOptions)
    layer4_verify: Layer4VerifyOptions = Field(default_factory=Layer4VerifyOptions)
    layer4_timeout_seconds: int | None = Field(default=None, ge=10, le=3600)
    alb_timeout_seconds: int | None = Field(default=None, ge=10, le=3600)
    layer7_drain_seconds: int | None = Field(default=None, ge=0, le=3600)
    # The stack an event is for (docs/CONTRACT.md "Events"): the rules route by it; Validate refuses another stack.
    stack: str | None = None


# --- the resolved request every later step reads ----------------------------


class Layer4VerifySettings(WireModel):
    tls: bool = False
    port: int = 19530
    server_name: str
    token_secret_arn: str | None = None
    timeout_seconds: int = 120


class UndoRequest(WireModel):
    host: str
    cluster_name: str
    namespace: str
    service_name: str
    ingress_name: str
    hosted_zone_id: str | None = None
    layer4_verify: Layer4VerifySettings
    layer4_timeout_seconds: int = 1200
    alb_timeout_seconds: int = 900
    layer7_drain_seconds: int = 60


class ValidatedUndo(WireModel):
    """ValidateUndo's result: the state becomes ``{"request": ..., "previousUndo": ...}``."""

    request: UndoRequest
    previous_undo: str | None = None  # an earlier undo for host that succeeded after the last setup that did
    managed_certificates: list[str] = Field(default_factory=list)  # ACM certificates ImportCertificate left for host


# --- what each step adds to the state ---------------------------------------


class Layer4Restore(WireModel):
    """RestoreLayer4's result, at ``$.restore``."""

    name: str
    previous_type: str  # the Service's type when the undo found it
    type: str  # its type now
    restored: bool  # this run put the recorded Layer-4 fields back
    previous_address: str | None = None  # the Layer-4 load balancer setup removed (its record), for RestoreDns
    restored_at: float  # epoch seconds; CheckLayer4 measures its timeout from here
    already_undone_by: str | None = None  # nothing was left to undo: the earlier undo that did it
    warnings: list[str] = Field(default_factory=list)


class Layer4Status(WireModel):
    """CheckLayer4's result, at ``$.layer4``; a Choice reads ``ready``."""

    ready: bool  # a TCP connection to address:port opened
    address: str | None = None
    port: int
    reason: str | None = None  # why it is not ready yet
    wait_seconds: int = 0
    elapsed_seconds: float = 0.0


class DnsRestore(DnsChange):
    """RestoreDns's result, at ``$.dnsRecord`` (null when setup wrote no record): ``replaced`` holds what the
    undo removed (the alias to the ALB), ``restored`` what it put back."""

    restored: list[dict[str, Any]] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class IngressDeletion(WireModel):
    """DeleteIngress's result, at ``$.ingressDeletion``."""

    namespace: str
    name: str
    found: bool  # the Ingress was there (being deleted or not) when this run looked
    deleted_at: float  # epoch seconds; CheckIngressDeleted measures its timeout from here
    load_balancer_dns_name: str | None = None  # the ALB's address as the Ingress last showed it
    stack: str  # the controller's ingress.k8s.aws/stack tag: <namespace>/<name>, or the IngressGroup
    shared_group: bool = False  # an explicit IngressGroup: the ALB stays for the group's other Ingresses
    certificate_arns: list[str] = Field(default_factory=list)  # what its listener served


class AlbRemoval(WireModel):
    """CheckIngressDeleted's result, at ``$.albRemoval``; a Choice reads ``done``."""

    done: bool
    ingress_gone: bool
    load_balancers: list[str] = Field(default_factory=list)  # ARNs still tagged for the Ingress
    wait_seconds: int = 0
    elapsed_seconds: float = 0.0


class KeptCertificate(WireModel):
    arn: str
    reason: str


class CertificateCleanup(WireModel):
    """DeleteCertificate's result, at ``$.certificates``; a Choice reads ``done``, a Wait ``waitSeconds``."""

    deleted: list[str] = Field(default_factory=list)
    kept: list[KeptCertificate] = Field(default_factory=list)
    done: bool = True  # False: a certificate of ours is still in ACM's InUseBy, look again after waitSeconds
    waiting_for: list[str] = Field(default_factory=list)  # those certificates
    started_at: float | None = None  # epoch seconds of the first look; the wait's budget counts from here
    wait_seconds: int = 0
    elapsed_seconds: float = 0.0


# --- what each Lambda receives (the Task's Payload) -------------------------


class UndoStepEvent(WireModel):
    correlation_id: str
    request: UndoRequest


class RestoreLayer4Event(UndoStepEvent):
    previous_undo: str | None = None
    managed_certificates: list[str] = Field(default_factory=list)
    # $$.Execution.StartTime: a retry tells this execution's restore from an earlier one's (restore_layer4.logic)
    execution_start_time: dt.datetime | None = None


class CheckLayer4Event(UndoStepEvent):
    restore: Layer4Restore


class VerifyLayer4Event(UndoStepEvent):
    layer4: Layer4Status


class RestoreDnsEvent(UndoStepEvent):
    restore: Layer4Restore
    layer4: Layer4Status


class CheckIngressDeletedEvent(UndoStepEvent):
    ingress_deletion: IngressDeletion


class DeleteCertificateEvent(UndoStepEvent):
    ingress_deletion: IngressDeletion
    certificates: CertificateCleanup = Field(default_factory=CertificateCleanup)  # the previous look's, or {}
    # ValidateUndo's: the host's certificates of ours when this execution began; one gone now went in this run
    managed_certificates: list[str] = Field(default_factory=list)
