"""DeleteCertificate: delete what ImportCertificate imported for the host, and only that, once nothing uses it.

Ours are the certificates tagged ``milvus-layer7:managed-by = milvus-layer7``
and ``milvus-layer7:host = <host>`` (ImportCertificate's tags; also those a
renewal with another key type left behind). The Ingress's own
``certificate-arn`` is looked at too: one that is not ours (given as
``certificate.certificateArn``) is kept and said so. ACM refuses to delete a
certificate another service uses ("You cannot delete an ACM certificate that
is being used by another Amazon Web Services service", botocore's acm model,
DeleteCertificate), and says which in DescribeCertificate's ``InUseBy``; such
a certificate is not deleted yet.

``InUseBy`` lags: it keeps naming a load balancer for a while after it was
deleted (about 10 s for an ALB's listener, aws/aws-cdk #4179; Terraform
retries such deletes, hashicorp/terraform-provider-aws #3866, for up to 20
minutes because API Gateway's domains take over 15). So a certificate of ours
still in use is not given up at once: the result says ``done: false`` and
``waitSeconds``, the state machine waits and calls again (no loop in the
Lambda), and the time is measured from ``startedAt``, the first look. Past
``IN_USE_BUDGET_SECONDS`` (10 minutes: sixty times the lag measured for an
ALB, still far inside the state machine's timeout) the certificate is kept,
named in ``kept`` with the resources ACM says use it, and the undo succeeds:
Milvus answers through the Layer-4 load balancer by then, the ALB is gone,
an imported certificate costs nothing, and a later undo deletes it. The role
may delete only certificates that carry the tag (IAM condition
``aws:ResourceTag/milvus-layer7:managed-by``).

``deleted`` says what this execution deleted, not this attempt: a Lambda
killed after its DeleteCertificate call is run again by Step Functions, and
that attempt no longer finds the certificate. So the step also gets
ValidateUndo's ``managedCertificates`` (the host's certificates of ours when
the execution began): one of them that ACM now answers ResourceNotFound for
went during this execution, and is named in ``deleted`` as an undisturbed
run names it. One deleted by hand while the undo ran is named too: the
step cannot tell the two apart, and either way it is gone since the run began.
A later execution never lists it (its ValidateUndo did not find it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from layer7.aws import error_code, raise_if_transient
from layer7.managed_certificates import find_managed_certificates
from layer7.observability import logger
from layer7.ownership import TAG_MANAGED_BY
from layer7.undo_models import CertificateCleanup, DeleteCertificateEvent, KeptCertificate

if TYPE_CHECKING:  # stubs from requirements-dev.txt; the Lambda runtime has none
    from types_boto3_acm import ACMClient

_GONE = frozenset({"ResourceNotFoundException"})
IN_USE_BUDGET_SECONDS = 600  # how long a certificate may stay in InUseBy after the ALB went (module docstring)
MIN_WAIT_SECONDS, MAX_WAIT_SECONDS = 2, 30


def next_wait(elapsed: float, remaining: float) -> int:
    """About a quarter of the time waited so far, 2 to 30 s, never past the budget."""
    return max(1, int(min(max(elapsed / 4, MIN_WAIT_SECONDS), MAX_WAIT_SECONDS, remaining)))


def delete_certificates(event: DeleteCertificateEvent, *, acm: ACMClient,
                        now: Callable[[], float] = time.time) -> CertificateCleanup:
    host, previous = event.request.host, event.certificates
    started = previous.started_at if previous.started_at is not None else now()
    elapsed = max(0.0, now() - started)
    remaining = IN_USE_BUDGET_SECONDS - elapsed
    ours = [certificate.arn for certificate in find_managed_certificates(acm, host)]
    deleted: list[str] = list(previous.deleted)  # an earlier look's deletions stay said
    deleted += gone_since_validate(acm, [arn for arn in event.managed_certificates if arn not in ours + deleted])
    kept: list[KeptCertificate] = []
    waiting: list[str] = []
    for arn in dict.fromkeys([*event.ingress_deletion.certificate_arns, *ours]):
        if arn not in ours:
            if arn not in deleted:
                kept.append(KeptCertificate(
                    arn=arn, reason=f"not imported by this workflow (no tag {TAG_MANAGED_BY} for {host}): it is "
                                    "not the undo's to delete"))
            continue
        reason = _delete_unless_in_use(acm, arn)
        if reason is None:
            deleted.append(arn)
        elif reason and remaining > 0:
            waiting.append(arn)
        elif reason:
            kept.append(KeptCertificate(arn=arn, reason=reason.replace(
                "(ACM InUseBy);", f"(ACM InUseBy) {IN_USE_BUDGET_SECONDS} s after the ALB went;")))
    done = not waiting
    result = CertificateCleanup(deleted=deleted, kept=kept, done=done, waiting_for=waiting, started_at=started,
                                wait_seconds=0 if done else next_wait(elapsed, remaining),
                                elapsed_seconds=round(elapsed, 3))
    logger.info("certificates cleaned up" if done else "certificates still in use, looking again",
                extra={"deleted": deleted, "kept": [k.to_wire() for k in kept], "waitingFor": waiting})
    return result


def gone_since_validate(acm: ACMClient, arns: list[str]) -> list[str]:
    """Those of ``arns`` (ValidateUndo found them) that ACM no longer has: an earlier attempt of this
    execution deleted them. One still there but no longer tagged ours is not the undo's doing."""
    gone = []
    for arn in arns:
        try:
            acm.describe_certificate(CertificateArn=arn)
        except ClientError as exc:
            raise_if_transient(exc, "acm:DescribeCertificate")
            if error_code(exc) not in _GONE:
                raise
            gone.append(arn)
    return gone


def _delete_unless_in_use(acm: ACMClient, arn: str) -> str | None:
    """None when deleted, "" when already gone, else why it stays."""
    try:
        in_use = list(acm.describe_certificate(CertificateArn=arn)["Certificate"].get("InUseBy") or [])
        if in_use:
            return _in_use(in_use)
        acm.delete_certificate(CertificateArn=arn)
    except ClientError as exc:
        raise_if_transient(exc, "acm:DeleteCertificate")
        if error_code(exc) in _GONE:
            return ""
        if error_code(exc) == "ResourceInUseException":  # taken into use between the two calls
            return _in_use([])
        raise
    return None


def _in_use(users: list[str]) -> str:
    named = f" by {', '.join(users)}" if users else ""
    return f"still in use{named} (ACM InUseBy); delete it once nothing uses it, or run the undo again"
