"""Typed shapes of what flows between the states.

Wire names are camelCase as in docs/CONTRACT.md; Python names are
snake_case. ``ExecutionInput`` is the contract's input table as the caller
wrote it (every field optional, nothing unknown); ``SetupRequest`` is the same
request with every default filled in, which ``Validate`` puts at ``$.request``
for the other steps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """A state's payload: camelCase on the wire, immutable once built."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class StrictInput(BaseModel):
    """The caller's JSON: camelCase names only, no unknown fields, no coercion."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=False,
        validate_by_alias=True,
        extra="forbid",
        strict=True,
        frozen=True,
    )


# --- the execution input, as the caller wrote it -----------------------------


class CertificateSource(StrictInput):
    secret_arn: str | None = None
    certificate_arn: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> CertificateSource:
        if (self.secret_arn is None) == (self.certificate_arn is None):
            raise ValueError("give exactly one of secretArn or certificateArn")
        return self


class VerifyOptions(StrictInput):
    token_secret_arn: str | None = None
    round_trip: bool = False
    timeout_seconds: int = Field(default=120, ge=1, le=900)


class DnsOptions(StrictInput):
    hosted_zone_id: str | None = None


class ExecutionInput(StrictInput):
    host: str | None = None
    certificate: CertificateSource | None = None
    cluster_name: str | None = None
    namespace: str | None = None
    service_name: str | None = None
    service_port: int | None = Field(default=None, ge=1, le=65535)
    ingress_name: str | None = None
    scheme: Literal["internet-facing", "internal"] | None = None
    listen_port: int | None = Field(default=None, ge=1, le=65535)
    ingress_annotations: dict[str, str] = Field(default_factory=dict)
    layer4: Literal["remove", "keep"] | None = None
    verify: VerifyOptions = Field(default_factory=VerifyOptions)
    dns: DnsOptions = Field(default_factory=DnsOptions)
    alb_timeout_seconds: int | None = Field(default=None, ge=10, le=3600)
    layer4_drain_seconds: int | None = Field(default=None, ge=0, le=3600)
    # A renewal: the setup recorded on the host's Ingress again, with the certificate's current value.
    renew: bool | None = None
    # The caller knows the ALB goes (a new scheme or IngressGroup): clients and DNS must move to the new one.
    replace_load_balancer: bool | None = None
    # The stack an event is for (docs/CONTRACT.md "Events"): the rules route by it; Validate refuses another stack.
    stack: str | None = None


# --- the resolved request every later step reads ----------------------------


class CertificateRef(WireModel):
    secret_arn: str | None = None
    certificate_arn: str | None = None


class VerifySettings(WireModel):
    token_secret_arn: str | None = None
    round_trip: bool = False
    timeout_seconds: int = 120


class SetupRequest(WireModel):
    host: str
    certificate: CertificateRef
    cluster_name: str
    namespace: str
    service_name: str
    service_port: int
    ingress_name: str
    scheme: Literal["internet-facing", "internal"]
    listen_port: int
    ingress_annotations: dict[str, str]
    layer4: Literal["remove", "keep"]
    verify: VerifySettings
    hosted_zone_id: str | None = None
    alb_timeout_seconds: int
    layer4_drain_seconds: int = 60
    # What this run is asked to do, not what the setup is: never part of the record (layer7.setup_record).
    renew: bool = False
    replace_load_balancer: bool = False


# --- what each step adds to the state ---------------------------------------


class CertificateResult(WireModel):
    """ImportCertificate's result, at ``$.certificate``."""

    certificate_arn: str
    certificate_imported: bool
    not_after: str  # ISO 8601, UTC
    days_until_expiry: int
    fingerprint_sha256: str
    warnings: list[str] = Field(default_factory=list)  # e.g. an earlier certificate left in ACM


class IngressResult(WireModel):
    """ApplyIngress's result, at ``$.ingress``."""

    namespace: str
    name: str
    service_type: str  # the Service's type when the Ingress was applied
    applied_at: float  # epoch seconds; CheckLoadBalancer measures its timeout from here
    warnings: list[str] = Field(default_factory=list)
    changed: bool = True  # false when the apply left the Ingress as it was (same resourceVersion)


