"""The import contract of lambdas/: each step is its own room, and what steps share lives in lambdas/layer7.

A step folder (``lambdas/<step>/``) may import itself, ``layer7`` and third-party packages, never another step
folder; ``layer7`` may import no step at all. Whoever edits one step then sees everything that depends on it: its
own folder, and through ``layer7`` whatever is shared on purpose. The same rule as import-linter's
"independence" contract (which the dev tools do not install), read from the source with ``ast``: every import,
also those inside functions (the lazy ones), not what happens to be imported at run time.

    python -m tools.step_imports    # exit 1 and one line per import that breaks the contract (make lint)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from stacks import paths

SHARED = "layer7"


def packages(lambdas_dir: Path) -> list[str]:
    """The top-level packages under lambdas/: every step folder and ``layer7``."""
    return sorted(path.name for path in lambdas_dir.iterdir()
                  if path.is_dir() and not path.name.startswith((".", "__")) and any(path.glob("*.py")))


def imported_modules(source: str, filename: str) -> list[tuple[int, str]]:
    """(line, module) for every absolute import in ``source``; relative imports stay inside their package."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def violations(lambdas_dir: Path) -> list[str]:
    """``path:line: <package> imports <step>`` for each import of one step folder from another, or from layer7."""
    names = packages(lambdas_dir)
    steps = set(names) - {SHARED}
    found: list[str] = []
    for package in names:
        for path in sorted((lambdas_dir / package).rglob("*.py")):
            for line, module in imported_modules(path.read_text(), str(path)):
                target = module.split(".", 1)[0]
                if target in steps and target != package:
                    where = path.relative_to(lambdas_dir.parent)
                    found.append(f"{where}:{line}: {package} imports the step {target} ({module}); "
                                 f"move what they share into lambdas/{SHARED}/")
    return found


def report(found: list[str], broken: str) -> int:
    """One line per import that breaks a contract, a count on stderr, and exit status 1 when there is any."""
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} import(s) {broken}", file=sys.stderr)
    return 1 if found else 0


def main() -> int:
    return report(violations(paths.LAMBDAS_DIR), "between step folders (tools/step_imports.py)")


if __name__ == "__main__":
    sys.exit(main())
