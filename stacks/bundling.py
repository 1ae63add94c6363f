"""Lambda code and dependency layers, built on this machine without Docker.

Why local: the CDK default (a Docker image per asset) needs a Docker daemon,
which CI and the sandbox do not have. ``pip install --platform ...
--only-binary=:all:`` fetches the manylinux wheels of the Lambda platform
instead, whatever this machine is.

How a layer is built (``PipLayerBundling``):

* ``common``: ``layers/common.txt`` alone.
* ``kubernetes`` / ``milvus``: ``layers/common.txt`` and the layer's own list
  resolved together, constrained to the exact versions the common layer
  resolved (``requirements.lock``, written before pruning; it also spares
  pip a long backtrack through botocore releases), then every distribution
  the common layer already holds at the same version is removed:
  each function loads ``common`` plus one of these, and a file in both would
  count twice against the size budget.
* boto3, botocore and s3transfer are removed: the Lambda runtime has them.
* Test suites of numpy and pandas, and ``kubernetes/aio`` (the asyncio client;
  the steps use the synchronous one) are pruned to keep VerifyGrpc and the
  Kubernetes steps under 150 MB unzipped.

The result is cached under ``.cache/layers/<sha256>``, the key covering the
requirement texts, architecture, Python version and this recipe's version, so
a re-synth copies a directory instead of calling pip. The asset hash is the
same key, so an unchanged layer is not even copied when ``cdk.out`` has it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from stacks import paths

# Bump when the recipe below changes: it is part of every cache key.
RECIPE_VERSION = "4"

PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer")
PRUNED_PATHS = ("kubernetes/aio", "pandas/tests", "bin")
PRUNED_TEST_TREES = ("numpy",)  # every */tests directory below these packages
_COMPLETE_MARKER = ".complete"
_LOCK_FILE = "requirements.lock"  # beside python/, never copied into the layer


def pip_platforms(architecture: str) -> list[str]:
    machine = "aarch64" if architecture == "arm64" else "x86_64"
    return [f"manylinux_2_28_{machine}", f"manylinux2014_{machine}"]


def layer_requirements(name: str) -> list[Path]:
    """The requirement files a layer is resolved from (see module docstring)."""
    own = paths.LAYERS_DIR / f"{name}.txt"
    return [own] if name == "common" else [paths.LAYERS_DIR / "common.txt", own]


def layer_cache_key(name: str, *, architecture: str, python_version: str) -> str:
    digest = hashlib.sha256()
    for part in (RECIPE_VERSION, name, architecture, python_version):
        digest.update(part.encode() + b"\0")
    for path in layer_requirements(name):
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class PipLayerBundling:
    """Builds one layer into ``<output>/python`` with pip, through the cache."""

    def __init__(self, *, name: str, architecture: str, python_version: str,
                 cache_root: Path = paths.LAYER_CACHE_DIR) -> None:
        self.name = name
        self.architecture = architecture
        self.python_version = python_version
        self.cache_root = cache_root

    @property
    def cache_dir(self) -> Path:
        key = layer_cache_key(self.name, architecture=self.architecture, python_version=self.python_version)
        return self.cache_root / key

    def try_bundle(self, output_dir: str, *_args: object, **_options: object) -> bool:
        self.ensure_built()
        shutil.copytree(self.cache_dir, output_dir, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(_COMPLETE_MARKER, _LOCK_FILE))
        return True

    def ensure_built(self) -> Path:
        """Build into the cache unless a complete build is already there."""
        target = self.cache_dir
        if (target / _COMPLETE_MARKER).exists():
            return target
        self.cache_root.mkdir(parents=True, exist_ok=True)
        # Build beside the cache and rename: a concurrent synth never sees half a layer.
        work = Path(tempfile.mkdtemp(prefix=f"{self.name}-", dir=self.cache_root))
        try:
            if self.name == "common":
                self._pip_install(work / "python")
                (work / _LOCK_FILE).write_text(freeze(work / "python"))
            else:
                common = PipLayerBundling(name="common", architecture=self.architecture,
                                          python_version=self.python_version,
                                          cache_root=self.cache_root).ensure_built()
                self._pip_install(work / "python", constraints=common / _LOCK_FILE)
                remove_shared_distributions(work / "python", common / "python")
            prune(work / "python")
            (work / _COMPLETE_MARKER).write_text(self.name)
            try:
                work.rename(target)
            except OSError:
                if not (target / _COMPLETE_MARKER).exists():
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return target

    def _pip_install(self, target: Path, constraints: Path | None = None) -> None:
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-input",
                   "--disable-pip-version-check", "--only-binary=:all:", "--no-compile",
                   "--implementation", "cp", "--python-version", self.python_version,
                   "--target", str(target)]
        for platform in pip_platforms(self.architecture):
            command += ["--platform", platform]
        for requirements in layer_requirements(self.name):
            command += ["-r", str(requirements)]
        if constraints is not None:
            command += ["-c", str(constraints)]
        result = subprocess.run(command, capture_output=True, text=True,
                                env={**os.environ, "PIP_NO_WARN_SCRIPT_LOCATION": "1"})
        if result.returncode != 0:
            raise RuntimeError(
                f"building layer '{self.name}' for python{self.python_version}/{self.architecture} failed "
                f"(pip exit {result.returncode}); are wheels published for this platform?\n{result.stderr[-4000:]}"
            )


def _installed(site: Path) -> dict[str, Path]:
    """``name-version`` of every distribution in a pip --target directory -> its dist-info."""
    return {info.name.removesuffix(".dist-info").lower(): info for info in site.glob("*.dist-info")}


def freeze(site: Path) -> str:
    """``name==version`` lines for every distribution in a pip --target directory."""
    lines = []
    for info in sorted(site.glob("*.dist-info")):
        name, _, version = info.name.removesuffix(".dist-info").partition("-")
        lines.append(f"{name}=={version}")
    return "\n".join(lines) + "\n"


def _remove_distribution(site: Path, dist_info: Path) -> None:
    """Remove exactly the files its RECORD lists (namespace packages such as
    ``google/`` are shared by several distributions), then empty directories."""
    record = dist_info / "RECORD"
    parents: set[Path] = set()
    if record.exists():
        for line in record.read_text().splitlines():
            relative = line.split(",", 1)[0]
            if not relative or relative.startswith(".."):
                continue
            path = site / relative
            path.unlink(missing_ok=True)
            parents.update(parent for parent in path.parents if parent != site and site in parent.parents)
    shutil.rmtree(dist_info, ignore_errors=True)
    for directory in sorted(parents, key=lambda p: len(p.parts), reverse=True):
        shutil.rmtree(directory / "__pycache__", ignore_errors=True)
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()


def remove_shared_distributions(site: Path, common_site: Path) -> None:
    """Drop what the common layer already has at the same version."""
    common = _installed(common_site)
    for name_version, dist_info in _installed(site).items():
        if name_version in common:
            _remove_distribution(site, dist_info)


def prune(site: Path) -> None:
    """Remove what the runtime provides and what no step imports (module docstring)."""
    for name_version, dist_info in _installed(site).items():
        if name_version.split("-", 1)[0].replace("-", "_") in PROVIDED_BY_RUNTIME:
            _remove_distribution(site, dist_info)
    for relative in PRUNED_PATHS:
        shutil.rmtree(site / relative, ignore_errors=True)
    for package in PRUNED_TEST_TREES:
        for tests in sorted((site / package).glob("**/tests"), reverse=True):
            shutil.rmtree(tests, ignore_errors=True)
    for cache in site.glob("**/__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


def layer_code(name: str, *, architecture: str, python_version: str, skip_bundling: bool) -> lambda_.Code:
    """A layer's asset: bundled by pip, or the marked placeholder for fast template tests."""
    if skip_bundling:
        return lambda_.Code.from_asset(str(paths.PLACEHOLDER_LAYER_DIR))
    bundler = PipLayerBundling(name=name, architecture=architecture, python_version=python_version)
    return lambda_.Code.from_asset(
        str(paths.LAYERS_DIR),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=layer_cache_key(name, architecture=architecture, python_version=python_version),
        bundling=BundlingOptions(
            local=bundler,
            # Never pulled: local bundling always succeeds or raises.
            image=DockerImage.from_registry("unused"),
        ),
    )


def function_code() -> lambda_.Code:
    """Every function's code: the whole ``lambdas/`` package tree, tests excluded."""
    return lambda_.Code.from_asset(str(paths.LAMBDAS_DIR), exclude=paths.CODE_EXCLUDES)
