"""Lambda code and dependency layers, built on this machine without Docker.

Why local: the CDK default (a Docker image per asset) needs a Docker daemon,
which CI and the sandbox do not have. ``pip install --platform ...
--only-binary=:all:`` fetches the manylinux wheels of the Lambda platform
instead, whatever this machine is.

Which manylinux wheels: those the runtime's glibc loads (``layer_glibc``).
The Lambda runtimes page (docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html)
pairs python3.12 and later with Amazon Linux 2023, whose glibc is 2.34 (AL2023
user guide, "Core toolchain packages glibc, gcc, binutils"), and python3.11
with Amazon Linux 2, whose glibc is 2.26. The locked numpy publishes no
wheel for glibc 2.26 (its oldest is manylinux_2_27 for cp311), so a
python3.11 stack is refused for AWS (stacks/config.py) and a 3.11 layer
serves the sandbox only, built for glibc 2.28 (the machine it runs on needs
that or newer, as before issue 22).

What a layer holds is fixed by its lock, ``layers/<name>.lock`` (``make lock``
writes them with uv: exact versions, every file's sha256), and nothing else:
pip installs it with ``--require-hashes --no-deps``, so it resolves nothing and
a layer changes only when its lock does.

How a layer is built (``PipLayerBundling``):

* Its lock's entries for the target (``stacks/locks.py``: the locks are
  universal, serving Lambda's 3.14 on arm64 or x86_64 and the sandbox's 3.11
  on x86_64, and their markers are evaluated for the target, not by pip).
* ``milvus``: its lock holds the common layer's packages
  too (``make lock`` resolves them together with ``layers/common.txt``,
  constrained to ``common.lock``); whatever ``common.lock`` pins at the same
  version is left out: VerifyGrpc loads ``common`` plus ``milvus``, and
  a file in both would count twice against the size budget. (The Kubernetes
  steps need no layer of their own: layer7/kube.py speaks the API over urllib3.)
* boto3, botocore and s3transfer are left out: the Lambda runtime has them.
* Test suites of numpy and pandas are pruned to keep VerifyGrpc under 150 MB
  unzipped.

Bytecode (issue 22): Lambda's /opt and /var/task are read-only, so a module
shipped as source is compiled again at every cold start, where the runtime's
SDK comes compiled. A layer ships ``__pycache__`` for what the handlers'
import loads from it (``BYTECODE_GLOBS``), and the code asset for all of
``lambdas/``, written by an interpreter of the target Python
(``bytecode_python``: this one, or ``python3.<minor>`` on the PATH) in
``unchecked-hash`` mode (PEP 552), so the zip's fixed timestamps never make
Python distrust it. Only what a cold import loads: bytecode for the whole
milvus layer (pymilvus, pandas, numpy) would add about 20 MB to VerifyGrpc's
150 MB budget, for an import that happens once per environment, lazily,
inside the verification. Without such an interpreter the assets ship source
only, as before, and the stack says so in a warning.

The result is cached under ``.cache/layers/<sha256>``, the key covering the
lock's bytes (for ``milvus`` ``common.lock``'s as well: it
decides what is left out), architecture, Python version, the glibc its wheels may need, whether it carries
bytecode and this recipe's version, so a re-synth copies a file instead of calling pip. The asset
hash is the same key, so an unchanged layer is not even copied when
``cdk.out`` has it.

The bundle is the layer's zip (``layer.zip`` beside ``python/`` in the
cache, written once, deterministically: sorted names, fixed timestamps), not
its directory: the CDK uses a bundling output that is a single archive as it
is (``BundlingOutput.ARCHIVED``), where it would zip a directory of 30 to 100
MB again on every deploy whose asset is not in the bucket yet.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, BundlingOutput, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from packaging.utils import canonicalize_name

from stacks import locks, paths

# Bump when the recipe below changes: it is part of every cache key.
RECIPE_VERSION = "7"

PRUNED_PATHS = ("pandas/tests", "bin")
PRUNED_TEST_TREES = ("numpy",)  # every */tests directory below these packages
_COMPLETE_MARKER = ".complete"
_PIP_INPUT = "requirements.txt"  # what pip installed, beside python/, never copied into the layer
ARCHIVE = "layer.zip"  # the layer as deployed: python/ zipped
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: the same bytes from the same files


# What a layer ships bytecode for: each glob (relative to python/) covers a package some handler's import loads
# from that layer (tests/infra/test_bundling.py proves every such module has its .pyc). Lambda compiles the rest,
# if ever imported, at run time, as it does today.
BYTECODE_GLOBS: dict[str, tuple[str, ...]] = {
    "common": (
        "annotated_types/*.py", "typing_extensions.py", "typing_inspection/*.py", "jmespath/*.py",
        "pydantic/*.py", "pydantic/_internal/*.py", "pydantic/plugin/*.py", "pydantic_core/*.py",
        "aws_lambda_powertools/*.py", "aws_lambda_powertools/exceptions/*.py", "aws_lambda_powertools/warnings/*.py",
        "aws_lambda_powertools/logging/**/*.py", "aws_lambda_powertools/metrics/**/*.py",
        "aws_lambda_powertools/shared/*.py", "aws_lambda_powertools/tracing/*.py",
        "aws_lambda_powertools/utilities/*.py", "aws_lambda_powertools/utilities/typing/*.py",
        "aws_lambda_powertools/utilities/jmespath_utils/*.py",
        "cryptography/**/*.py",
    ),
    # its copies of what the runtime's SDK imports (pymilvus pins them), loaded first from the layer
    "milvus": ("certifi/*.py", "dateutil/**/*.py", "six.py", "urllib3/**/*.py"),
}

# The glibc (major, minor) a layer's wheels may need (module docstring).
AMAZON_LINUX_2023_GLIBC = (2, 34)  # Lambda's python3.12 and later
SANDBOX_GLIBC = (2, 28)  # python3.11: the sandbox only (Lambda's python3.11 is Amazon Linux 2, glibc 2.26)
_OLDEST_MANYLINUX_GLIBC_MINOR = 5  # manylinux1 is glibc 2.5


def layer_glibc(python_version: str) -> tuple[int, int]:
    """The newest glibc a layer for ``python<version>`` may need: Amazon Linux 2023's, or the sandbox's for 3.11."""
    major, minor = (int(part) for part in python_version.split(".")[:2])
    return AMAZON_LINUX_2023_GLIBC if (major, minor) >= (3, 12) else SANDBOX_GLIBC


def pip_platforms(architecture: str, python_version: str) -> list[str]:
    """Every manylinux platform ``layer_glibc`` loads, newest first (pip prefers the first that has a wheel).

    Spelled out, ``manylinux_2_<n>`` for every n: pip widens only ``manylinux2014`` and ``manylinux2010`` to the
    older levels, never a ``manylinux_2_<n>`` it is given, and some wheels carry only one of the spellings.
    """
    machine = "aarch64" if architecture == "arm64" else "x86_64"
    glibc_major, glibc_minor = layer_glibc(python_version)
    return [f"manylinux_{glibc_major}_{minor}_{machine}"
            for minor in range(glibc_minor, _OLDEST_MANYLINUX_GLIBC_MINOR - 1, -1)] + [
        f"manylinux2014_{machine}", f"manylinux2010_{machine}", f"manylinux1_{machine}"]


@functools.cache
def bytecode_python(python_version: str) -> str | None:
    """An interpreter of ``python_version`` on this machine, to write the assets' bytecode, or None."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == python_version:
        return sys.executable
    candidate = shutil.which(f"python{python_version}")
    if candidate is None:
        return None
    try:  # a pyenv shim answers to the name and fails when run: ask it
        answer = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return candidate if answer.returncode == 0 and answer.stdout.strip() == python_version else None


