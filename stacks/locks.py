"""The layer locks (``layers/<name>.lock``), read for one Lambda platform.

Why not hand a lock to pip as it is: ``make lock`` writes universal locks
(``uv pip compile --universal``: Python 3.11 and newer, any platform), whose
entries carry PEP 508 markers, and pip evaluates markers for the interpreter
running it, never for ``--python-version`` / ``--platform``. A layer built
for Python 3.14 by pip on 3.11 would get the 3.11 numpy. So the markers are
evaluated here, for the target, and pip gets plain ``name==version --hash``
lines.

No aws_cdk here: the unit tests read the locks without starting jsii.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from stacks import paths

# Left out of every layer: the Lambda runtime has them.
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer")
# What the runtime's SDK brings with it, as importable modules: the three above and botocore's own requirements
# (jmespath, python-dateutil, urllib3; dateutil's six). layer7/kube.py imports urllib3 from there. Lambda developer
# guide, "Working with .zip file archives for Python Lambda functions": "The Lambda Python runtimes include the AWS
# SDK for Python (Boto3) and its dependencies", and a package's own urllib3 can break the runtime's SDK after an
# update: so no layer ships it.
RUNTIME_SDK_MODULES = (*PROVIDED_BY_RUNTIME, "jmespath", "dateutil", "urllib3", "six")


@dataclass(frozen=True)
class Pin:
    """One entry of a lock: ``name==version``, its marker and its hashes."""

    requirement: Requirement
    hashes: tuple[str, ...]

    @property
    def name(self) -> str:
        return canonicalize_name(self.requirement.name)

    @property
    def version(self) -> str:
        (specifier,) = self.requirement.specifier  # a lock pins exactly one version
        return specifier.version

    def line(self) -> str:
        """The entry for pip, marker dropped (it is evaluated already)."""
        return " ".join([f"{self.requirement.name}=={self.version}", *(f"--hash={h}" for h in self.hashes)])


def read_lock(path: Path) -> list[Pin]:
    """Parse what ``uv pip compile --generate-hashes`` writes: one entry per
    requirement, continued with a trailing backslash, ``#`` comments between."""
    uncommented = "\n".join(line.split("#", 1)[0].rstrip() for line in path.read_text().splitlines())
    pins = []
    for entry in uncommented.replace("\\\n", " ").splitlines():
        words = entry.split()
        if not words:
            continue
        hashes = tuple(word.removeprefix("--hash=") for word in words if word.startswith("--hash="))
        requirement = Requirement(" ".join(word for word in words if not word.startswith("--hash=")))
        if len(requirement.specifier) != 1 or not hashes:
            raise ValueError(f"{path}: not a hashed lock entry: {entry.strip()}")
        pins.append(Pin(requirement, hashes))
    return pins


def target_environment(*, architecture: str, python_version: str) -> dict[str, str]:
    """PEP 508 marker values of a Lambda runtime (Amazon Linux, CPython)."""
    return {
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "platform_system": "Linux",
        "sys_platform": "linux",
        "os_name": "posix",
        "platform_machine": "aarch64" if architecture == "arm64" else "x86_64",
        "python_version": python_version,
        "python_full_version": f"{python_version}.0",
        "implementation_version": f"{python_version}.0",
    }


def target_pins(path: Path, *, architecture: str, python_version: str) -> list[Pin]:
    """The entries of a lock that apply to the target platform."""
    environment = target_environment(architecture=architecture, python_version=python_version)
    return [pin for pin in read_lock(path)
            if pin.requirement.marker is None or pin.requirement.marker.evaluate(environment)]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def layer_lock(name: str) -> Path:
    """The lock a layer is built from (``make lock`` writes it)."""
    return paths.LAYERS_DIR / f"{name}.lock"


def layer_pins(name: str, *, architecture: str, python_version: str) -> list[Pin]:
    """What pip installs into a layer: its lock for the target, less what the
    runtime and (for ``kubernetes``/``milvus``) the common layer provide
    (stacks/bundling.py's docstring)."""
    platform = {"architecture": architecture, "python_version": python_version}
    runtime = {canonicalize_name(package) for package in PROVIDED_BY_RUNTIME}
    pins = [pin for pin in target_pins(layer_lock(name), **platform) if pin.name not in runtime]
    if name == "common":
        return pins
    common = {(pin.name, pin.version) for pin in target_pins(layer_lock("common"), **platform)}
    return [pin for pin in pins if (pin.name, pin.version) not in common]


def link_runtime_sdk(into: Path) -> Path:
    """``into`` with a link to each of RUNTIME_SDK_MODULES as this interpreter has it: what the Lambda runtime adds
    to code and layers, for an import run with ``python -S`` as on Lambda (tests/infra/test_bundling.py,
    benchmarks/package_size.py)."""
    import importlib.util  # noqa: PLC0415 - only the tests and the bench call this

    for name in RUNTIME_SDK_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            raise RuntimeError(f"{name} is not installed in this interpreter")
        if spec.submodule_search_locations:  # a package
            (into / name).symlink_to(next(iter(spec.submodule_search_locations)))
        else:  # a module of one file (six)
            (into / Path(spec.origin).name).symlink_to(spec.origin)
    return into
