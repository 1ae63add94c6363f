"""Each function's unzipped size (code asset + its layers) and handler import time,
and each layer's size and the lock it was built from.

Why: Lambda refuses more than 250 MB unzipped per function and cold starts
grow with what a handler imports; the project's budget is 150 MB. A layer's
content is fixed by its lock (stacks/bundling.py), so naming the lock and its
sha256 says exactly what was measured. Reads a cloud assembly (``--cdk-out``)
or synthesizes one (real layers, no Docker), prints one line per function and
per layer, and exits 1 if any function is over budget.

    python benchmarks/package_size.py                       # default context (3.14/arm64)
    python benchmarks/package_size.py -c lambdaPythonVersion=3.11 -c lambdaArchitecture=x86_64
    python benchmarks/package_size.py --cdk-out cdk.out --no-import-times

Import times are measured on this machine, with the function's code and
layers built for its Python and architecture (the assembly's own when they
match, otherwise built by stacks/bundling.py, the layers unpacked from their
zips), holding the bytecode they ship and none written at run time (Lambda's
/opt and /var/task are read-only), each paired with a cold
``import boto3`` in the same interpreter and sys.path: "x boto3" is the median
ratio, which issue 22 holds to 2x. "n/a" where no layer can be built here.
The "bytecode" column says what the measured assets carry.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "lambdas")]  # stacks/ reads the error names from lambdas/layer7

from stacks import bundling, locks, names, steps  # noqa: E402

STACK_FILE = f"{names.STACK_NAME}.template.json"


@dataclass(frozen=True)
class FunctionSize:
    name: str
    handler: str
    code_dir: Path
    layer_dirs: tuple[Path, ...]
    code_bytes: int
    layer_bytes: int
    runtime: str
    architecture: str

    @property
    def total_bytes(self) -> int:
        return self.code_bytes + self.layer_bytes


@dataclass(frozen=True)
class LayerSize:
    name: str
    directory: Path
    layer_bytes: int
    lock: Path
    lock_sha256: str
    matches_lock: bool  # it holds exactly the lock's pins for its platform (locks.layer_pins)


def staged_tree(cdk_out: Path, resource: dict) -> Path:
    """The staged asset as a directory: a layer is staged as its zip (stacks/bundling.py), unpacked here once."""
    staged = cdk_out / resource["Metadata"]["aws:asset:path"]
    if staged.is_dir():
        return staged
    unpacked = staged.with_name(staged.name + ".unpacked")
    if not unpacked.is_dir():
        partial = Path(tempfile.mkdtemp(prefix=staged.name + ".", dir=staged.parent))
        with zipfile.ZipFile(staged) as archive:
            archive.extractall(partial)
        partial.rename(unpacked)
    return unpacked


def directory_bytes(path: Path) -> int:
    return sum(entry.stat().st_size for entry in path.rglob("*") if entry.is_file() and not entry.is_symlink())


def synthesize(outdir: Path, context: dict[str, str]) -> Path:
    """Synthesize the app into ``outdir`` (same code path as ``cdk synth``)."""
    import aws_cdk as cdk  # noqa: PLC0415 - jsii starts Node: only to synthesize, not to read --cdk-out

    import app as app_module  # noqa: PLC0415

    merged = {"vpcId": "none", **json.loads((ROOT / "cdk.json").read_text())["context"], **context,
              # resources then name their staged asset directory (aws:asset:path), as under the CLI
              "aws:cdk:enable-asset-metadata": True}
    app, _ = app_module.build_app(cdk.App(context=merged, outdir=str(outdir)))
    app.synth()
    return outdir


def function_sizes(cdk_out: Path) -> list[FunctionSize]:
    template = json.loads((cdk_out / STACK_FILE).read_text())
    resources = template["Resources"]
    layer_dirs = {logical_id: staged_tree(cdk_out, resource)
                  for logical_id, resource in resources.items() if resource["Type"] == "AWS::Lambda::LayerVersion"}
    sizes = []
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        props = resource["Properties"]
        name = next((step.name for step in steps.STEPS if step.handler == props["Handler"]), logical_id)
        code_dir = staged_tree(cdk_out, resource)
        layers = tuple(layer_dirs[layer["Ref"]] for layer in props.get("Layers", []))
        sizes.append(FunctionSize(
            name=name, handler=props["Handler"], code_dir=code_dir, layer_dirs=layers,
            code_bytes=directory_bytes(code_dir), layer_bytes=sum(directory_bytes(d) for d in layers),
            runtime=props["Runtime"], architecture=props.get("Architectures", ["x86_64"])[0],
        ))
    return sizes


def layer_sizes(cdk_out: Path) -> list[LayerSize]:
    """Every layer of the assembly, named by its construct (``CommonLayer`` ...)."""
    resources = json.loads((cdk_out / STACK_FILE).read_text())["Resources"]
    sizes = []
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::LayerVersion":
            continue
        name = next(name for name in steps.LAYER_NAMES if f"{name.capitalize()}Layer" in logical_id)
        props = resource["Properties"]
        directory = staged_tree(cdk_out, resource)
        pins = locks.layer_pins(
            name, architecture=props["CompatibleArchitectures"][0],
            python_version=props["CompatibleRuntimes"][0].removeprefix("python"))
        lock = locks.layer_lock(name)
        sizes.append(LayerSize(
            name=name, directory=directory, layer_bytes=directory_bytes(directory), lock=lock,
            lock_sha256=locks.sha256(lock),
            matches_lock=bundling.installed(directory / "python") == {(pin.name, pin.version) for pin in pins}))
    return sizes


IMPORT_ROUNDS = 9  # paired medians: a helper-loaded 2-core machine moves single rounds by 30%
IMPORT_RATIO_BUDGET = 2.0  # issue 22: each handler's cold import at most twice `import boto3`


@dataclass(frozen=True)
class ImportTime:
    seconds: float  # median cold `import <handler module>`
    ratio: float  # median of the paired ratios against a cold `import boto3`
    bytecode: str  # "yes" when the code and layers measured carry .pyc files


def _host_platform() -> tuple[str, str | None]:
    machine = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine())
    return f"{sys.version_info.major}.{sys.version_info.minor}", machine


def import_paths(size: FunctionSize) -> list[str] | None:
    """The function's code and layers for this machine: its own layers when the assembly was built for this
    Python and architecture, otherwise the same layers built for this machine (stacks/bundling.py, cached)."""
    python_version, machine = _host_platform()
    if machine is None:
        return None
    if size.runtime == f"python{python_version}" and size.architecture == machine:
        code, layers = size.code_dir, [layer / "python" for layer in size.layer_dirs]
    else:
        spec = next((step for step in steps.STEPS if step.handler == size.handler), None)
        if spec is None:
            return None
        code = _host_code(python_version)
        layers = [_host_layer(name, machine, python_version) / "python" for name in spec.layers]
    return [str(code)] + [str(layer) for layer in layers]


_HOST_CODE: list[Path] = []


def _host_code(python_version: str) -> Path:
    """The code asset for this machine's Python, bundled as a synth for it bundles it (with its bytecode)."""
    if not _HOST_CODE:
        code = Path(tempfile.mkdtemp(prefix="package-size-code-"))
        atexit.register(shutil.rmtree, code, ignore_errors=True)
        bundling.CodeBundling(python_version=python_version).try_bundle(str(code))
        _HOST_CODE.append(code)
    return _HOST_CODE[0]


