"""tools/step_imports.py, the import contract `make lint` runs: no step folder imports another, layer7 none."""

from __future__ import annotations

from pathlib import Path

from tools.step_imports import violations


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"layer7/__init__.py": "", "layer7/shared.py": "import json\n", **files}.items():
        path = root / "lambdas" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "lambdas"


def test_steps_that_share_only_through_layer7_pass(tmp_path):
    lambdas = tree(tmp_path, {
        "undo/__init__.py": "",
        "undo/handler.py": "from layer7.shared import json\nfrom undo.logic import run\nfrom . import logic\n",
        "undo/logic.py": "import layer7.shared\n",
        "setup/__init__.py": "",
        "setup/logic.py": "from layer7 import shared\n",
    })
    assert violations(lambdas) == []


def test_a_step_importing_another_fails_also_lazily_and_so_does_layer7_importing_a_step(tmp_path):
    # Given an undo step that takes a setup step's code, once at the top and once inside a function
    lambdas = tree(tmp_path, {
        "setup/__init__.py": "",
        "setup/logic.py": "def shared_piece():\n    return 1\n",
        "undo/__init__.py": "",
        "undo/logic.py": "from setup.logic import shared_piece\n\n\ndef later():\n    import setup\n    return setup\n",
        "layer7/bad.py": "from undo import logic\n",
    })
    # Then each import is named with its file and line
    assert violations(lambdas) == [
        "lambdas/layer7/bad.py:1: layer7 imports the step undo (undo); move what they share into lambdas/layer7/",
        "lambdas/undo/logic.py:1: undo imports the step setup (setup.logic); move what they share into lambdas/layer7/",
        "lambdas/undo/logic.py:5: undo imports the step setup (setup); move what they share into lambdas/layer7/",
    ]
