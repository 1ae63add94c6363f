"""The import contract of the CDK code: no circle in stacks/, and one door to the Lambdas' code.

A circle (the stack importing a module that imports the stack back, even only
for type checking) means neither side can be read, changed or tested alone:
import-linter's "acyclic" idea. The CDK code (``app.py``, ``stacks/``) reaches
the Lambdas' packages only through ``stacks/runtime.py``, and what that door
loads imports only the standard library (it runs at synth, outside any
Lambda). Read from the source with ``ast``: every import, also those under
``if TYPE_CHECKING`` or inside functions.

    python -m tools.stack_imports    # exit 1 and one line per circle or stray import (make lint)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from stacks import paths
from tools.step_imports import imported_modules, packages, report

PACKAGE = "stacks"
DOOR = "runtime"  # stacks/runtime.py


def imports(stacks_dir: Path) -> dict[str, set[str]]:
    """Each module of the package (by file stem) and the package's modules it imports."""
    modules = {path.stem for path in stacks_dir.glob("*.py") if path.stem != "__init__"}
    graph: dict[str, set[str]] = {}
    for name in sorted(modules):
        found: set[str] = set()
        for node in ast.walk(ast.parse((stacks_dir / f"{name}.py").read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # ``from stacks import grants`` names a module; ``from stacks.grants import x`` a module's member
                targets = ([f"{node.module}.{alias.name}" for alias in node.names] if node.module == PACKAGE
                           else [node.module])
            for target in targets:
                parts = target.split(".")
                if parts[0] == PACKAGE and len(parts) > 1 and parts[1] in modules and parts[1] != name:
                    found.add(parts[1])
        graph[name] = found
    return graph


def circles(stacks_dir: Path) -> list[list[str]]:
    """One circle per group of modules that reach one another, as the path ``a -> b -> ... -> a``."""
    graph = imports(stacks_dir)
    found: list[list[str]] = []
    seen: set[str] = set()
    for start in sorted(graph):
        if start in seen:
            continue
        # depth-first from start; a path back to start is a circle
        stack: list[tuple[str, list[str]]] = [(start, [start])]
        visited: set[str] = set()
        while stack:
            node, path = stack.pop()
            for target in sorted(graph[node]):
                if target == start:
                    found.append([*path, start])
                    seen.update(path)
                    stack.clear()
                    break
                if target not in visited:
                    visited.add(target)
                    stack.append((target, [*path, target]))
    return found


def stray_imports(root: Path) -> list[str]:
    """``path:line: ...`` for each import of a ``lambdas/`` package by the CDK code but its door, and each import
    beyond the standard library in a module the door loads."""
    runtime = set(packages(root / "lambdas"))
    found: list[str] = []
    cdk_code = [root / "app.py", *sorted((root / PACKAGE).glob("*.py"))]
    for path in cdk_code:
        if path == root / PACKAGE / f"{DOOR}.py" or not path.exists():
            continue
        for line, module in imported_modules(path.read_text(), str(path)):
            if module.split(".", 1)[0] in runtime:
                found.append(f"{path.relative_to(root)}:{line}: imports the Lambdas' {module}; "
                             f"take it through {PACKAGE}/{DOOR}.py")
    door = root / PACKAGE / f"{DOOR}.py"
    if door.exists():
        shared = ast.literal_eval(next(node.value for node in ast.parse(door.read_text()).body
                                       if isinstance(node, ast.Assign)
                                       and [getattr(target, "id", "") for target in node.targets] == ["SHARED"]))
        for name in shared:
            path = root / "lambdas" / "layer7" / f"{name}.py"
            for line, module in imported_modules(path.read_text(), str(path)):
                top = module.split(".", 1)[0]
                if top != "__future__" and top not in sys.stdlib_module_names:
                    found.append(f"{path.relative_to(root)}:{line}: imports {module}, but {PACKAGE}/{DOOR}.py "
                                 f"loads this module into the CDK app: the standard library only")
    return found


def main() -> int:
    found = [f"{PACKAGE}/: import circle " + " -> ".join(circle) for circle in circles(paths.PROJECT_ROOT / PACKAGE)]
    found += stray_imports(paths.PROJECT_ROOT)
    return report(found, "breaking the CDK code's contract (tools/stack_imports.py)")


if __name__ == "__main__":
    sys.exit(main())