def carries_bytecode(paths: list[str]) -> str:
    """"yes" when every measured tree holds .pyc files (bundling.BYTECODE_GLOBS for a layer), else "no"."""
    return "yes" if all(next(Path(path).glob("**/__pycache__/*.pyc"), None) for path in paths) else "no"


_HOST_LAYERS: dict[str, Path] = {}


def _host_layer(name: str, architecture: str, python_version: str) -> Path:
    """The layer for this machine unpacked from its zip, as Lambda unpacks it: the bytecode it ships and no other
    (the cache's own directory may hold more, written by a local run, which Lambda's read-only /opt never has)."""
    if name not in _HOST_LAYERS:
        archive = bundling.PipLayerBundling(name=name, architecture=architecture,
                                            python_version=python_version).ensure_archived()
        unpacked = Path(tempfile.mkdtemp(prefix=f"package-size-{name}-"))
        atexit.register(shutil.rmtree, unpacked, ignore_errors=True)
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(unpacked)
        _HOST_LAYERS[name] = unpacked
    return _HOST_LAYERS[name]


_RUNTIME: list[Path] = []


def _runtime_packages() -> Path:
    """What the Lambda Python runtime adds to code and layers: the SDK and what it requires (stacks/locks.py
    RUNTIME_SDK_MODULES), linked from this interpreter's site-packages, which the timed imports do not see
    (``python -S``)."""
    if not _RUNTIME:
        runtime = Path(tempfile.mkdtemp(prefix="package-size-runtime-"))
        atexit.register(shutil.rmtree, runtime, ignore_errors=True)
        _RUNTIME.append(locks.link_runtime_sdk(runtime))
    return _RUNTIME[0]


