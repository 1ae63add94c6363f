"""`make bench` runs each benchmark as a script, with nothing on PYTHONPATH: each must find its own imports.

pytest puts lambdas/ on sys.path for the tests (pyproject.toml), so a script
that forgot it still imports fine under a test and only fails under make.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def bench_scripts() -> list[str]:
    recipe = re.search(r"^bench:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert recipe, "the Makefile has a bench target"
    return re.findall(r"(benchmarks/\S+\.py)", recipe.group(1))


def test_make_bench_runs_the_benchmarks():
    assert len(bench_scripts()) >= 4


@pytest.mark.parametrize("script", bench_scripts())
def test_each_benchmark_starts_as_make_runs_it(script):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, script, "--help"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
