"""tools/stack_imports.py, the import contract `make lint` runs: no import circle in stacks/."""

from __future__ import annotations

from pathlib import Path

from stacks import paths
from tools.stack_imports import circles


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
