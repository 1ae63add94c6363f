"""CheckDrift's input and output (docs/CONTRACT.md, "Drift check")."""

from __future__ import annotations

from pydantic import Field

from layer7.models import CertificateResult, LoadBalancerStatus, SetupRequest, StrictInput, WireModel

DEFAULT_CERTIFICATE_DAYS = 30


class DriftInput(StrictInput):
    """What a caller (``layer7ctl status``, a schedule) sends; the stack's host and namespace fill the gaps."""

    host: str | None = None
    namespace: str | None = None
    # A finding when the certificate has fewer days left than this (imported certificates are never renewed by ACM).
    certificate_days: int = Field(default=DEFAULT_CERTIFICATE_DAYS, ge=0, le=3650)
    correlation_id: str | None = None
    # The scheduled check's first call: the hosts with a setup record in the namespace, nothing checked yet.
    list_hosts: bool = False


class Finding(WireModel):
    """One difference between the cluster and its recorded setup: what it is, what it means, what to do."""

    kind: str
    what: str
    means: str
    do: str


class Layer4Repair(WireModel):
    """VerifyGrpc's event parts for the Layer-7 path, then RemoveLayer4's request (check_drift/repairs.py)."""

    request: SetupRequest
    certificate: CertificateResult
    load_balancer: LoadBalancerStatus


class Repairs(WireModel):
    """What the drift state machine repairs when asked: ``layer4`` (Layer4Back), ``renew`` (CertificateExpiring)."""

    layer4: Layer4Repair | None = None
    renew: bool = False


class DriftReport(WireModel):
    host: str
    matches: bool
    findings: list[Finding] = Field(default_factory=list)
    # None when no finding may be repaired; the drift state machine repairs these only with {"repair": true}.
    repairs: Repairs | None = None


class RecordedHosts(WireModel):
    """``listHosts``: the hosts whose setup is recorded on this workflow's Ingresses in the namespace."""

    namespace: str
    hosts: list[str]
