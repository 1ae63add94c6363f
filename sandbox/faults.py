"""Faults on purpose (issue 19): a share of the calls a stand-in serves is answered with a fault.

``Dice`` draws one kind or none per call with ``random.Random(seed)``, so the same calls in the same order meet
the same faults. What each kind looks like on the wire is the stand-in's business: sandbox/kubernetes/faults.py
(the Kubernetes API), sandbox/aws/faults.py (AWS), sandbox/aws/lambda_kills.py (the functions' processes).
Each target rolls its own dice from the seed.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

KUBE_KINDS = ("429", "500", "503", "504", "reset")
AWS_KINDS = {
    "aws.elbv2": ("throttle", "500", "503"),
    "aws.acm": ("throttle", "500", "503"),
    "aws.route53": ("throttle", "prior-request", "500", "503"),
    "aws.secretsmanager": ("throttle", "500", "503"),
    "aws.dynamodb": ("throttle", "throughput", "500", "503"),
}
# Rolled per invocation; ``kill-after-write`` only for each function's first
LAMBDA_KINDS = ("kill", "timeout", "kill-after-write")
KINDS: dict[str, tuple[str, ...]] = {"kube": KUBE_KINDS, **AWS_KINDS, "lambda": LAMBDA_KINDS}


@dataclass(frozen=True)
class Faults:
    # (kind, share of calls), in the order the dice read them; a kind is ``target:kind``, or a bare kube kind
    rates: tuple[tuple[str, float], ...] = ()
    seed: int = 0

    def __post_init__(self) -> None:
        for kind, rate in self.rates:
            if not 0 <= rate <= 1:
                raise ValueError(f"fault {kind}={rate}: a share of calls is between 0 and 1")
        for target in self.targets():
            if sum(rate for kind, rate in self.rates if _target(kind) == target) > 1:
                raise ValueError(f"fault shares {self.spec()!r} add up to more than every call of {target}")

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """``target:kind=share,...,seed=N``, e.g. ``kube:429=0.1,aws.elbv2:throttle=0.1,seed=7``; a kind without a
        target is the Kubernetes API's, the seed 0 unless given."""
        rates, seed = [], 0
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"fault {part!r}: write target:kind=share (targets: {', '.join(KINDS)}) or seed=N")
            try:
                if key.strip() == "seed":
                    seed = int(value)
                    continue
                rate = float(value)
            except ValueError:
                raise ValueError(f"fault {part!r}: {value!r} is not a number") from None
            target, _, kind = key.strip().rpartition(":")
            target = target or "kube"
            if target not in KINDS:
                raise ValueError(f"fault {key.strip()!r}: no target {target!r} (targets: {', '.join(KINDS)})")
            if kind not in KINDS[target]:
                raise ValueError(f"fault {key.strip()!r}: not one of {target}'s {', '.join(KINDS[target])}")
            rates.append((kind if target == "kube" else f"{target}:{kind}", rate))
        return cls(tuple(rates), seed)

    def spec(self) -> str:
        return ",".join([*(f"{kind}={rate:g}" for kind, rate in self.rates), f"seed={self.seed}"])

    def targets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_target(kind) for kind, _ in self.rates))

    def only(self, target: str) -> Faults:
        """This target's shares, its kinds without the target, with the same seed: what its dice roll."""
        prefix = "" if target == "kube" else f"{target}:"
        return Faults(tuple((kind.removeprefix(prefix), rate) for kind, rate in self.rates
                            if _target(kind) == target), self.seed)

    def dice(self) -> Dice:
        return Dice(self)


def _target(kind: str) -> str:
    return kind.rpartition(":")[0] or "kube"


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

    def randint(self, low: int, high: int) -> int:
        """A number between ``low`` and ``high`` from the same seed (where in a call a fault strikes)."""
        with self._lock:
            return self._random.randint(low, high)
