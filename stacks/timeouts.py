"""The state machine's timeout: the longest run its inputs allow, so a legitimate run is never cut short.

Summed along the longest path, each Lambda step at its worst: every attempt
runs to the function's timeout and every retrier is exhausted, with its waits
between attempts. The two loops are bounded by the inputs: CheckLoadBalancer
raises LoadBalancerTimeout once ``albTimeoutSeconds`` (at most 3,600) has
passed since the apply, CheckDnsChange gives up once Route 53 has not been
INSYNC for ``DNS_SYNC_TIMEOUT_SECONDS``; the drain waits at most the old
record's TTL (UpsertDns refuses one over ``MAX_OLD_TTL_SECONDS``) plus
``layer4DrainSeconds`` (at most 3,600). tests/infra/test_timeouts.py computes
the same bound from the synthesized definition and checks it fits.

The undo's the same way: its four loops end by their own bounds
(``layer4TimeoutSeconds`` for the Layer-4 load balancer, CheckDnsChange's for
Route 53, ``albTimeoutSeconds`` for the ALB's removal, each at most 3,600,
and DeleteCertificate's ``IN_USE_BUDGET_SECONDS`` for ACM's InUseBy),
and its drain waits the alias's TTL plus ``layer7DrainSeconds`` (at most
3,600).
"""

from __future__ import annotations

from stacks import retries, steps

MAX_ALB_TIMEOUT_SECONDS = 3600  # the contract's bound on albTimeoutSeconds (setup and undo)
MAX_LAYER4_DRAIN_SECONDS = 3600  # ... on layer4DrainSeconds
MAX_LAYER4_TIMEOUT_SECONDS = 3600  # ... on the undo's layer4TimeoutSeconds
MAX_LAYER7_DRAIN_SECONDS = 3600  # ... on the undo's layer7DrainSeconds
ALIAS_TTL_SECONDS = 60  # lambdas/upsert_dns/logic.py: what the undo's drain waits out besides layer7DrainSeconds
MAX_OLD_TTL_SECONDS = 3600  # lambdas/upsert_dns/logic.py refuses an older record's TTL above it
DNS_SYNC_TIMEOUT_SECONDS = 600  # lambdas/check_dns_change/logic.py
MAX_POLL_WAIT_SECONDS = 30  # CheckLoadBalancer's longest wait between looks
DNS_POLL_WAIT_SECONDS = 5
CERTIFICATE_IN_USE_BUDGET_SECONDS = 600  # lambdas/delete_certificate/logic.py IN_USE_BUDGET_SECONDS
# attempts x task timeout + waits
PUBLISH_WORST_SECONDS = (1 + retries.PUBLISH.max_attempts) * 30 + retries.PUBLISH.total_wait_seconds()
RUN_LOCK_RELEASE_TIMEOUT_SECONDS = 10  # stacks/run_lock.py's task, once on whichever path a run ends
RUN_LOCK_RELEASE_WORST_SECONDS = ((1 + retries.RUN_LOCK_RELEASE.max_attempts) * RUN_LOCK_RELEASE_TIMEOUT_SECONDS
                                  + retries.RUN_LOCK_RELEASE.total_wait_seconds())
MARGIN_SECONDS = 300


def step_worst_seconds(name: str, extra: retries.RetryPolicy | None = None) -> float:
    """One Lambda task with every retrier exhausted and every attempt running to the function's timeout."""
    spec = next(step for step in steps.STEPS if step.name == name)
    policies = [*retries.LAMBDA_POLICIES, *([extra] if extra else [])]
    attempts = 1 + sum(policy.max_attempts for policy in policies)
    # with jitter a wait is at most its backoff's delay: total_wait_seconds is the bound
    waits = sum(policy.total_wait_seconds() for policy in policies)
    return attempts * spec.timeout_seconds + waits


def setup_timeout_seconds(verify_retry: retries.RetryPolicy) -> int:
    total = (
        step_worst_seconds("Validate")
        + step_worst_seconds("ReadSetupRecord")
        + step_worst_seconds("ImportCertificate")
        + step_worst_seconds("ApplyIngress")
        + MAX_ALB_TIMEOUT_SECONDS + step_worst_seconds("CheckLoadBalancer") + MAX_POLL_WAIT_SECONDS
        + step_worst_seconds("VerifyGrpc", verify_retry)
        + step_worst_seconds("UpsertDns")
        + DNS_SYNC_TIMEOUT_SECONDS + step_worst_seconds("CheckDnsChange") + DNS_POLL_WAIT_SECONDS
        + PUBLISH_WORST_SECONDS  # PublishEndpointAvailable
        + MAX_OLD_TTL_SECONDS + MAX_LAYER4_DRAIN_SECONDS
        + step_worst_seconds("RemoveLayer4")
        + 2 * PUBLISH_WORST_SECONDS  # PublishReady, or PublishFailed on the failure path
        + RUN_LOCK_RELEASE_WORST_SECONDS
        + MARGIN_SECONDS
    )
    return int(total)


def undo_timeout_seconds(verify_retry: retries.RetryPolicy) -> int:
    total = (
        step_worst_seconds("ValidateUndo")
        + step_worst_seconds("RestoreLayer4")
        + MAX_LAYER4_TIMEOUT_SECONDS + step_worst_seconds("CheckLayer4") + MAX_POLL_WAIT_SECONDS
        + step_worst_seconds("VerifyLayer4", verify_retry)
        + step_worst_seconds("RestoreDns")
        + DNS_SYNC_TIMEOUT_SECONDS + step_worst_seconds("CheckDnsChange") + DNS_POLL_WAIT_SECONDS
        + ALIAS_TTL_SECONDS + MAX_LAYER7_DRAIN_SECONDS
        + step_worst_seconds("DeleteIngress")
        + MAX_ALB_TIMEOUT_SECONDS + step_worst_seconds("CheckIngressDeleted") + MAX_POLL_WAIT_SECONDS
        + CERTIFICATE_IN_USE_BUDGET_SECONDS + step_worst_seconds("DeleteCertificate") + MAX_POLL_WAIT_SECONDS
        + 2 * PUBLISH_WORST_SECONDS  # PublishUndoCompleted, or PublishUndoFailed on the failure path
        + RUN_LOCK_RELEASE_WORST_SECONDS
        + MARGIN_SECONDS
    )
    return int(total)
