"""What a controller's event recorder does before an Event reaches the API server: client-go's
``tools/record/events_cache.go`` ``EventCorrelator``, with its defaults:

- a spam filter per source and object, a token bucket of 25 that refills one every 5 minutes
  (``defaultSpamBurst``, ``defaultSpamQPS``); events beyond it are dropped;
- an aggregator: from the 10th event that differs only by message, within 10 minutes of the last for the same
  source, object, type and reason (``defaultAggregateMaxEvents``, ``defaultAggregateIntervalInSeconds``), the next
  are folded into one Event whose message starts ``(combined from similar events): ``;
- a logger that turns an exact repeat into ``count + 1`` and a new ``lastTimestamp``.

So a controller retrying in milliseconds leaves a few Events with a growing count, not one per attempt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

SPAM_BURST = 25
SPAM_REFILL_SECONDS = 300.0
AGGREGATE_MAX_EVENTS = 10
AGGREGATE_INTERVAL_SECONDS = 600.0
COMBINED_PREFIX = "(combined from similar events): "


@dataclass
class _Bucket:
    tokens: float = SPAM_BURST
    updated: float = 0.0


@dataclass
class _Aggregate:
    messages: set[str] = field(default_factory=set)
    last: float = 0.0


class EventCorrelator:
    def __init__(self) -> None:
        self._buckets: dict[tuple[str, ...], _Bucket] = {}
        self._aggregates: dict[tuple[str, ...], _Aggregate] = {}

    def correlate(self, obj: tuple[str, ...], type_: str, reason: str, message: str,
                  component: str) -> tuple[tuple[str, ...], str] | None:
        """The key of the Event to create or count up, and its message; None when the spam filter drops it."""
        now = time.monotonic()
        bucket = self._buckets.setdefault((component, *obj), _Bucket(updated=now))
        bucket.tokens = min(SPAM_BURST, bucket.tokens + (now - bucket.updated) / SPAM_REFILL_SECONDS)
        bucket.updated = now
        if bucket.tokens < 1:
            return None
        bucket.tokens -= 1
        aggregate_key = (component, *obj, type_, reason)
        aggregate = self._aggregates.get(aggregate_key)
        if aggregate is None or now - aggregate.last > AGGREGATE_INTERVAL_SECONDS:
            aggregate = self._aggregates[aggregate_key] = _Aggregate()
        aggregate.last = now
        aggregate.messages.add(message)
        if len(aggregate.messages) < AGGREGATE_MAX_EVENTS:
            return (*aggregate_key, message), message
        return aggregate_key, COMBINED_PREFIX + message