class LoadBalancerStatus(WireModel):
    """CheckLoadBalancer's result, at ``$.loadBalancer``; a Choice reads ``ready``."""

    ready: bool
    dns_name: str | None = None
    arn: str | None = None
    state: str | None = None  # ELBv2 state code: provisioning, active, ...
    healthy_targets: int = 0
    listen_port: int
    canonical_hosted_zone_id: str | None = None
    wait_seconds: int = 0  # the Wait state's SecondsPath
    elapsed_seconds: float = 0.0


class VerificationResult(WireModel):
    """VerifyGrpc's result, at ``$.verification``."""

    endpoint: str
    server_name: str  # the TLS name checked; "" over plain gRPC (VerifyLayer4 without tls)
    server_version: str
    latency_ms: float
    round_trip: bool = False
    tls: bool = True


class AlbVerificationResult(VerificationResult):
    """VerifyGrpc's result through the ALB: also what the listener presented, the proof a rotation is live."""

    certificate_fingerprint_sha256: str  # of the leaf the ALB presented for server_name (hex SHA-256 of DER)
    tls_version: str  # negotiated with the ALB: TLSv1.3 or TLSv1.2


class Layer4Record(WireModel):
    """What the Service had before RemoveLayer4 changed it, as kept in its annotation ``milvus-layer7/layer4``.

    ``spec`` holds the LoadBalancer-only fields removed (``loadBalancerSourceRanges``, ...), ``annotations``
    the LoadBalancer-only annotations removed; the undo puts exactly these back.
    """

    model_config = ConfigDict(alias_generator=None, populate_by_name=True, frozen=True)

    type: str
    spec: dict[str, Any] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    # The Layer-4 load balancer's address then: the undo points a DNS record that named it at the new one.
    address: str | None = None


class ServiceResult(WireModel):
    """RemoveLayer4's result, at ``$.service``."""

    name: str
    previous_type: str
    type: str
    before: Layer4Record | None = None  # null when this workflow never changed the Service


class DnsChange(WireModel):
    """UpsertDns / CheckDnsChange result, at ``$.dnsRecord``; the undo's RestoreDns adds fields of its own,
    which CheckDnsChange passes on (``extra="allow"``)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="allow")

    name: str
    hosted_zone_id: str
    change_id: str
    status: str  # PENDING until Route 53 says INSYNC
    replaced: list[dict[str, Any]] = Field(default_factory=list)  # the record sets that answered for the host before
    wait_seconds: int = 0  # once INSYNC: the replaced records' TTL plus layer4DrainSeconds, before RemoveLayer4
    submitted_at: float = 0.0  # epoch seconds: CheckDnsChange gives up on a change PENDING for too long


# --- what each Lambda receives (the Task's Payload) -------------------------


class StepEvent(WireModel):
    """Every step gets the execution ARN (as correlation id) and the request."""

    correlation_id: str
    request: SetupRequest


class ValidateEvent(WireModel):
    correlation_id: str
    input: dict[str, Any]
    state_machine_arn: str = ""  # the workflow this execution belongs to ($$.StateMachine.Id)


class ApplyIngressEvent(StepEvent):
    certificate: CertificateResult
    # $$.Execution.StartTime: a retry after a killed apply tells this execution's change by the managedFields time
    execution_start_time: dt.datetime | None = None


class CheckLoadBalancerEvent(StepEvent):
    ingress: IngressResult


class VerifyGrpcEvent(StepEvent):
    certificate: CertificateResult
    load_balancer: LoadBalancerStatus


class UpsertDnsEvent(StepEvent):
    load_balancer: LoadBalancerStatus


class CheckDnsChangeEvent(WireModel):
    """Both workflows poll a change with it: only the change is read, the request (setup's or undo's) rides along."""

    correlation_id: str
    request: dict[str, Any] = Field(default_factory=dict)
    dns_record: DnsChange
