"""layer7ctl as an operator runs it against the sandbox: its own process, the sandbox's AWS, nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_layer7ctl(box: Any, *args: str, aws_files: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m layer7ctl ARGS`` with the sandbox's endpoint and keys, none of this machine's AWS settings; with
    ``aws_files`` (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE), no keys or region in the environment but those
    files: what a profile gives."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MILVUS_LAYER7_"))}
    env.update(aws_files or {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                             "AWS_DEFAULT_REGION": "us-east-1"}, AWS_ENDPOINT_URL=box.aws.endpoint)
    return subprocess.run([sys.executable, "-m", "layer7ctl", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=240, check=False)
