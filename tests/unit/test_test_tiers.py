"""tools/test_tiers.py: lanes run side by side, each tier's output whole, and a failed tier fails the whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.test_tiers import TierRunner


def write_tier(root: Path, name: str, body: str) -> str:
    tier = root / name
    tier.mkdir()
    (tier / f"test_{name}.py").write_text(body)
    return str(tier)


def test_every_tier_runs_after_one_fails_and_the_status_names_it(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    passing = write_tier(tmp_path, "quick", "def test_ok():\n    print('QUICK-RAN')\n")
    failing = write_tier(tmp_path, "broken", "def test_bad():\n    assert False, 'BROKEN-RAN'\n")
    later = write_tier(tmp_path, "later", "def test_ok():\n    pass\n")
    runner = TierRunner(["-q", "-s", "-p", "no:cacheprovider"])

    status = runner.run((((failing, passing), (later,)),))

    out = capsys.readouterr().out
    assert status == 1 and runner.failed == [failing]
    assert "QUICK-RAN" in out and "BROKEN-RAN" in out  # the tier after the failed one in its lane still ran
    assert out.rstrip().endswith(f"failed tiers: {failing}")
    for tier in (passing, failing, later):  # each tier's block starts with its header, never split by another
        block = out.split(f"== {tier} (")[1].split("\n== ")[0]
        assert block.count("passed") + block.count("failed") >= 1


def test_all_passing_is_status_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tier = write_tier(tmp_path, "quick", "def test_ok():\n    pass\n")
    assert TierRunner(["-q", "-p", "no:cacheprovider"]).run((((tier,),),)) == 0
    assert "failed tiers" not in capsys.readouterr().out


def test_every_e2e_module_runs_in_exactly_one_lane() -> None:
    from tools.test_tiers import E2E_LANES, ROOT, pytest_paths

    modules = sorted(f"tests/e2e/{path.name}" for path in (ROOT / "tests" / "e2e").glob("test_*.py"))
    first, second = (pytest_paths(lane) for lane in E2E_LANES)
    assert sorted(first + second) == modules and not set(first) & set(second)
    # the journeys that start the command line's own sandboxes share a lane, and the other lane is not empty
    assert {"tests/e2e/test_demo_cli.py", "tests/e2e/test_sandbox_serve.py"} <= set(first) and second
    assert pytest_paths("tests/unit") == ["tests/unit"]
