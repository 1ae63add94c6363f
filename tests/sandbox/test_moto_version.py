"""The sandbox refuses a moto its patches were not written for (no server started)."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement

from sandbox.aws import server

ROOT = Path(__file__).resolve().parents[2]


def test_the_pinned_moto_passes():
    server.check_moto_version(server.MOTO_VERSION)


@pytest.mark.parametrize(("installed", "found"), [("5.2.6", "moto 5.2.6 is installed"),
                                                  (None, "moto is not installed")])
def test_another_moto_is_refused_with_what_to_run(installed, found):
    with pytest.raises(server.MotoVersionError) as raised:
        server.check_moto_version(installed)
    assert str(raised.value) == (
        f"the sandbox needs moto 5.2.5 (sandbox/aws/*.py patch its internals), but {found}: "
        "run `make install` to install the locked versions"
    )


def test_start_checks_before_touching_moto(monkeypatch):
    monkeypatch.setattr(server, "installed_moto_version", lambda: "5.3.0")
    with pytest.raises(server.MotoVersionError, match="moto 5.3.0 is installed"):
        server.MotoSandbox().start()


def test_the_check_and_the_dev_requirements_name_one_version():
    pins = [Requirement(line.split("#", 1)[0]) for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
            if line.startswith("moto")]
    assert [str(pin.specifier) for pin in pins] == [f"=={server.MOTO_VERSION}"]