def bytecode_tag(python_version: str) -> str:
    """What the assets carry: part of every cache key and asset hash."""
    return f"bytecode-{python_version}" if bytecode_python(python_version) else "source-only"


def compile_bytecode(root: Path, files: list[Path], python_version: str) -> None:
    """``__pycache__`` beside each file, written by the target's interpreter, trusted without its source's
    timestamp (``unchecked-hash``: the zip's times are fixed, and /opt never changes under a running function)."""
    interpreter = bytecode_python(python_version)
    if interpreter is None or not files:
        return
    listing = root.parent / f"{root.name}.bytecode-files"
    listing.write_text("".join(f"{path}\n" for path in files))
    try:
        result = subprocess.run([interpreter, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash",
                                 "-i", str(listing)], capture_output=True, text=True)
    finally:
        listing.unlink(missing_ok=True)
    if result.returncode != 0:
        raise RuntimeError(f"compiling bytecode for python{python_version} under {root} failed:\n"
                           f"{(result.stdout + result.stderr)[-4000:]}")


def _key_locks(name: str) -> list[Path]:
    """The locks that decide a layer's content (module docstring)."""
    return [locks.layer_lock(name)] if name == "common" else [locks.layer_lock("common"), locks.layer_lock(name)]


def layer_cache_key(name: str, *, architecture: str, python_version: str) -> str:
    digest = hashlib.sha256()
    glibc = ".".join(str(part) for part in layer_glibc(python_version))  # which wheels pip may take
    for part in (RECIPE_VERSION, name, architecture, python_version, glibc, bytecode_tag(python_version),
                 *BYTECODE_GLOBS.get(name, ())):
        digest.update(part.encode() + b"\0")
    for path in _key_locks(name):
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class PipLayerBundling:
    """Builds one layer with pip, through the cache, and bundles it as its zip."""

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
        shutil.copyfile(self.ensure_archived(), Path(output_dir) / ARCHIVE)
        return True

    def ensure_archived(self) -> Path:
        """The built layer's zip, written beside it unless it is already there."""
        built = self.ensure_built()
        archive = built / ARCHIVE
        if not archive.exists():
            # Written beside the final name and renamed: a concurrent synth never reads half a zip.
            fd, partial = tempfile.mkstemp(prefix=f"{ARCHIVE}.", dir=built)
            os.close(fd)
            try:
                write_archive(built / "python", Path(partial))
                os.chmod(partial, 0o644)  # mkstemp makes it 0600; a cache others may read
                os.replace(partial, archive)
            finally:
                Path(partial).unlink(missing_ok=True)
        return archive

    def ensure_built(self) -> Path:
        """Build into the cache unless a complete build is already there."""
        target = self.cache_dir
        if (target / _COMPLETE_MARKER).exists():
            return target
        self.cache_root.mkdir(parents=True, exist_ok=True)
        # Build beside the cache and rename: a concurrent synth never sees half a layer.
        work = Path(tempfile.mkdtemp(prefix=f"{self.name}-", dir=self.cache_root))
        try:
            pins = locks.layer_pins(self.name, architecture=self.architecture, python_version=self.python_version)
            (work / _PIP_INPUT).write_text("".join(pin.line() + "\n" for pin in pins))
            self._pip_install(work / "python", requirements=work / _PIP_INPUT)
            prune(work / "python")
            site = work / "python"
            compile_bytecode(site, sorted({path for pattern in BYTECODE_GLOBS.get(self.name, ())
                                           for path in site.glob(pattern)}), self.python_version)
            (work / _COMPLETE_MARKER).write_text(self.name)
            try:
                work.rename(target)
            except OSError:
                if not (target / _COMPLETE_MARKER).exists():
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return target

    def _pip_install(self, target: Path, *, requirements: Path) -> None:
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-input",
                   "--disable-pip-version-check", "--require-hashes", "--no-deps",
                   "--only-binary=:all:", "--no-compile",
                   "--implementation", "cp", "--python-version", self.python_version,
                   "--target", str(target), "-r", str(requirements)]
        for platform in pip_platforms(self.architecture, self.python_version):
            command += ["--platform", platform]
        result = subprocess.run(command, capture_output=True, text=True,
                                env={**os.environ, "PIP_NO_WARN_SCRIPT_LOCATION": "1"})
        if result.returncode != 0:
            raise RuntimeError(
                f"building layer '{self.name}' for python{self.python_version}/{self.architecture} "
                f"from {locks.layer_lock(self.name).name} failed (pip exit {result.returncode}); "
                f"are wheels published for this platform?\n{result.stderr[-4000:]}"
            )


