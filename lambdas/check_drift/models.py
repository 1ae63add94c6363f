"""CheckDrift's input and output (docs/CONTRACT.md, "Drift check")."""

from __future__ import annotations

from pydantic import Field

from layer7.models import StrictInput, WireModel

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


class DriftReport(WireModel):
    host: str
    matches: bool
    findings: list[Finding] = Field(default_factory=list)


class RecordedHosts(WireModel):
    """``listHosts``: the hosts whose setup is recorded on this workflow's Ingresses in the namespace."""

    namespace: str
    hosts: list[str]
