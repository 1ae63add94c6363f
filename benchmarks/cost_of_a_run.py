"""What one execution costs, counted from a sandbox run and priced at public rates.

Counts come from the execution history: every state entered is one Standard
state transition; each Lambda invocation's duration (LambdaFunctionStarted to
its end) times the function's memory is its GB-seconds. Sandbox durations
include a cold process start and imports per invocation, so they overstate a
warm Lambda: an upper bound, not a quote.

    .venv/bin/python benchmarks/cost_of_a_run.py            # runs the demo once
    .venv/bin/python benchmarks/cost_of_a_run.py report.json # a `sandbox demo --json` report
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

# Public list prices, us-east-1, as written down on 2026-11-26 from the AWS
# pricing pages for Step Functions, Lambda and EventBridge.
RATES_DATE = "2026-11-26"
PRICE_PER_STATE_TRANSITION = 0.025 / 1000  # Standard workflows
PRICE_PER_GB_SECOND = {"arm64": 0.0000133334, "x86_64": 0.0000166667}
PRICE_PER_LAMBDA_REQUEST = 0.20 / 1_000_000
PRICE_PER_CUSTOM_EVENT = 1.00 / 1_000_000  # PutEvents: the request event and the ready/failed event
ROOT = Path(__file__).resolve().parents[1]


def _at(event: dict[str, Any]) -> float:
    value = event["timestamp"]
    return (datetime.fromisoformat(value) if isinstance(value, str) else value).timestamp()


def count(history: list[dict[str, Any]], memory_mb: dict[str, int]) -> dict[str, float]:
    """State transitions, Lambda invocations and GB-seconds in one execution's history."""
    transitions = sum(1 for e in history if e["type"].endswith("StateEntered"))
    by_id = {e["id"]: e for e in history}
    invocations, gb_seconds = 0, 0.0
    for event in history:
        if event["type"] not in ("LambdaFunctionSucceeded", "LambdaFunctionFailed", "LambdaFunctionTimedOut"):
            continue
        started = by_id[event["previousEventId"]]
        scheduled = by_id[started["previousEventId"]]
        function = scheduled["lambdaFunctionScheduledEventDetails"]["resource"].rsplit(":", 1)[-1]
        invocations += 1
        gb_seconds += (_at(event) - _at(started)) * memory_mb.get(function, 128) / 1024
    return {"stateTransitions": transitions, "lambdaInvocations": invocations, "gbSeconds": round(gb_seconds, 3)}


def price(counts: dict[str, float], architecture: str = "arm64", events: int = 2) -> dict[str, float]:
    parts = {
        "stepFunctions": counts["stateTransitions"] * PRICE_PER_STATE_TRANSITION,
        "lambdaCompute": counts["gbSeconds"] * PRICE_PER_GB_SECOND[architecture],
        "lambdaRequests": counts["lambdaInvocations"] * PRICE_PER_LAMBDA_REQUEST,
        "eventBridge": events * PRICE_PER_CUSTOM_EVENT,
    }
    parts["total"] = sum(parts.values())
    return {k: round(v, 7) for k, v in parts.items()}


def _demo_report() -> tuple[dict[str, Any], dict[str, int]]:
    """Run the demo once, keeping the functions' memory sizes from the deployed stack."""
    # the sandbox (moto, kmock) only here: the unit tests import this module's pricing alone
    from sandbox.cli.demo import DemoOptions, build_report, execution_input, run_once  # noqa: PLC0415
    from sandbox.environment import HOST, Sandbox, SandboxSettings  # noqa: PLC0415

    options = DemoOptions(json=True)
    with Sandbox(SandboxSettings(), log=lambda *a, **k: None) as sandbox:
        record = run_once(sandbox, options, execution_input(options, HOST, sandbox.secret_arn), run=1)
        memory = {f["FunctionName"]: f["MemorySize"]
                  for f in sandbox.aws.client("lambda").list_functions()["Functions"]}
        return build_report(sandbox, [record]), memory


def main(argv: list[str]) -> int:
    sys.path[:0] = [str(ROOT), str(ROOT / "lambdas")]
    if argv:
        report, memory = json.loads(Path(argv[0]).read_text()), dict[str, int]()
    else:
        report, memory = _demo_report()
    run = report["runs"][-1]
    counts = count(run["historyEvents"], memory)
    costs = price(counts)
    print(json.dumps({"status": run["status"], **counts, "usd": costs, "ratesDate": RATES_DATE}, indent=2))
    print(f"\n| state transitions | Lambda invocations | Lambda GB-seconds | USD per run (arm64) |\n"
          f"| --- | --- | --- | --- |\n"
          f"| {counts['stateTransitions']} | {counts['lambdaInvocations']} | {counts['gbSeconds']} "
          f"| {costs['total']:.6f} |")
    return 0 if run["status"] == "SUCCEEDED" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
