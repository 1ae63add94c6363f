"""Real layers (pip, no Docker): built from their locks, each function within the 150 MB budget.

Builds the sandbox's platform (Python 3.11, x86_64), cached under
.cache/layers: a few seconds warm, about a minute cold.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from benchmarks.package_size import STACK_FILE, function_sizes, layer_sizes, synthesize
from stacks import bundling, locks, paths, steps


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize(tmp_path_factory.mktemp("bundled"),
                      {"lambdaPythonVersion": "3.11", "lambdaArchitecture": "x86_64", "sandbox": "true"})


def test_every_function_within_budget(bundled):
    sizes = function_sizes(bundled)
    assert len(sizes) == len(steps.STEPS)
    for size in sizes:
        assert size.total_bytes <= steps.FUNCTION_SIZE_BUDGET_BYTES, size.name
        assert size.layer_bytes > 10 * 2**20, f"{size.name}: layers look empty"


def test_layers_hold_no_boto_and_code_no_tests(bundled):
    sizes = function_sizes(bundled)
    for layer in {layer for size in sizes for layer in size.layer_dirs}:
        site = layer / "python"
        assert not (site / "boto3").exists() and not (site / "botocore").exists()
        assert not (layer / ".complete").exists() and not (layer / "requirements.txt").exists()
    code = sizes[0].code_dir
    assert (code / "layer7" / "errors.py").exists() and not (code / "tests").exists()
    # bytecode only as the build wrote it: one unchecked-hash .pyc per shipped source, none left by local runs
    compiled = sorted(code.glob("**/__pycache__/*.pyc"))
    assert len(compiled) == len(list(code.glob("**/*.py"))) and all(_unchecked_hash(pyc) for pyc in compiled)


def _unchecked_hash(pyc: Path) -> bool:
    """PEP 552: the header's flags word is 0b01 for a hash-based .pyc that Python never checks against its source."""
    return int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01


def test_common_dependencies_live_only_in_the_common_layer(bundled):
    layers = {layer.name: layer for size in function_sizes(bundled) for layer in size.layer_dirs}
    installed = {name: {info.name for info in (path / "python").glob("*.dist-info")} for name, path in layers.items()}
    common = next(infos for infos in installed.values() if any(i.startswith("pydantic-") for i in infos))
    for infos in installed.values():
        assert infos is common or not (infos & common)


def test_each_layer_holds_exactly_its_lock_for_the_target(bundled):
    layers = layer_sizes(bundled)
    assert sorted(layer.name for layer in layers) == sorted(steps.LAYER_NAMES)
    for layer in layers:
        pins = locks.layer_pins(layer.name, architecture="x86_64", python_version="3.11")
        assert bundling.installed(layer.directory / "python") == {(pin.name, pin.version) for pin in pins}
        assert layer.matches_lock and layer.lock_sha256 == locks.sha256(locks.layer_lock(layer.name))


def test_cache_key_covers_platform():
    keys = {bundling.layer_cache_key("milvus", architecture=arch, python_version=version)
            for arch in ("arm64", "x86_64") for version in ("3.11", "3.14")}
    assert len(keys) == 4


def test_cache_key_follows_the_locks_not_the_requirement_files(tmp_path, monkeypatch):
    """A layer changes only when its lock does: the .txt is not part of the key,
    and common.lock is part of the others' (it decides what they leave out)."""
    layers = tmp_path / "layers"
    shutil.copytree(paths.LAYERS_DIR, layers)
    monkeypatch.setattr(paths, "LAYERS_DIR", layers)

    def keys() -> dict[str, str]:
        return {name: bundling.layer_cache_key(name, architecture="arm64", python_version="3.14")
                for name in steps.LAYER_NAMES}

    before = keys()
    with (layers / "milvus.txt").open("a") as txt:
        txt.write("# a comment changes no lock\n")
    assert keys() == before
    with (layers / "milvus.lock").open("a") as lock:
        lock.write("# a refreshed lock\n")
    after_milvus = keys()
    assert after_milvus["milvus"] != before["milvus"]
    assert after_milvus["common"] == before["common"]
    with (layers / "common.lock").open("a") as lock:
        lock.write("# a refreshed lock\n")
    assert all(key != after_milvus[name] for name, key in keys().items())


