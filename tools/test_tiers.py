"""Every test tier, each in its own interpreter, the quick ones side by side: what ``make test`` runs.

Each tier needs its own interpreter: the sandbox patches moto in-process
(sandbox/aws/), and a product test after a sandbox test in the same process
would meet that moto instead of moto's own. Tiers that share nothing run at
the same time, two lanes for the machine's two cores:

* ``tests/unit`` then ``tests/infra`` beside ``tests/sandbox``: the first lane
  starts no server at all, the second starts its stand-ins on ports of their
  own; the layer cache they may both fill is written by rename
  (stacks/bundling.py), so neither reads the other's half-built layer.
* ``tests/e2e`` last, in two lanes of its own: each lane is a pytest session
  with its own sandbox (tests/e2e/conftest.py), and every sandbox serves its
  load balancers on ports of its own, so the two never meet; the first lane
  holds the journeys that start the command line's own sandboxes (``demo``,
  ``serve``), the second every other module, so a new one never goes unrun.
  Nothing else runs beside them: their waits run on a clock the other tiers
  would slow.

Every tier runs even when another fails; a tier's output is printed whole when
it ends, so two lanes never interleave. The exit status says whether all
passed. ``--serial`` runs the tiers one after another, fastest first.

    python -m tools.test_tiers [--serial] [-- PYTEST_ARGS...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIERS = ("tests/unit", "tests/infra", "tests/sandbox", "tests/e2e")  # fastest first
UNIT, INFRA, SANDBOX, E2E = TIERS
E2E_LANES = (f"{E2E}#1", f"{E2E}#2")
# The first e2e lane: about half the journeys' time, with the two that start sandboxes of their own.
FIRST_E2E_LANE = ("test_demo_cli.py", "test_drift.py", "test_operator_habits.py", "test_operators.py",
                  "test_sandbox_serve.py")
LANES: tuple[tuple[tuple[str, ...], ...], ...] = (
    ((UNIT, INFRA), (SANDBOX,)),
    ((E2E_LANES[0],), (E2E_LANES[1],)),
)
SERIAL = tuple(((tier,),) for tier in TIERS)


def pytest_paths(tier: str) -> list[str]:
    """What pytest runs for a tier: its directory, or an e2e lane's modules."""
    if tier not in E2E_LANES:
        return [tier]
    modules = sorted(path.name for path in (ROOT / E2E).glob("test_*.py"))
    first = tier == E2E_LANES[0]
    return [f"{E2E}/{module}" for module in modules if (module in FIRST_E2E_LANE) == first]


class TierRunner:
    """Runs tiers, prints each one's output as a block when it ends, and remembers which failed."""

    def __init__(self, pytest_args: list[str]) -> None:
        self.pytest_args = pytest_args
        self.failed: list[str] = []
        self._print = threading.Lock()

    def run_tier(self, tier: str) -> None:
        started = time.monotonic()
        with tempfile.TemporaryFile() as output:
            done = subprocess.run([sys.executable, "-m", "pytest", *pytest_paths(tier), *self.pytest_args], cwd=ROOT,
                                  stdout=output, stderr=subprocess.STDOUT, check=False)
            output.seek(0)
            text = output.read().decode(errors="replace")
        seconds = time.monotonic() - started
        with self._print:
            if done.returncode != 0:
                self.failed.append(tier)
            print(f"== {tier} ({seconds:.0f} s)\n{text}", end="" if text.endswith("\n") else "\n", flush=True)

    def run_lane(self, tiers: tuple[str, ...]) -> None:
        for tier in tiers:
            self.run_tier(tier)

    def run(self, stages: tuple[tuple[tuple[str, ...], ...], ...]) -> int:
        for lanes in stages:
            threads = [threading.Thread(target=self.run_lane, args=(lane,), name=lane[0]) for lane in lanes]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        if self.failed:
            print(f"failed tiers: {' '.join(sorted(self.failed))}")
            return 1
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serial", action="store_true", help="one tier at a time, fastest first")
    parser.add_argument("pytest_args", nargs="*", help="passed to every tier's pytest (after --)")
    args = parser.parse_args(argv)
    return TierRunner(args.pytest_args).run(SERIAL if args.serial else LANES)


if __name__ == "__main__":
    sys.exit(main())