def write_archive(site: Path, archive: Path) -> None:
    """``site`` as ``python/...`` in a zip whose bytes depend only on the files' names, modes and contents."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(p for p in site.rglob("*") if p.is_file() and not p.is_symlink()):
            info = zipfile.ZipInfo(f"python/{path.relative_to(site).as_posix()}", date_time=_ZIP_EPOCH)
            info.external_attr = (path.stat().st_mode & 0o777 | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as source, zipped.open(info, "w") as target:
                shutil.copyfileobj(source, target, 1 << 20)


def installed(site: Path) -> set[tuple[str, str]]:
    """(name, version) of every distribution in a pip --target directory."""
    found: set[tuple[str, str]] = set()
    for info in site.glob("*.dist-info"):
        name, version = info.name.removesuffix(".dist-info").split("-", 1)
        found.add((canonicalize_name(name), version))
    return found


def prune(site: Path) -> None:
    """Remove what no step imports (module docstring)."""
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
            output_type=BundlingOutput.ARCHIVED,
            # Never pulled: local bundling always succeeds or raises.
            image=DockerImage.from_registry("unused"),
        ),
    )


def code_files(root: Path = paths.LAMBDAS_DIR) -> list[Path]:
    """The code asset's files: ``lambdas/`` without tests and local bytecode (paths.CODE_EXCLUDES)."""
    skipped_dirs = {"tests", "__pycache__", ".pytest_cache"}
    return sorted(path for path in root.rglob("*")
                  if path.is_file() and path.suffix != ".pyc"
                  and not skipped_dirs.intersection(path.relative_to(root).parts[:-1]))


