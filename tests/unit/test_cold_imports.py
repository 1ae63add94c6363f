"""What a step's handler module must not import when it loads (issue 22: cold starts).

Each is needed on one path only, and imported there: pymilvus (grpcio, pandas, numpy) when VerifyGrpc dials,
cryptography's x509 when no fingerprint was recorded (layer7/served_certificate.py); and no step needs the
kubernetes package at all (layer7/kube.py speaks the API over urllib3). The dev venv has every one of them,
so an eager import shows here.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

NOT_AT_IMPORT = {
    "verify_grpc.handler": ("pymilvus", "grpc", "pandas", "numpy", "cryptography"),
    "check_drift.handler": ("pymilvus", "cryptography", "kubernetes"),
    "apply_ingress.handler": ("kubernetes",),
    "check_load_balancer.handler": ("kubernetes", "cryptography"),
}


@pytest.mark.parametrize(("module", "packages"), sorted(NOT_AT_IMPORT.items()))
def test_a_handler_module_loads_without_what_only_one_path_needs(module, packages):
    script = (f"import sys; import {module}; "
              f"print(','.join(sorted({{name.split('.')[0] for name in sys.modules}} & {set(packages)!r})))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": ":".join(sys.path), "AWS_DEFAULT_REGION": "us-east-1"})
    assert result.stdout.strip() == "", f"{module} imported {result.stdout.strip()} when it loaded"
