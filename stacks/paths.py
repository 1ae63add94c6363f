"""Where the app's own files are: the Lambdas' code, the layers' requirement locks, the layer cache."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LAMBDAS_DIR = PROJECT_ROOT / "lambdas"
LAYERS_DIR = PROJECT_ROOT / "layers"
LAYER_CACHE_DIR = PROJECT_ROOT / ".cache" / "layers"
PLACEHOLDER_LAYER_DIR = Path(__file__).resolve().parent / "placeholder_layer"

# What never goes into a function's code asset.
CODE_EXCLUDES = ["tests", "**/tests", "**/__pycache__", "**/*.pyc", ".pytest_cache", "**/.pytest_cache"]
