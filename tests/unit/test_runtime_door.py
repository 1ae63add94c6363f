"""stacks/runtime.py, the CDK code's one door to the Lambdas' code: the same modules, nothing more."""

from __future__ import annotations

import os
import subprocess
import sys

from stacks import paths


def test_a_process_with_lambdas_on_its_path_gets_the_very_modules_the_handlers_import():
    # Given this process, which has lambdas/ on its path (pytest's pythonpath), importing both sides
    from layer7 import environment, errors
    from stacks import runtime
    # Then the stack's FunctionEnvironment is the handlers' class, so what one writes the other compares equal to
    assert runtime.FunctionEnvironment is environment.FunctionEnvironment
    assert runtime.errors is errors


def test_the_cdk_code_loads_the_shared_modules_without_lambdas_on_its_path_and_nothing_else_of_the_runtime():
    # Given a fresh interpreter in the project root, with no PYTHONPATH (as `cdk synth` runs app.py)
    script = ("import sys; import stacks.runtime as r; "
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('layer7', 'boto3', 'botocore', "
              "'aws_lambda_powertools', 'pydantic'))); print(r.errors.CONTRACT_ERROR_NAMES[0])")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", script], cwd=paths.PROJECT_ROOT, env=env, capture_output=True,
                            text=True, check=True)
    # Then the four shared modules are loaded under their own names, and no other runtime package
    loaded, first_error = result.stdout.splitlines()
    assert loaded == str(["layer7.environment", "layer7.errors", "layer7.ownership", "layer7.run_lock_table"])
    assert first_error == "InvalidInput"
