"""``python -m sandbox serve``: the sandbox left running until Ctrl-C (or SIGTERM), for trying it by hand.

A person who starts the workflow the other ways (``aws events put-events``, the operator CLI, a parent state
machine, a new certificate in the secret) needs to be told how to reach it, and copies of ``examples/`` with
the sandbox's host and secret (the originals' are placeholders for a real account).
"""

from __future__ import annotations

import json
import shlex
import signal
import threading
import time
from pathlib import Path
from typing import Any

from sandbox.cli.demo import SANDBOX_LAYER4_DRAIN_SECONDS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PARENT_STACK = "Layer7ParentPipelineExample"
# Measured on this project's 2-core machine with warm layer caches (README "Try it in the sandbox"); the
# "Ready in" line reports each start's own time.
TYPICAL_START_SECONDS = 30  # "Ready in 28.1 s" on 2 cores, 2026-12-01


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def write_examples(directory: Path, host: str, secret_arn: str) -> dict[str, Path]:
    """examples/' setup and undo inputs and events with the sandbox's host (and certificate secret, for setup)."""
    directory.mkdir(parents=True, exist_ok=True)
    ours: dict[str, Any] = {"host": host, "certificate": {"secretArn": secret_arn}}
    overrides = {"input": {**ours, "layer4DrainSeconds": SANDBOX_LAYER4_DRAIN_SECONDS}, "event": ours,
                 "undo-input": {"host": host}, "undo-event": {"host": host}}
    paths = {}
    for name, fields in overrides.items():
        data = json.loads((EXAMPLES / f"{name}.json").read_text())
        if name.endswith("event"):
            for entry in data:
                entry["Detail"] = json.dumps({**json.loads(entry["Detail"]), **fields})
        else:
            data.update(fields)
        paths[name] = directory / f"{name}.json"
        paths[name].write_text(json.dumps(data, indent=2) + "\n")
    return paths


def write_rotated_secret(directory: Path, host: str) -> Path:
    """A new certificate for ``host`` as the secret's JSON value, for ``put-secret-value`` (0600: it has a key)."""
    from sandbox.environment import Sandbox
    from testkit.certs import write_cert_dir

    write_cert_dir(directory / "rotated-certificate", host)
    path = directory / "rotated-secret.json"
    path.touch(mode=0o600)
    path.write_text(Sandbox.certificate_value(directory / "rotated-certificate"))
    return path


def deploy_parent_pipeline(sandbox: Any) -> str:
    """examples/parent_pipeline, deployed with the real CDK CLI next to the workflow."""
    from sandbox.aws.deploy import deploy_stack

    outputs = deploy_stack(sandbox.aws, context={"childStateMachineArn": sandbox.state_machine_arn,
                                                 "undoStateMachineArn": sandbox.undo_state_machine_arn},
                           outdir=sandbox.workdir / "parent-cdk.out", app_dir=EXAMPLES / "parent_pipeline",
                           skip_bootstrap=True, stacks=[PARENT_STACK])
    return outputs[PARENT_STACK]["ParentStateMachineArn"]


def run_serve(alb_delay: float = 3.0, certificate_rotation: bool = False, parent_pipeline: bool = False) -> int:
    from sandbox.environment import HOST, Sandbox, SandboxSettings

    signal.signal(signal.SIGTERM, _interrupt)
    settings = SandboxSettings(alb_delay=alb_delay, certificate_rotation=certificate_rotation)
    print("Starting the sandbox: local AWS, Kubernetes API, controller, Milvus, cdk bootstrap + deploy "
          f"(about {TYPICAL_START_SECONDS} s on 2 cores; the first run also builds the layers) ...", flush=True)
    started = time.monotonic()
    try:
        with Sandbox(settings) as sandbox:
            parent_arn = deploy_parent_pipeline(sandbox) if parent_pipeline else ""
            examples = write_examples(sandbox.workdir / "examples", HOST, sandbox.secret_arn)
            if certificate_rotation:
                examples["rotated"] = write_rotated_secret(sandbox.workdir / "examples", HOST)
            phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in sandbox.phases.items())
            print(f"Ready in {time.monotonic() - started:.1f} s ({phases}).", flush=True)
            print(_instructions(sandbox, HOST, examples, parent_arn), flush=True)
            threading.Event().wait()  # until Ctrl-C / SIGTERM
    except KeyboardInterrupt:
        print("\nStopped: every process the sandbox started has ended.", flush=True)
    return 0


def _instructions(sandbox: Any, host: str, examples: dict[str, Path], parent_arn: str) -> str:
    env = dict(sandbox.aws.client_env())
    env.update(MILVUS_LAYER7_STATE_MACHINE_ARN=sandbox.state_machine_arn, MILVUS_LAYER7_SECRET_ARN=sandbox.secret_arn,
               MILVUS_LAYER7_HOST=host, MILVUS_LAYER7_UNDO_STATE_MACHINE_ARN=sandbox.undo_state_machine_arn)
    if parent_arn:
        env["MILVUS_LAYER7_PARENT_ARN"] = parent_arn
    lines = ["", "Sandbox ready. In another shell, from the project directory:", ""]
    lines += [f"export {key}={shlex.quote(value)}" for key, value in env.items()]
    parent_input = shlex.quote(json.dumps({"host": host, "certificate": {"secretArn": sandbox.secret_arn}}))
    lines += [
        "",
        "Then start the workflow any of these ways (the examples below carry the sandbox's host and secret):",
        f"  aws events put-events --entries file://{examples['event']}",
        f"  aws stepfunctions start-execution --state-machine-arn $MILVUS_LAYER7_STATE_MACHINE_ARN "
        f"--input file://{examples['input']}",
        f"  python -m layer7ctl start --input {examples['input']} --follow",
        "  python -m layer7ctl start --follow          # {} input: the stack's host and certificate",
        "  python -m layer7ctl list",
    ]
    if parent_arn:
        lines.append(f"  aws stepfunctions start-execution --state-machine-arn $MILVUS_LAYER7_PARENT_ARN "
                     f"--input {parent_input}")
    lines += ["And the way back (the undo: Layer 4 back, the ALB away):",
              f"  python -m layer7ctl undo --input {examples['undo-input']} --follow",
              f"  aws events put-events --entries file://{examples['undo-event']}"]
    if sandbox.settings.certificate_rotation:
        lines += ["And with no one starting it: a new certificate in the secret starts a run by itself:",
                  f"  aws secretsmanager put-secret-value --secret-id $MILVUS_LAYER7_SECRET_ARN "
                  f"--secret-string file://{examples['rotated']}"]
    lines += ["", "Ctrl-C stops the sandbox."]
    return "\n".join(lines)
