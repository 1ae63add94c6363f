"""sandbox/setup.sh installs nginx as a good neighbour: it stops nothing, and
Debian's own nginx service never starts while it installs.

apt-get, id and every command that could stop a process are fakes on PATH
that record their calls; the script's two paths point into tmp_path.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "sandbox" / "setup.sh"
STOPPERS = ("pkill", "killall", "service", "systemctl", "invoke-rc.d", "nginx")

# apt-get logs its arguments; on install it records what policy-rc.d answers, as invoke-rc.d asks it.
FAKE_APT_GET = """#!/bin/sh
echo "apt-get $*" >> "$CALLS"
case "$*" in *install*)
  if [ -x "$SANDBOX_SETUP_POLICY_RC_D" ]; then
    "$SANDBOX_SETUP_POLICY_RC_D" nginx start; echo "policy-rc.d answered $?" >> "$CALLS"
  else
    echo "no policy-rc.d" >> "$CALLS"
  fi
  exit "${APT_INSTALL_EXIT:-0}";;
esac
"""


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, Path]:
    fakes = tmp_path / "bin"
    fakes.mkdir()
    _executable(fakes / "apt-get", FAKE_APT_GET)
    _executable(fakes / "id", "#!/bin/sh\necho 0\n")
    for name in STOPPERS[:-1]:  # never `nginx`: it would count as installed
        _executable(fakes / name, f'#!/bin/sh\necho "{name} $*" >> "$CALLS"\n')
    return {"bin": fakes, "calls": tmp_path / "calls", "policy": tmp_path / "policy-rc.d",
            "nginx": tmp_path / "nginx"}


def run_setup(machine: dict[str, Path], **env: str) -> subprocess.CompletedProcess[str]:
    environ = {"PATH": f"{machine['bin']}{os.pathsep}/usr/bin{os.pathsep}/bin", "CALLS": str(machine["calls"]),
               "SANDBOX_SETUP_POLICY_RC_D": str(machine["policy"]), "SANDBOX_SETUP_NGINX": str(machine["nginx"]),
               **env}
    # bash from the PATH built above: the fake machine's bin first
    return subprocess.run(["bash", str(SCRIPT)], env=environ, capture_output=True, text=True, check=False)  # noqa: S607


def calls(machine: dict[str, Path]) -> list[str]:
    return machine["calls"].read_text().splitlines() if machine["calls"].exists() else []


def test_installs_with_the_service_held_back_and_then_removes_its_policy(machine):
    result = run_setup(machine)
    assert result.returncode == 0, result.stderr
    assert calls(machine) == [
        "apt-get update -qq",
        "apt-get install -y -qq --no-install-recommends nginx",
        "policy-rc.d answered 101",
    ]
    assert not machine["policy"].exists()


def test_leaves_an_existing_policy_rc_d_as_it_is(machine):
    mine = "#!/bin/sh\n# the machine's own\nexit 0\n"
    _executable(machine["policy"], mine)
    mode = machine["policy"].stat().st_mode
    result = run_setup(machine)
    assert result.returncode == 0, result.stderr
    assert calls(machine)[-1] == "policy-rc.d answered 0"  # its answer, not ours
    assert machine["policy"].read_text() == mine and machine["policy"].stat().st_mode == mode


def test_a_failed_install_fails_and_still_removes_its_policy(machine):
    result = run_setup(machine, APT_INSTALL_EXIT="100")
    assert result.returncode == 100
    assert calls(machine)[-1] == "policy-rc.d answered 101"
    assert not machine["policy"].exists()


def test_an_installed_nginx_means_nothing_to_do(machine):
    _executable(machine["nginx"], "#!/bin/sh\n")
    result = run_setup(machine)
    assert result.returncode == 0 and calls(machine) == []


@pytest.mark.parametrize("case", ["fresh", "existing policy", "failed install", "installed"])
def test_never_stops_anything(machine, case):
    if case == "existing policy":
        _executable(machine["policy"], "#!/bin/sh\nexit 101\n")
    if case == "installed":
        _executable(machine["nginx"], "#!/bin/sh\n")
    run_setup(machine, APT_INSTALL_EXIT="100" if case == "failed install" else "0")
    assert [call for call in calls(machine) if call.split()[0] in STOPPERS] == []
