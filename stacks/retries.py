"""How the state machine retries a step, in one place (docs/DESIGN.md "Retry").

Transient faults are retried here, with backoff, where an operator sees them
in the execution's history, never by loops inside a Lambda:

* ``LAMBDA_SERVICE``: the Lambda service's own transient errors, as AWS
  recommends retrying them (Step Functions developer guide, "Handle transient
  Lambda service exceptions"; ``Lambda.TooManyRequestsException`` when the
  account's concurrency is exhausted), and the steps' ``TransientError``
  (throttling, 5xx, a connection that broke).
* ``LAMBDA_NOT_READY``: a VPC function idle for weeks is made Inactive; the
  next invocation fails with ``ResourceNotReadyException`` and the function is
  Pending while Lambda re-creates its network interfaces, which "can require
  several minutes" (Lambda developer guide, "Lambda function states" and
  "Networking"). Certificate rotation is exactly such a rare run, so these
  are retried for about ten minutes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    errors: tuple[str, ...]
    interval_seconds: int
    max_attempts: int
    backoff_rate: float = 2.0

    def total_wait_seconds(self, *, max_delay_seconds: float | None = None) -> float:
        """The longest the retries alone can wait (the step's own run time comes on top)."""
        waits = (self.interval_seconds * self.backoff_rate ** attempt for attempt in range(self.max_attempts))
        return sum(min(wait, max_delay_seconds) if max_delay_seconds is not None else wait for wait in waits)


LAMBDA_SERVICE = RetryPolicy(
    errors=("Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
            "Lambda.ClientExecutionTimeoutException", "Lambda.TooManyRequestsException", "TransientError"),
    interval_seconds=2, max_attempts=3,
)
# 10 + 20 + 40 + 80 + 160 + 320 s = 630 s: past the "several minutes" an Inactive function needs.
LAMBDA_NOT_READY = RetryPolicy(
    errors=("Lambda.ResourceNotReadyException", "Lambda.ENINotReadyException", "Lambda.EC2ThrottledException",
            "Lambda.ResourceConflictException"),
    interval_seconds=10, max_attempts=6,
)
LAMBDA_POLICIES = (LAMBDA_NOT_READY, LAMBDA_SERVICE)
# The run lock's release (stacks/run_lock.py): DynamoDB's own throttling or a 5xx, or a task that timed out; never
# the condition (the lock is not this run's: nothing to give back).
RUN_LOCK_RELEASE = RetryPolicy(
    errors=("DynamoDB.ProvisionedThroughputExceededException", "DynamoDB.ThrottlingException",
            "DynamoDB.RequestLimitExceeded", "DynamoDB.InternalServerErrorException",
            "DynamoDB.AmazonDynamoDBException", "States.Timeout"),
    interval_seconds=1, max_attempts=3,
)
# PutEvents on the default bus: EventBridge's own throttling or a 5xx.
PUBLISH = RetryPolicy(errors=("States.TaskFailed",), interval_seconds=1, max_attempts=3)
