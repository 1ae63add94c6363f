"""The CDK CLI the sandbox runs finds the project's venv and Node first (no server needed)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sandbox.aws import deploy


class FakeSandbox:
    account_id = "123456789012"
    region = "us-east-1"

    @staticmethod
    def client_env() -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": "http://localhost:1"}


def test_cli_path_starts_with_the_venv_then_the_pinned_node(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/local/bin:/usr/bin")
    path = deploy.cli_env(FakeSandbox())["PATH"].split(os.pathsep)
    assert path == [str(Path(sys.executable).parent), str(deploy.PROJECT / "node_modules" / ".bin"),
                    "/usr/local/bin", "/usr/bin"]
