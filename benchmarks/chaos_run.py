"""The chaos run (issue 19): setup and undo, pair after pair, while the Kubernetes API, AWS and Lambda fail under them.

One sandbox (with DNS); before each pair it is reset with faults from a new seed: 20 % of the Kubernetes API's
calls (429, 500, 503, 504, a reset connection), 10 % of the functions' calls to each AWS service (throttling,
500, 503; Route 53 also PriorRequestNotComplete), 5 % of the invocations killed (3 % crashed, 2 % as at their
timeout). All the while a client resolves the host in Route 53 and calls Milvus's GetVersion through whichever
load balancer the name gives (testkit/prober.py). A run that ends in a named transient error is
run again once, as an operator would (README "Errors and what to do"), and counted. It prints one JSON object:
runs converged, reruns, runs ended in an error (by name), duplicated resources (more than one certificate,
Ingress, ALB or record after a setup; anything left after an undo), failed probes. It measures; it exits 1 when
a run ended in an error a rerun did not fix, a resource was duplicated or a probe failed.

    .venv/bin/python benchmarks/chaos_run.py [--pairs N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lambdas"))

from sandbox.aws import lambda_kills  # noqa: E402
from sandbox.cli.demo import run_once, run_undo_once  # noqa: E402
from sandbox.environment import Sandbox, SandboxSettings  # noqa: E402
from sandbox.faults import Faults  # noqa: E402
from testkit.prober import Prober  # noqa: E402
from tests.e2e.test_undo import QUIET, setup_detail, undo_detail  # noqa: E402

KUBE = "kube:429=0.06,kube:500=0.04,kube:503=0.04,kube:504=0.03,kube:reset=0.03"
AWS = ",".join(f"aws.{service}:throttle=0.05,aws.{service}:500=0.025,aws.{service}:503=0.025"
               for service in ("elbv2", "acm", "secretsmanager", "dynamodb"))
ROUTE53 = "aws.route53:throttle=0.04,aws.route53:prior-request=0.02,aws.route53:500=0.02,aws.route53:503=0.02"
LAMBDA = "lambda:kill=0.03,lambda:timeout=0.02"
# Errors a rerun is expected to fix: the contract's TransientError, and the Lambda service's and a killed
# function's once their retry budgets are spent (docs/CONTRACT.md "Errors")
TRANSIENT = ("TransientError", "Runtime.ExitError", "Sandbox.Timedout", "Lambda.Unknown")


def faults(seed: int) -> Faults:
    return Faults.parse(f"{KUBE},{AWS},{ROUTE53},{LAMBDA},seed={seed}")


def transient(error: str | None) -> bool:
    return bool(error) and (error in TRANSIENT or str(error).startswith("Lambda."))


def counts(box: Any) -> dict[str, int]:
    return {"certificates": box.certificate_count(), "ingresses": len(box.kube.list("ingresses", box.namespace)),
            "loadBalancers": len(box.load_balancers()), "records": len(box.dns_records())}


def run(start: Any, tally: dict[str, Any], kind: str) -> Any:
    """A run, and once more if it ended in a named transient error; tallied under ``kind``."""
    record = start()
    if record.status != "SUCCEEDED" and transient(record.error):
        tally[kind]["rerunAfter"][record.error] += 1
        record = start()
    if record.status == "SUCCEEDED":
        tally[kind]["converged"] += 1
    else:
        tally[kind]["failed"][f"{record.error}: {str(record.cause)[:200]}"] += 1
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1, help="the first pair's seed; each next pair's is one more")
    args = parser.parse_args()

    started = time.monotonic()
    tally: dict[str, Any] = {kind: {"converged": 0, "rerunAfter": Counter(), "failed": Counter()}
                             for kind in ("setup", "undo")}
    duplicates: Counter[str] = Counter()
    thrown: Counter[str] = Counter()
    failed_probes: list[tuple[float, str, str]] = []
    answered: Counter[str] = Counter()
    with Sandbox(SandboxSettings(alb_delay=1.0, dns=True), log=lambda *a, **k: None) as box:
        ca_pem = Path(box.settings_cert_dir(), "chain.pem").read_bytes()
        for pair in range(args.pairs):
            box.reset(faults=faults(args.seed + pair))
            with Prober(box, ca_pem) as prober:
                run(lambda: run_once(box, QUIET, setup_detail(box), run=1), tally, "setup")
                after = counts(box)
                duplicates.update({name: n - 1 for name, n in after.items() if n > 1})
                run(lambda: run_undo_once(box, QUIET, undo_detail(box)), tally, "undo")
                left = counts(box)
                duplicates.update({f"{name}LeftByUndo": n for name, n in left.items() if name != "records" and n})
                duplicates.update({"recordsAfterUndo": left["records"] - 1} if left["records"] > 1 else {})
                time.sleep(2 * prober.interval)
            failed_probes += prober.failures
            answered.update(prober.answered)
            thrown.update(box.kube.faults_thrown)
            for target, kinds in box.aws.faults_thrown.items():
                thrown.update(f"{target}:{kind}" for kind in kinds)
            thrown.update(f"lambda:{kind}" for kind in lambda_kills.thrown())
    report = {
        "pairs": args.pairs, "faults": faults(args.seed).spec().rsplit(",seed=", 1)[0], "firstSeed": args.seed,
        "setup": {**tally["setup"], "rerunAfter": dict(tally["setup"]["rerunAfter"]),
                  "failed": dict(tally["setup"]["failed"])},
        "undo": {**tally["undo"], "rerunAfter": dict(tally["undo"]["rerunAfter"]),
                 "failed": dict(tally["undo"]["failed"])},
        "duplicatedResources": dict(duplicates), "failedProbes": len(failed_probes),
        "failedProbeSamples": failed_probes[:5], "probesAnswered": dict(answered),
        "faultsThrown": dict(sorted(thrown.items())), "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(report, indent=2))
    bad = tally["setup"]["failed"] or tally["undo"]["failed"] or duplicates or failed_probes
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
