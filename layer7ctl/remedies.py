"""What to do about each contract error, as the README's error table says.

The README's table is the source people read; tests/unit/test_layer7ctl.py
checks that this copy says the same, so ``follow`` never gives stale advice.
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def load_remedies(readme: Path = README) -> dict[str, str]:
    """Error name -> the README's "what to do" cell."""
    try:
        text = readme.read_text()
    except OSError:
        return {}
    section = text.split("## Errors and what to do", 1)[-1].split("\n## ", 1)[0]
    remedies = {}
    for line in section.splitlines():
        match = re.match(r"^\| `(\w+)` \| .*? \| (.*) \|$", line)
        if match:
            remedies[match.group(1)] = match.group(2).strip()
    return remedies


def remedy_for(error: str | None) -> str | None:
    return load_remedies().get(error or "")
