"""How long the sandbox demo takes, phase by phase.

The speed goal (issue 3): after set-up, ``make demo`` with default options
finishes in at most 60 s on a 2-core machine, and the workflow notices a ready
ALB at most its chosen wait plus 2 s after the ALB turned ready. This script
measures, it does not assert: it prints one JSON object per repetition and a
summary with min/median/max, and exits 1 when a median misses a goal.

    .venv/bin/python benchmarks/demo_phases.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lambdas"))

from sandbox.cli.demo import DemoOptions, build_report, execution_input, run_once  # noqa: E402
from sandbox.environment import HOST, Sandbox, SandboxSettings  # noqa: E402

DEMO_GOAL_SECONDS = 60.0
DETECTION_SLACK_SECONDS = 2.0


def measure_once() -> dict[str, float]:
    options = DemoOptions(json=True)
    started = time.monotonic()
    with Sandbox(SandboxSettings(), log=lambda *a, **k: None) as sandbox:
        run_started = time.monotonic()
        record = run_once(sandbox, options, execution_input(options, HOST, sandbox.secret_arn), run=1)
        execution = time.monotonic() - run_started
        report = build_report(sandbox, [record])
        phases = dict(sandbox.phases)
    total = time.monotonic() - started
    if record.status != "SUCCEEDED":
        raise SystemExit(f"the demo run failed: {record.error}: {record.cause}")
    timings = report["timings"]
    waits = [json.loads(e["stateExitedEventDetails"]["output"])["loadBalancer"]["waitSeconds"]
             for e in record.history
             if (e.get("stateExitedEventDetails") or {}).get("name") == "CheckLoadBalancer"]
    return {
        "standInsUp": phases["standInsUp"],
        "bootstrapAndDeploy": phases["bootstrapAndDeploy"],
        "execution": round(execution, 3),
        "total": round(total, 3),
        "detectionLag": round(timings["detectedAt"] - timings["albReadyAt"], 3),
        "detectionAllowance": max(waits) + DETECTION_SLACK_SECONDS,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    samples = []
    for _ in range(args.repeat):
        sample = measure_once()
        print(json.dumps(sample), flush=True)
        samples.append(sample)
    summary = {
        key: {"min": min(s[key] for s in samples), "median": statistics.median(s[key] for s in samples),
              "max": max(s[key] for s in samples)}
        for key in samples[0]
    }
    print(json.dumps({"summary": summary}, indent=2))
    ok = (summary["total"]["median"] <= DEMO_GOAL_SECONDS
          and all(s["detectionLag"] <= s["detectionAllowance"] for s in samples))
    print(f"goals: demo <= {DEMO_GOAL_SECONDS:.0f} s, detection <= wait + {DETECTION_SLACK_SECONDS:.0f} s: "
          f"{'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
