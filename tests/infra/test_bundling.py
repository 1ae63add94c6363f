"""Real layers (pip, no Docker): each function within the 150 MB budget.

Builds the sandbox's platform (Python 3.11, x86_64), cached under
.cache/layers: a few seconds warm, about a minute cold.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.package_size import function_sizes, synthesize
from stacks import bundling, steps


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize(tmp_path_factory.mktemp("bundled"),
                      {"lambdaPythonVersion": "3.11", "lambdaArchitecture": "x86_64"})


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
        assert not (layer / ".complete").exists() and not (layer / "requirements.lock").exists()
    code = sizes[0].code_dir
    assert (code / "layer7" / "errors.py").exists()
    assert not any(code.glob("**/__pycache__")) and not (code / "tests").exists()


def test_common_dependencies_live_only_in_the_common_layer(bundled):
    layers = {layer.name: layer for size in function_sizes(bundled) for layer in size.layer_dirs}
    installed = {name: {info.name for info in (path / "python").glob("*.dist-info")} for name, path in layers.items()}
    common = next(infos for infos in installed.values() if any(i.startswith("pydantic-") for i in infos))
    for infos in installed.values():
        assert infos is common or not (infos & common)


def test_cache_key_covers_platform():
    keys = {bundling.layer_cache_key("milvus", architecture=arch, python_version=version)
            for arch in ("arm64", "x86_64") for version in ("3.11", "3.14")}
    assert len(keys) == 4


def test_default_synth_bundles_from_cache_without_docker(tmp_path, monkeypatch):
    """The default platform (3.14/arm64) synthesizes too; Docker is never needed."""
    monkeypatch.setenv("CDK_DOCKER", "/nonexistent/docker")
    outdir = synthesize(tmp_path, {})
    assert all(size.runtime == "python3.14" for size in function_sizes(outdir))