def _cold_import(paths: list[str], module: str) -> float | None:
    """Seconds to import ``module`` with nothing but code, layers and the runtime's SDK on sys.path."""
    search_path = [*paths, str(_runtime_packages())]
    script = ("import sys, time; sys.path[:0] = %r; t = time.perf_counter(); import %s; "
              "print(time.perf_counter() - t)" % (search_path, module))
    # No bytecode written: every round compiles afresh what the assets do not ship, as each cold start on Lambda
    # does.
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1",
           "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True, env=env,
                            cwd=_runtime_packages())
    if result.returncode != 0:
        return None
    return float(result.stdout.strip().splitlines()[-1])


def import_time(size: FunctionSize, rounds: int = IMPORT_ROUNDS) -> ImportTime | None:
    """Cold ``import <handler module>`` against cold ``import boto3``, paired: each round imports both, one after
    the other, in fresh interpreters with the same sys.path (boto3 from this interpreter, as the Lambda runtime
    provides it, and no other site-packages), so a busy machine slows both sides of a ratio alike; medians
    over the rounds. A handler that does not import from its own layers is "n/a" (tests/infra/test_bundling.py
    says which package it misses)."""
    paths = import_paths(size)
    if paths is None:
        return None
    module = size.handler.rsplit(".", 1)[0]
    handler_seconds, ratios = [], []
    for _ in range(rounds):
        boto3_seconds, seconds = _cold_import(paths, "boto3"), _cold_import(paths, module)
        if boto3_seconds is None or seconds is None:
            return None
        handler_seconds.append(seconds)
        ratios.append(seconds / boto3_seconds)
    return ImportTime(seconds=statistics.median(handler_seconds), ratio=statistics.median(ratios),
                      bytecode=carries_bytecode(paths))


def report(sizes: list[FunctionSize], *, with_imports: bool) -> bool:
    """Print the table; True when every function is within the budget."""
    budget = steps.FUNCTION_SIZE_BUDGET_BYTES
    within = True
    print(f"{'function':<20}{'code MB':>9}{'layers MB':>11}{'total MB':>10}{'import s':>10}{'x boto3':>9}"
          f"{'bytecode':>10}"
          f"  budget {budget / 2**20:.0f} MB, import {IMPORT_RATIO_BUDGET:.0f}x boto3 "
          f"(python{'/'.join(str(part) for part in _host_platform())} layers on this machine)")
    for size in sorted(sizes, key=lambda s: s.name):
        timed = import_time(size) if with_imports else None
        over = size.total_bytes > budget
        slow = timed is not None and timed.ratio > IMPORT_RATIO_BUDGET
        within &= not over
        print(f"{size.name:<20}{size.code_bytes / 2**20:>9.1f}{size.layer_bytes / 2**20:>11.1f}"
              f"{size.total_bytes / 2**20:>10.1f}{'n/a' if timed is None else f'{timed.seconds:.2f}':>10}"
              f"{'n/a' if timed is None else f'{timed.ratio:.1f}':>9}{'n/a' if timed is None else timed.bytecode:>10}"
              f"{'  OVER BUDGET' if over else ''}{'  SLOWER THAN 2x boto3' if slow else ''}")
    return within


def report_layers(layers: list[LayerSize]) -> None:
    """One line per layer: its size and the lock (with sha256) it was built from."""
    print(f"\n{'layer':<20}{'MB':>9}  built from")
    for layer in sorted(layers, key=lambda layer: layer.name):
        source = f"{layer.lock.relative_to(ROOT)} sha256:{layer.lock_sha256}"
        if not layer.matches_lock:
            source = f"not {source}: its content differs (an assembly older than the lock?)"
        print(f"{layer.name:<20}{layer.layer_bytes / 2**20:>9.1f}  {source}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdk-out", type=Path, help="read this cloud assembly instead of synthesizing")
    parser.add_argument("-c", "--context", action="append", default=[], help="key=value, as for cdk synth")
    parser.add_argument("--no-import-times", action="store_true")
    args = parser.parse_args(argv)
    context = dict(item.split("=", 1) for item in args.context)
    if args.cdk_out:
        return _report(args.cdk_out, with_imports=not args.no_import_times)
    with tempfile.TemporaryDirectory(prefix="package-size-") as outdir:
        return _report(synthesize(Path(outdir), context), with_imports=not args.no_import_times)


def _report(cdk_out: Path, *, with_imports: bool) -> int:
    within = report(function_sizes(cdk_out), with_imports=with_imports)
    report_layers(layer_sizes(cdk_out))
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
