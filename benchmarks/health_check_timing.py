"""How long after the ALB turns active its target is healthy: the controller's health checks against ours.

Issue 11: with the controller's defaults (interval 15 s, 2 healthy checks) a
new target waits for its first check, 15 s after registration; with the
workflow's (layer7.ingress_defaults: 5 s, 4 s, 2, 3) it waits 5 s. AWS's model
(one passing check after registration, ALB guide target-group-health-checks)
is what the controller stand-in plays (sandbox/dataplane/health.py), so this runs the
sandbox's demo input twice per repetition in one sandbox: once with
ingressAnnotations that put back the controller's defaults, once with none
(the workflow's). It reports, per run, the seconds from ALB active to a
healthy target (the controller stand-in's timeline) and to the workflow
noticing (CheckLoadBalancer's first ready answer), and the run's duration.

By default the health checks run at AWS's pace (--scale 1.0), so the seconds
are the model's; the sandbox's own scale (0.2) divides them by five.

    .venv/bin/python benchmarks/health_check_timing.py [--repeat N] [--scale S]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lambdas"))

from layer7.ingress_defaults import DEFAULT_ANNOTATIONS  # noqa: E402
from layer7ctl.executions import first_ready_check  # noqa: E402
from sandbox.cli.demo import DemoOptions, execution_input, run_once  # noqa: E402
from sandbox.environment import HOST, Sandbox, SandboxSettings  # noqa: E402

P = "alb.ingress.kubernetes.io/"
# What the Ingress gets from the controller when the workflow sets nothing (model_builder.go, controller_config.go,
# botocore's idle timeout default): each of the workflow's defaults, put back.
CONTROLLER_DEFAULTS = {
    f"{P}ssl-policy": "ELBSecurityPolicy-2016-08",
    f"{P}load-balancer-attributes": "idle_timeout.timeout_seconds=60",
    f"{P}healthcheck-interval-seconds": "15",
    f"{P}healthcheck-timeout-seconds": "5",
    f"{P}healthy-threshold-count": "2",
    f"{P}unhealthy-threshold-count": "2",
}
if set(CONTROLLER_DEFAULTS) != set(DEFAULT_ANNOTATIONS):  # raised, not asserted: python -O would skip it
    raise RuntimeError("a default of the workflow has no controller value here")
CASES = {"controller defaults": CONTROLLER_DEFAULTS, "workflow defaults": {}}


def measure(sandbox: Sandbox, annotations: dict[str, str], run: int) -> dict[str, float]:
    options = DemoOptions(json=True)
    detail = execution_input(options, HOST, sandbox.secret_arn, (sandbox.namespace, sandbox.service_name))
    if annotations:
        detail["ingressAnnotations"] = annotations
    record = run_once(sandbox, options, detail, run=run)
    if record.status != "SUCCEEDED":
        raise SystemExit(f"run {run} failed: {record.error}: {record.cause}")
    timeline = sandbox.controller.timeline_for(sandbox.namespace, detail.get("ingressName", sandbox.service_name))
    active, ready, detected = timeline["lbActiveAt"], timeline["activeAt"], first_ready_check(record.history)
    return {"activeToHealthy": round(ready - active, 3),
            "activeToDetected": round(detected - active, 3) if detected else float("nan"),
            "run": round(record.seconds, 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0, help="health checks at this fraction of their interval")
    args = parser.parse_args()
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in CASES}
    with Sandbox(SandboxSettings(health_check_scale=args.scale), log=lambda *a, **k: None) as sandbox:
        run = 0
        for _ in range(args.repeat):
            for name, annotations in CASES.items():
                run += 1
                sample = measure(sandbox, annotations, run)
                print(json.dumps({"case": name, **sample}), flush=True)
                samples[name].append(sample)
    summary = {name: {key: statistics.median(s[key] for s in runs) for key in runs[0]}
               for name, runs in samples.items()}
    print(json.dumps({"scale": args.scale, "median": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
