"""tools/stack_imports.py, the import contract `make lint` runs: no import circle in stacks/."""

from __future__ import annotations

from pathlib import Path

from stacks import paths
from tools.stack_imports import circles, stray_imports


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"__init__.py": "", **files}.items():
        (root / name).write_text(text)
    return root


def test_modules_in_layers_pass(tmp_path):
    stacks = tree(tmp_path, {
        "stack.py": "from stacks import grants\nfrom stacks.arns import ArnPatterns\n",
        "grants.py": "import stacks.arns\nfrom aws_cdk import Stack\n",
        "arns.py": "from stacks import names\n",
        "names.py": "",
    })
    assert circles(stacks) == []


def test_a_circle_fails_also_through_a_type_checking_import(tmp_path):
    # Given the stack importing its grants, which import the stack back only for type checking
    stacks = tree(tmp_path, {
        "stack.py": "from stacks import grants, names\n",
        "grants.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from stacks.stack import Stack\n",
        "names.py": "",
    })
    # Then the circle is named, once
    assert circles(stacks) == [["grants", "stack", "grants"]]


def test_a_longer_circle_is_found(tmp_path):
    stacks = tree(tmp_path, {"a.py": "import stacks.b\n", "b.py": "from stacks import c\n",
                             "c.py": "def later():\n    from stacks.a import x\n"})
    assert circles(stacks) == [["a", "b", "c", "a"]]


def test_the_stacks_package_has_no_circle():
    assert circles(paths.PROJECT_ROOT / "stacks") == []


def project(root: Path, files: dict[str, str]) -> Path:
    base = {"app.py": "from stacks import stack\n", "stacks/__init__.py": "", "lambdas/layer7/__init__.py": "",
            "lambdas/layer7/env.py": "from __future__ import annotations\nimport os\n",
            "lambdas/layer7/aws.py": "import boto3\n", "lambdas/validate/handler.py": "from layer7 import aws\n",
            "stacks/runtime.py": 'SHARED = ("env",)\nfrom layer7 import env\n',
            "stacks/stack.py": "from stacks.runtime import env\n"}
    for name, text in {**base, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_cdk_code_through_its_door_to_standard_library_modules_passes(tmp_path):
    assert stray_imports(project(tmp_path, {})) == []


def test_the_cdk_code_past_its_door_or_a_door_module_beyond_the_standard_library_fails(tmp_path):
    # Given a stack module and app.py importing the Lambdas' code themselves, and a shared module taking boto3
    root = project(tmp_path, {
        "app.py": "import sys\nsys.path.insert(0, 'lambdas')\nfrom layer7.env import x\n",
        "stacks/grants.py": "def later():\n    import validate.handler\n",
        "lambdas/layer7/env.py": "import os\nfrom botocore.exceptions import ClientError\n",
    })
    # Then each import is named with its file and line
    assert stray_imports(root) == [
        "app.py:3: imports the Lambdas' layer7.env; take it through stacks/runtime.py",
        "stacks/grants.py:2: imports the Lambdas' validate.handler; take it through stacks/runtime.py",
        "lambdas/layer7/env.py:2: imports botocore.exceptions, but stacks/runtime.py loads this module into the "
        "CDK app: the standard library only",
    ]


def test_the_project_keeps_its_door():
    assert stray_imports(paths.PROJECT_ROOT) == []
