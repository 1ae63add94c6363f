"""Deploy a CDK app into the sandbox's moto with the real CDK CLI: exactly what `cdk deploy` deploys to an account.

The CLI bootstraps (CDKToolkit stack, asset bucket), uploads the Lambda code and layer assets to moto's S3 and
creates the stack through moto's CloudFormation. It must not reach real AWS or the internet: AWS_ENDPOINT_URL
points every SDK call at moto, credentials are fake, and version checks, notices and telemetry are off. PATH
starts with this interpreter's bin directory (`python3 app.py` runs in the project's venv), then the project's
node_modules/.bin (the CLI and the app's jsii run on the Node package.json pins, 24 LTS).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]
NODE_BIN = PROJECT / "node_modules" / ".bin"  # `node` and `cdk` after `npm ci`


class DeployError(RuntimeError):
    """The CDK CLI failed; the message ends with its output."""


def cdk_binary() -> list[str]:
    found = shutil.which("cdk", path=os.pathsep.join([str(NODE_BIN), os.environ.get("PATH", "")]))
    if found:
        return [found]
    raise DeployError("CDK CLI not found: run `npm install --no-audit --no-fund` in the project")


def cli_env(sandbox: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(sandbox.client_env())
    env.update({
        "CDK_DEFAULT_ACCOUNT": sandbox.account_id,
        "CDK_DEFAULT_REGION": sandbox.region,
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "CDK_CLI_TELEMETRY": "false",
        "AWS_EC2_METADATA_DISABLED": "true",
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), str(NODE_BIN), env.get("PATH", "/usr/bin:/bin")]),
    })
    return env


def _run(args: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> str:
    proc = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise DeployError(f"{' '.join(args[1:3])} failed (exit {proc.returncode}):\n{proc.stdout[-6000:]}")
    return proc.stdout


def _context_args(context: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for key, value in context.items():
        text = value if isinstance(value, str) else json.dumps(value)
        args += ["-c", f"{key}={text}"]
    return args


def bootstrap(sandbox: Any, *, outdir: Path, app_dir: Path, context: dict[str, Any], timeout: float) -> None:
    """`cdk bootstrap aws://ACCOUNT/REGION`.

    The CLI synthesizes the app for it too, into ``outdir``: into the default ``cdk.out`` it would hold the CLI's
    lock there, and a second sandbox starting beside this one (the e2e session's and ``serve``'s) would be refused
    ("Another CLI is currently synthing to cdk.out ... use '--output' to synth into different directories").
    """
    _run([*cdk_binary(), "bootstrap", f"aws://{sandbox.account_id}/{sandbox.region}",
          "--no-notices", "--no-version-reporting", "--output", str(outdir), *_context_args(context)],
         cwd=app_dir, env=cli_env(sandbox), timeout=timeout)


def deploy_stack(sandbox: Any, *, context: dict[str, Any], outdir: str | os.PathLike[str],
                 app_dir: str | os.PathLike[str] | None = None, stacks: list[str] | None = None,
                 skip_bootstrap: bool = False, timeout: float = 900) -> dict[str, dict[str, str]]:
    """Bootstrap, then `cdk deploy` the app into `sandbox`; returns stack name -> {output key: value}.

    The app is synthesized while `cdk bootstrap` runs (neither needs the other), and `cdk deploy --app <assembly>`
    deploys that cloud assembly, as a pipeline that synthesizes once does (CDK CLI reference: ``--app`` takes a
    directory holding a synthesized cloud assembly). `outdir` receives the assembly and `outputs.json`.
    """
    app = Path(app_dir or PROJECT)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    assembly = out / "assembly"
    synth = subprocess.Popen(
        [*cdk_binary(), "synth", *(stacks or ["--all"]), "--quiet", "--no-notices", "--no-version-reporting",
         "--output", str(assembly), *_context_args(context)],
        cwd=app, env=cli_env(sandbox), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        if not skip_bootstrap:
            bootstrap(sandbox, outdir=out / "bootstrap-assembly", app_dir=app, context=context, timeout=timeout)
        synth_output, _ = synth.communicate(timeout=timeout)
    finally:
        if synth.poll() is None:
            synth.kill()
            synth.communicate()
    if synth.returncode != 0:
        raise DeployError(f"cdk synth failed (exit {synth.returncode}):\n{synth_output[-6000:]}")
    outputs_file = out / "outputs.json"
    _run([*cdk_binary(), "deploy", *(stacks or ["--all"]), "--app", str(assembly), "--require-approval", "never",
          "--no-notices", "--no-version-reporting", "--progress", "events", "--outputs-file", str(outputs_file)],
         cwd=app, env=cli_env(sandbox), timeout=timeout)
    outputs = json.loads(outputs_file.read_text()) if outputs_file.exists() else {}
    _check_stacks(sandbox, stacks or list(outputs) or [])
    return outputs


def destroy_stack(sandbox: Any, *, assembly: str | os.PathLike[str], stacks: list[str], timeout: float = 600) -> None:
    """`cdk destroy --force` of the stacks a deploy put there, from its cloud assembly, as an operator's (README
    "Taking it down"): the CLI deletes the stack and waits until it is gone; ``--force`` answers its prompt."""
    _run([*cdk_binary(), "destroy", *stacks, "--force", "--app", str(assembly), "--no-notices",
          "--no-version-reporting"], cwd=PROJECT, env=cli_env(sandbox), timeout=timeout)


def _check_stacks(sandbox: Any, names: list[str]) -> None:
    """Fail loudly when a stack did not end complete (moto can leave it rolled back)."""
    cfn = sandbox.client("cloudformation")
    for name in names:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        status = stack["StackStatus"]
        if status.endswith("_COMPLETE") and "ROLLBACK" not in status and "DELETE" not in status:
            continue
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
        reasons = [e.get("ResourceStatusReason", "") for e in events if "FAILED" in e["ResourceStatus"]]
        raise DeployError(f"stack {name} is {status}: {'; '.join(r for r in reasons if r)}")
