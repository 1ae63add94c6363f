"""Faults on purpose (issue 19): a share of the calls a stand-in serves is answered with a fault.

Off by default. ``Faults`` holds, per kind of fault, the share of calls that
meet it, and a seed; ``Dice`` draws for each call one kind or none with
``random.Random(seed)``, so the same calls in the same order meet the same
faults. What each kind looks like on the wire is the stand-in's business
(``sandbox/kubernetes/faults.py`` for the Kubernetes API).

A spec reads ``429=0.1,500=0.05,reset=0.05,seed=7``: kind=share pairs, and
the seed (0 unless given).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass

# The Kubernetes API stand-in's faults (sandbox/kubernetes/faults.py says what each looks like)
KUBE_KINDS = ("429", "500", "503", "504", "reset")


@dataclass(frozen=True)
class Faults:
    rates: tuple[tuple[str, float], ...] = ()  # (kind, share of calls), in the order the dice read them
    seed: int = 0

    def __post_init__(self) -> None:
        for kind, rate in self.rates:
            if not 0 <= rate <= 1:
                raise ValueError(f"fault {kind}={rate}: a share of calls is between 0 and 1")
        if sum(rate for _, rate in self.rates) > 1:
            raise ValueError(f"fault shares {self.spec()!r} add up to more than every call")

    @classmethod
    def parse(cls, spec: str, kinds: Iterable[str]) -> Faults:
        """``kind=share,...,seed=N`` with each kind one of ``kinds``."""
        known, rates, seed = tuple(kinds), [], 0
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"fault {part!r}: write kind=share (kinds: {', '.join(known)}) or seed=N")
            try:
                if key.strip() == "seed":
                    seed = int(value)
                    continue
                rate = float(value)
            except ValueError:
                raise ValueError(f"fault {part!r}: {value!r} is not a number") from None
            if key.strip() not in known:
                raise ValueError(f"fault {key.strip()!r}: not one of {', '.join(known)}")
            rates.append((key.strip(), rate))
        return cls(tuple(rates), seed)

    def spec(self) -> str:
        return ",".join([*(f"{kind}={rate:g}" for kind, rate in self.rates), f"seed={self.seed}"])

    def dice(self) -> Dice:
        return Dice(self)


class Dice:
    """One roll per call: a kind with its share's chance, or None. ``thrown`` keeps what was drawn, in order."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._random = random.Random(faults.seed)  # noqa: S311 - reproducible from a seed on purpose, not a secret
        self._lock = threading.Lock()
        self.thrown: list[str] = []

    def roll(self) -> str | None:
        with self._lock:
            draw, edge = self._random.random(), 0.0
            for kind, rate in self.faults.rates:
                edge += rate
                if draw < edge:
                    self.thrown.append(kind)
                    return kind
            return None