def test_default_synth_bundles_from_cache_without_docker(tmp_path, monkeypatch):
    """The default platform (3.14/arm64) synthesizes too; Docker is never needed. Without a python3.14 here
    the assets carry no bytecode, and the synth says so."""
    monkeypatch.setenv("CDK_DOCKER", "/nonexistent/docker")
    outdir = synthesize(tmp_path, {})
    assert all(size.runtime == "python3.14" for size in function_sizes(outdir))
    metadata = (outdir / f"{STACK_FILE.removesuffix('.template.json')}.metadata.json").read_text()
    assert ("milvus-layer7:NoBytecode" in metadata) == (bundling.bytecode_python("3.14") is None)


def test_bytecode_is_written_by_the_targets_own_python(tmp_path, monkeypatch):
    import sys

    assert bundling.bytecode_python(f"{sys.version_info.major}.{sys.version_info.minor}") == sys.executable
    # a name on the PATH that fails when run (as a pyenv shim for a Python it lacks) is no interpreter
    shim = tmp_path / "python3.99"
    shim.write_text("#!/bin/sh\nexit 127\n")
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    bundling.bytecode_python.cache_clear()
    try:
        assert bundling.bytecode_python("3.99") is None and bundling.bytecode_tag("3.99") == "source-only"
    finally:
        bundling.bytecode_python.cache_clear()


def test_a_layer_is_staged_as_its_zip_holding_only_python(bundled):
    """The CDK uploads a single-archive bundle as it is, instead of zipping the directory on every deploy."""
    resources = json.loads((bundled / STACK_FILE).read_text())["Resources"]
    staged = [bundled / r["Metadata"]["aws:asset:path"] for r in resources.values()
              if r["Type"] == "AWS::Lambda::LayerVersion"]
    assert len(staged) == len(steps.LAYER_NAMES)
    for archive in staged:
        assert archive.is_file() and archive.suffix == ".zip", archive
        with zipfile.ZipFile(archive) as zipped:
            assert all(name.startswith("python/") for name in zipped.namelist())


def test_a_layer_zip_depends_only_on_its_files(tmp_path):
    site = tmp_path / "site"
    (site / "pkg").mkdir(parents=True)
    (site / "pkg" / "mod.py").write_text("VALUE = 1\n")
    bundling.write_archive(site, tmp_path / "first.zip")
    os.utime(site / "pkg" / "mod.py", (0, 0))  # another build, another time: the same bytes
    bundling.write_archive(site, tmp_path / "second.zip")
    assert (tmp_path / "first.zip").read_bytes() == (tmp_path / "second.zip").read_bytes()
    (site / "pkg" / "mod.py").write_text("VALUE = 2\n")
    bundling.write_archive(site, tmp_path / "third.zip")
    assert (tmp_path / "third.zip").read_bytes() != (tmp_path / "first.zip").read_bytes()


# What no layer may hold (issue 22): the kubernetes package and what only it needed (layer7/kube.py speaks the
# API over urllib3), its asyncio client's aiohttp and that one's dependencies, and what the runtime provides.
LAYERS_MUST_NOT_HOLD = ("kubernetes", "aiohttp", "aiohappyeyeballs", "aiosignal", "frozenlist", "multidict",
                        "propcache", "yarl", "requests_oauthlib", "oauthlib", "websocket", "yaml", "durationpy",
                        "boto3", "botocore", "s3transfer")
# The Lambda platforms a layer is built for: the default deploy's, and the sandbox's.
LAYER_TARGETS = [("arm64", "3.14"), ("x86_64", "3.11")]


def _built(name: str, architecture: str, python_version: str) -> Path:
    return bundling.PipLayerBundling(name=name, architecture=architecture,
                                     python_version=python_version).ensure_built() / "python"


@pytest.mark.parametrize(("architecture", "python_version"), LAYER_TARGETS)
@pytest.mark.parametrize("name", steps.LAYER_NAMES)
def test_no_layer_holds_what_no_step_imports(name, architecture, python_version):
    site = _built(name, architecture, python_version)
    distributions = {info.name.split("-", 1)[0].lower() for info in site.glob("*.dist-info")}
    top_level = {path.name.lower() for path in site.iterdir()}
    held = [package for package in LAYERS_MUST_NOT_HOLD
            if package in top_level or package.replace("-", "_") in distributions
            or f"{package}.py" in top_level]
    assert held == [], f"layer {name} ({python_version}/{architecture}) holds {held}"