def code_asset_hash(python_version: str) -> str:
    """The code asset's hash: its files' names and bytes, and what bytecode it carries."""
    digest = hashlib.sha256()
    for part in (RECIPE_VERSION, bytecode_tag(python_version)):
        digest.update(part.encode() + b"\0")
    for path in code_files():
        digest.update(path.relative_to(paths.LAMBDAS_DIR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class CodeBundling:
    """The code asset: ``lambdas/``'s files copied, with bytecode for the target Python when it can be written."""

    def __init__(self, *, python_version: str) -> None:
        self.python_version = python_version

    def try_bundle(self, output_dir: str, *_args: object, **_options: object) -> bool:
        output = Path(output_dir)
        copied = []
        for source in code_files():
            target = output / source.relative_to(paths.LAMBDAS_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied.append(target)
        compile_bytecode(output, [path for path in copied if path.suffix == ".py"], self.python_version)
        return True


def function_code(*, python_version: str, skip_bundling: bool) -> lambda_.Code:
    """Every function's code: the whole ``lambdas/`` package tree, tests excluded; with its bytecode, unless
    template tests skip bundling."""
    if skip_bundling:
        return lambda_.Code.from_asset(str(paths.LAMBDAS_DIR), exclude=paths.CODE_EXCLUDES)
    return lambda_.Code.from_asset(
        str(paths.LAMBDAS_DIR),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=code_asset_hash(python_version),
        bundling=BundlingOptions(
            local=CodeBundling(python_version=python_version),
            output_type=BundlingOutput.NOT_ARCHIVED,
            image=DockerImage.from_registry("unused"),  # never pulled, as for the layers
        ),
    )
