"""The one door between the CDK code and the Lambdas' code: the few names both sides must spell the same.

The stack writes what the functions read, so some words have one home in the
Lambdas' shared package, ``lambdas/layer7/`` (which every function's zip
holds): the contract's error names (``errors``, for Retry and Catch), the
functions' environment (``environment.FunctionEnvironment``), the marks of
what the workflow owns (``ownership``, for IAM conditions) and the run lock's
table (``run_lock_table``). Those four modules import only the standard
library, so this module loads each from its file, under its own name
(``layer7.<module>``), and nothing else of the runtime reaches the CDK app: no
``lambdas/`` on ``sys.path``, no boto3 or Powertools at synth. A process that
already imported one of them (a test with ``lambdas/`` on its path) gets that
same module, so a model built by the stack compares equal to one a handler
reads. ``tools/stack_imports.py`` (``make lint``) keeps every other module of
``stacks/`` and ``app.py`` from importing ``layer7``, and these four modules
to the standard library.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType
from typing import TYPE_CHECKING

from stacks.paths import LAMBDAS_DIR

PACKAGE = "layer7"
SHARED = ("errors", "environment", "ownership", "run_lock_table")


def load(name: str) -> ModuleType:
    """``layer7.<name>`` as already imported, else loaded from ``lambdas/layer7/<name>.py``
    (importlib's "Importing a source file directly" recipe)."""
    qualified = f"{PACKAGE}.{name}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(qualified, LAMBDAS_DIR / PACKAGE / f"{name}.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"{qualified}: no {LAMBDAS_DIR / PACKAGE / name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:  # the type checker reads the same files, through mypy_path = "lambdas"
    from layer7 import errors, ownership, run_lock_table
    from layer7.environment import FunctionEnvironment
else:
    errors, environment, ownership, run_lock_table = (load(name) for name in SHARED)
    FunctionEnvironment = environment.FunctionEnvironment

__all__ = ["FunctionEnvironment", "errors", "ownership", "run_lock_table"]