def _manylinux_glibc(platform_tag: str) -> tuple[int, int] | None:
    """The glibc a wheel's platform tag needs (PEP 600, and the legacy aliases of PEPs 513, 571, 599); None for
    a tag that is not manylinux."""
    legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
    for alias, glibc in legacy.items():
        if platform_tag.startswith(alias + "_"):
            return glibc
    if platform_tag.startswith("manylinux_"):
        major, minor = platform_tag.split("_")[1:3]
        return int(major), int(minor)
    return None


@pytest.mark.parametrize(("architecture", "python_version"), LAYER_TARGETS)
@pytest.mark.parametrize("name", steps.LAYER_NAMES)
def test_every_wheel_in_a_layer_loads_on_its_runtimes_glibc(name, architecture, python_version):
    """Each installed wheel's WHEEL file names its tags; one of them must fit the target: pure Python, or
    manylinux for the target's machine at most at the runtime's glibc (Amazon Linux 2023's 2.34 for python3.12
    and later; 3.11 is the sandbox's, stacks/bundling.py), for this CPython."""
    site = _built(name, architecture, python_version)
    machine = "aarch64" if architecture == "arm64" else "x86_64"
    limit = bundling.layer_glibc(python_version)
    assert limit == ((2, 34) if python_version != "3.11" else (2, 28))
    minor = int(python_version.split(".")[1])
    wheels = sorted(site.glob("*.dist-info/WHEEL"))
    assert wheels, f"layer {name} holds no wheel"
    for wheel in wheels:
        tags = [line.split(":", 1)[1].strip() for line in wheel.read_text().splitlines() if line.startswith("Tag:")]

        def fits(tag: str) -> bool:
            interpreter, abi, platform_tag = tag.split("-")
            if platform_tag == "any":
                return True
            glibc = _manylinux_glibc(platform_tag)
            return (glibc is not None and glibc <= limit and platform_tag.endswith("_" + machine)
                    and (interpreter == f"cp3{minor}" or (abi == "abi3" and interpreter.startswith("cp3")
                                                            and int(interpreter[3:]) <= minor)))

        assert any(fits(tag) for tag in tags), f"{wheel.parent.name} in layer {name}: {tags} for {limit}/{machine}"


@pytest.fixture(scope="module")
def lambda_runtime_packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the Lambda Python runtime adds to the layers: the SDK and what it requires (locks.RUNTIME_SDK_MODULES),
    from this venv."""
    return locks.link_runtime_sdk(tmp_path_factory.mktemp("runtime"))


@pytest.mark.parametrize("step", steps.STEPS, ids=lambda step: step.name)
def test_every_handler_imports_from_its_own_layers_alone(step, lambda_runtime_packages, bundled):
    """As on Lambda: the code, the step's layers and the runtime's SDK, no site-packages (``python -S``). The
    sandbox runs the functions with this venv, which has every package, so a step whose layers lack a package
    it imports (VerifyGrpc, CheckDnsChange, VerifyLayer4 and DeleteCertificate lacked kubernetes through
    layer7.handlers before issue 22) fails only here and on AWS."""
    import subprocess
    import sys

    machine = {"x86_64": "x86_64", "aarch64": "arm64"}[os.uname().machine]
    python_version = f"{sys.version_info.major}.{sys.version_info.minor}"
    layers = [str(_built(name, machine, python_version)) for name in step.layers]
    code = next(size.code_dir for size in function_sizes(bundled) if size.handler == step.handler)
    shipped = [str(code), *layers]
    module = step.handler.rsplit(".", 1)[0]
    # what the import loaded from the code and layers without a .pyc beside it (compiled at every cold start)
    script = (f"import sys, os; sys.path[:0] = {[*shipped, str(lambda_runtime_packages)]!r}; import {module}; "
              f"print([m.__spec__.origin for m in list(sys.modules.values()) if getattr(m, '__spec__', None) "
              f"and (m.__spec__.origin or '').endswith('.py') and m.__spec__.origin.startswith({tuple(shipped)!r}) "
              f"and not os.path.exists(m.__spec__.cached or '')])")
    result = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True,
                            cwd=lambda_runtime_packages,
                            env={"AWS_DEFAULT_REGION": "us-east-1", "PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, f"{step.name}: {result.stderr.strip().splitlines()[-1:]}"
    # issue 22: Lambda's /opt and /var/task take no bytecode at run time, so a cold start compiles each of these
    # (bundling.BYTECODE_GLOBS names what a layer ships compiled)
    assert result.stdout.strip() == "[]", f"{step.name} imports without shipped bytecode: {result.stdout}"
