"""The installable CLI (pyproject.toml [project]): its entry point exists and
its declared dependencies cover what layer7ctl imports."""

from __future__ import annotations

import ast
import importlib
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_the_script_names_a_callable_main():
    module, _, attribute = PROJECT["scripts"]["layer7ctl"].partition(":")
    assert callable(getattr(importlib.import_module(module), attribute))


def test_dependencies_cover_every_third_party_import_of_the_cli():
    imported = set()
    for path in (ROOT / "layer7ctl").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"__future__", "layer7ctl"}
    declared = {Requirement(text).name for text in PROJECT["dependencies"]}
    assert third_party == declared == {"boto3", "botocore", "rich"}
