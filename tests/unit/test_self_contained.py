"""The repository stands on its own: no file in it points at a path beside or above the clone.

A fresh clone in an empty folder has nothing next to it, so a link, a comment
or a test reading a sibling folder of the clone or a machine's own folders is
broken there.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A path out of the clone: up into a sibling folder, or this build machine's work and home folders.
SIBLING = "shared"  # the folder beside the clone this project grew up next to
OUTSIDE = re.compile(rf"\.\./{SIBLING}\b|(?<![\w.])/work/|/home/\w+/|/root/")


def tracked_text_files() -> list[Path]:
    # the developer's git, from PATH as make and CI find it
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout  # noqa: S607
    files = [ROOT / name for name in names.decode().split("\0") if name]
    generated = {".png", ".zip", ".lock"}  # images and hash locks: nothing a person wrote a path into
    return [f for f in files if f.is_file() and f.suffix not in generated and f.name != "package-lock.json"]


def test_no_tracked_file_refers_to_a_path_outside_the_repository():
    offenders = []
    for path in tracked_text_files():
        if path == Path(__file__).resolve():
            continue  # the patterns themselves
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        offenders += [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                      for n, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert offenders == []
