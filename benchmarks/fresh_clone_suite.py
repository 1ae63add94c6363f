"""How long ``make test`` takes on a fresh clone in an empty folder, set-up and each tier apart.

The goal (issue "One sandbox per test session"): on a 2-core machine, ``make
test`` on a fresh clone, set-up included, in 10 minutes or less; its e2e tier
in 4 minutes or less. This script measures, it does not assert: it clones
HEAD into a new temporary folder, runs ``make setup`` and then ``make test``
(tools/test_tiers.py: unit and infra beside the sandbox tier, then e2e in two lanes),
prints one JSON object with each phase's seconds, each tier's as the runner
reported it, and pass/fail, and exits 1 when a phase failed or a goal was
missed. It takes as long as what it measures (15 minutes or so): it is
not part of the timed suite.

    .venv/bin/python benchmarks/fresh_clone_suite.py [--keep]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.test_tiers import E2E_LANES, LANES  # noqa: E402 - the tiers make test runs, after the path

MAKE_TEST_GOAL_SECONDS = 600.0
E2E_GOAL_SECONDS = 240.0
GIT, MAKE = shutil.which("git") or "git", shutil.which("make") or "make"


def timed(command: list[str], cwd: Path, log: Path) -> tuple[float, bool]:
    started = time.monotonic()
    with log.open("ab") as out:
        done = subprocess.run(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, check=False)
    return round(time.monotonic() - started, 1), done.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the clone and its log")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="milvus-layer7-fresh-"))
    clone, log = folder / "milvus-layer7", folder / "suite.log"
    subprocess.run([GIT, "clone", "--quiet", "--no-local", str(ROOT), str(clone)], check=True)
    phases: dict[str, dict[str, float | bool]] = {}
    seconds, passed = timed([MAKE, "setup"], clone, log)
    phases["setup"] = {"seconds": seconds, "passed": passed}
    tiers: dict[str, float] = {}
    if passed:
        seconds, passed = timed([MAKE, "test"], clone, log)
        phases["test"] = {"seconds": seconds, "passed": passed}
        tiers = {tier: float(s) for tier, s in re.findall(r"^== (tests/[\w#]+) \((\d+) s\)$", log.read_text(), re.M)}
    total = round(sum(float(p["seconds"]) for p in phases.values()), 1)
    e2e = max((tiers.get(lane, 0.0) for lane in E2E_LANES), default=0.0)  # the lanes start together
    report = {"commit": subprocess.run([GIT, "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True,
                                       text=True, check=True).stdout.strip(),
              "phases": phases, "tiers": tiers, "makeTestSeconds": total,
              "goals": {"makeTestSeconds": MAKE_TEST_GOAL_SECONDS, "e2eSeconds": E2E_GOAL_SECONDS},
              "log": str(log) if args.keep else None}
    print(json.dumps(report, indent=2))
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    every_tier = {tier for stage in LANES for lane in stage for tier in lane}
    ok = all(p["passed"] for p in phases.values()) and len(phases) == 2 and set(tiers) == every_tier
    return 0 if ok and total <= MAKE_TEST_GOAL_SECONDS and e2e <= E2E_GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
