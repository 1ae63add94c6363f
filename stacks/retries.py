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
  are retried for several minutes.
* ``LAMBDA_KILLED``: the function's runtime died mid-invocation (killed out of
  memory, or by its host) or its time ran out. Lambda answers Invoke with
  ``FunctionError: Unhandled`` and an errorType ``Runtime.ExitError`` or
  ``Sandbox.Timedout``, which Step Functions reports as the error; one without
  an errorType is ``Lambda.Unknown`` ("Unhandled errors in Lambda are reported
  as Lambda.Unknown ... These include out-of-memory errors and function
  timeouts", Step Functions developer guide, "Handle Lambda service
  exceptions"). Every step is safe to run again after it died at any point
  (docs/DESIGN.md "Why each step is safe to rerun"), so the step runs again;
  twice at most, since a step that runs out of time every time will not stop
  doing so, and each attempt costs its whole timeout.

Jitter: every retrier of a transient fault waits ``JitterStrategy: FULL``, a
random time between 0 and the backoff's delay (Step Functions developer
guide, "Handling errors in Step Functions workflows", Retrier fields), so
runs throttled together (by the Kubernetes API server during a control-plane
upgrade, by ELBv2 shared with the load balancer controller) do not come back
together. ``total_wait_seconds`` is then the longest the retries can wait, an
upper bound; a run waits half of it on average. ``MaxDelaySeconds`` caps the
delays that grow long. VerificationFailed's retrier has no jitter: it waits
for one new ALB's name to resolve, no crowd to spread, and a shorter wait
would only spend its attempts sooner.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn


@dataclass(frozen=True)
class RetryPolicy:
    errors: tuple[str, ...]
    interval_seconds: int
    max_attempts: int
    backoff_rate: float = 2.0
    max_delay_seconds: int | None = None
    jitter: bool = True

    def delays_seconds(self) -> list[float]:
        """The longest wait before each retry: the backoff's delay, capped by ``max_delay_seconds`` (with jitter,
        each wait is drawn between 0 and it)."""
        waits = (self.interval_seconds * self.backoff_rate ** attempt for attempt in range(self.max_attempts))
        return [min(wait, self.max_delay_seconds) if self.max_delay_seconds is not None else wait for wait in waits]

    def total_wait_seconds(self) -> float:
        """The longest the retries alone can wait (the step's own run time comes on top)."""
        return sum(self.delays_seconds())

    def add_to(self, task: sfn.TaskStateBase) -> None:
        task.add_retry(
            errors=list(self.errors), interval=Duration.seconds(self.interval_seconds),
            max_attempts=self.max_attempts, backoff_rate=self.backoff_rate,
            max_delay=Duration.seconds(self.max_delay_seconds) if self.max_delay_seconds is not None else None,
            jitter_strategy=sfn.JitterType.FULL if self.jitter else None,
        )


LAMBDA_SERVICE = RetryPolicy(
    errors=("Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
            "Lambda.ClientExecutionTimeoutException", "Lambda.TooManyRequestsException", "TransientError"),
    interval_seconds=2, max_attempts=5, max_delay_seconds=30,
)  # at most 2 + 4 + 8 + 16 + 30 = 60 s: outlasts a burst of 429s while an API server restarts
# At most 10 + 20 + 40 + 80 + 160 + 320 s = 630 s, about 315 s with jitter: the "several minutes" an Inactive
# function needs.
LAMBDA_NOT_READY = RetryPolicy(
    errors=("Lambda.ResourceNotReadyException", "Lambda.ENINotReadyException", "Lambda.EC2ThrottledException",
            "Lambda.ResourceConflictException"),
    interval_seconds=10, max_attempts=6,
)
# At most 2 + 4 s = 6 s of waits (each attempt may run to the function's timeout besides).
LAMBDA_KILLED = RetryPolicy(errors=("Runtime.ExitError", "Sandbox.Timedout", "Lambda.Unknown"),
                            interval_seconds=2, max_attempts=2)
LAMBDA_POLICIES = (LAMBDA_NOT_READY, LAMBDA_SERVICE, LAMBDA_KILLED)
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
