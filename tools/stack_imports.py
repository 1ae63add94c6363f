"""The import contract of stacks/: its modules import one another in layers, never in a circle.

A circle (the stack importing a module that imports the stack back, even only
for type checking) means neither side can be read, changed or tested alone:
import-linter's "acyclic" idea, read from the source with ``ast`` (every
import, also those under ``if TYPE_CHECKING`` or inside functions).

    python -m tools.stack_imports    # exit 1 and one line per circle (make lint)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from stacks import paths

PACKAGE = "stacks"


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


def main() -> int:
    found = circles(Path(paths.PROJECT_ROOT) / PACKAGE)
    for circle in found:
        print(f"{PACKAGE}/: import circle " + " -> ".join(circle))
    if found:
        print(f"{len(found)} import circle(s) in {PACKAGE}/ (tools/stack_imports.py)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
