"""One run per host, setup and undo together: a lock taken with one atomic write.

A certificate rotation can fire while a person's run is under way, and a
pipeline may retry while its first execution still runs; two executions for
the same host would then race on one Ingress, one certificate and one
Service. Validate and ValidateUndo take the host's lock as their last act,
after everything they check and before any later step changes anything; a
run that cannot take it ends there with ``RunInProgress`` naming the holder.
Both state machines give it back on every ending path (stacks/run_lock.py).

Why a DynamoDB item and not a Kubernetes Lease: the Validate steps talk to AWS
only (no cluster credentials, no Kubernetes layer, no RBAC verbs on Leases),
and a conditional PutItem is one atomic, strongly consistent write ("Condition
expressions", DynamoDB developer guide), which the state machines can undo
with a direct ``dynamodb:deleteItem`` task instead of one more Lambda. The
previous check (ListExecutions of both state machines) read an eventually
consistent list: two runs started together could both find the other absent.

The table (one item per host, key ``host``) holds ``holder`` (the execution's
ARN), ``acquiredAt`` and ``expiresAt`` (epoch seconds; the table's TTL
attribute). A run may take the lock when there is no item, when it already
holds it (Validate retried after a transient fault), or when the item has
expired. Otherwise it asks Step Functions about the holder: one that is no
longer RUNNING (aborted, timed out, or ended on a path that never released)
is taken over with a write conditional on that very holder, so of two runs
taking over the same dead holder only one succeeds. DescribeExecution is
eventually consistent too, but only in the safe direction here: a holder
that just ended may still read RUNNING (this run is refused), and a holder
Step Functions does not know (yet) is treated as running; ``expiresAt``,
beyond the longer of the two state machines' timeouts, frees such a lock.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NoReturn

from botocore.exceptions import ClientError

from layer7.aws import error_code, raise_if_transient
from layer7.errors import RunInProgress, TransientError
from layer7.run_lock_table import (  # noqa: F401 - the table's names, also read through this module
    ACQUIRED_AT,
    ATTRIBUTES,
    EXPIRES_AT,
    HOLD_VARIABLE,
    HOLDER,
    HOST,
    TABLE_VARIABLE,
)

_NAMES = {f"#{name}": name for name in ATTRIBUTES}
FREE = "attribute_not_exists(#host) OR #holder = :me OR #expiresAt < :now"
TAKEOVER = "attribute_not_exists(#host) OR #holder = :dead"


def acquire(dynamodb: Any, sfn: Any, *, table: str, host: str, execution_arn: str, now: datetime,
            hold_seconds: int) -> str | None:
    """Take ``host``'s lock for ``execution_arn``, or raise ``RunInProgress`` naming the execution that holds it.

    Returns the ARN of an ended holder whose lock this run took over, else None.
    """
    item = {HOST: {"S": host}, HOLDER: {"S": execution_arn}, ACQUIRED_AT: {"S": now.isoformat()},
            EXPIRES_AT: {"N": str(int(now.timestamp()) + hold_seconds)}}
    held_by = _put(dynamodb, table, item, FREE, {":me": {"S": execution_arn},
                                                  ":now": {"N": str(int(now.timestamp()))}})
    if held_by is None:
        return None
    status = _status(sfn, held_by)
    if status in (None, "RUNNING"):
        _refuse(host, held_by)
    taken_by = _put(dynamodb, table, item, TAKEOVER, {":dead": {"S": held_by}})
    if taken_by is None:
        return held_by
    _refuse(host, taken_by)  # another run took it over first


def _put(dynamodb: Any, table: str, item: dict[str, Any], condition: str, values: dict[str, Any]) -> str | None:
    """The conditional write: None when it took the lock, else the holder it found."""
    names = {key: value for key, value in _NAMES.items() if key in condition}
    try:
        dynamodb.put_item(TableName=table, Item=item, ConditionExpression=condition,
                          ExpressionAttributeNames=names, ExpressionAttributeValues=values,
                          ReturnValuesOnConditionCheckFailure="ALL_OLD")
    except ClientError as exc:
        raise_if_transient(exc, "taking the host's run lock")
        if error_code(exc) != "ConditionalCheckFailedException":
            raise
        found: Any = dict(exc.response).get("Item") or {}  # ReturnValuesOnConditionCheckFailure
        holder = found.get(HOLDER, {}).get("S")
        if not holder:  # gone between the check and the answer: the next try finds it free
            raise TransientError("taking the host's run lock: it changed while this run looked") from None
        return str(holder)
    return None


def _status(sfn: Any, execution_arn: str) -> str | None:
    """The holder's status; None when Step Functions does not know it (treated as running)."""
    try:
        return str(sfn.describe_execution(executionArn=execution_arn)["status"])
    except ClientError as exc:
        raise_if_transient(exc, "reading the execution that holds the host's run lock")
        if error_code(exc) == "ExecutionDoesNotExist":
            return None
        raise


def _refuse(host: str, holder: str) -> NoReturn:
    raise RunInProgress(
        f"execution {holder} is already running for host {host}; this execution changed nothing. "
        "Wait for it to end (python -m layer7ctl list), then start again if it is still needed"
    )


def acquire_for_execution(host: str, execution_arn: str, *, dynamodb: Any, sfn: Any,
                          environ: Mapping[str, str] = os.environ) -> str | None:
    """``acquire`` with the stack's table and hold time (the function's environment, stacks/run_lock.py)."""
    table, hold = environ.get(TABLE_VARIABLE, ""), environ.get(HOLD_VARIABLE, "")
    if not table or not hold.isdigit():
        raise RuntimeError(f"{TABLE_VARIABLE} and {HOLD_VARIABLE} must be set (the stack sets both)")
    return acquire(dynamodb, sfn, table=table, host=host, execution_arn=execution_arn, now=datetime.now(UTC),
                   hold_seconds=int(hold))
