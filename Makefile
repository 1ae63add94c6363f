# Every target sets itself up: a fresh machine needs only python3, npm (with any
# Node that runs it) and (for the sandbox's nginx) apt-get as root. The CDK CLI
# and jsii run on the Node 24 that package.json pins: node_modules/.bin comes
# first on PATH.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-install
SETUP_STAMP := $(VENV)/.stamp-setup
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$(PATH)

# Every lock is universal (any platform, Python 3.11 and newer): a layer's
# lock serves Lambda (3.14, arm64 or x86_64) and the sandbox (3.11, x86_64).
# `make lock LOCK_FLAGS=--upgrade` takes the newest releases the .txt ranges
# allow; without it, uv keeps every pin it can.
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" $(LOCK_FLAGS)
LAYER_LOCKS := layers/common.lock layers/milvus.lock

.PHONY: install setup lock lint test unit infra sandbox-tests e2e synth demo bench diagram clean

install: $(STAMP)

# Installs exactly the locks: every file's hash is checked, nothing is resolved. pip installs uv from the
# dev lock (its entry alone), and uv the whole lock: it downloads in parallel and leaves bytecode to the
# first import, a minute faster than pip on a fresh machine (benchmarks/fresh_clone_suite.py).
$(STAMP): requirements-dev.lock package-lock.json
	$(PY) -m venv $(VENV)
	awk '/^uv==/ {keep=1; print; next} keep && /^[ \t]/ {print; next} {keep=0}' requirements-dev.lock \
	  > $(VENV)/uv-requirement.lock
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r $(VENV)/uv-requirement.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --require-hashes -r requirements-dev.lock
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Order matters: the milvus layer is constrained to common's
# pins, the app to every layer's, the dev tools to the app's.
lock: install
	$(UV_COMPILE) layers/common.txt -o layers/common.lock
	$(UV_COMPILE) layers/common.txt layers/milvus.txt -c layers/common.lock -o layers/milvus.lock
	$(UV_COMPILE) requirements.txt $(addprefix -c ,$(LAYER_LOCKS)) -o requirements.lock
	$(UV_COMPILE) requirements-dev.txt -c requirements.lock -o requirements-dev.lock

# The gate CI runs before any test: pyproject.toml says what ruff and mypy read
# and how; tools/step_imports.py keeps each step folder from importing another;
# .pre-commit-config.yaml runs the same three commands.
lint: install
	$(BIN)/ruff check
	$(BIN)/mypy
	$(BIN)/python -m tools.step_imports
	$(BIN)/python -m tools.stack_imports

# The sandbox also needs nginx (the ALB's data plane).
setup: $(SETUP_STAMP)

$(SETUP_STAMP): $(STAMP) sandbox/setup.sh
	bash sandbox/setup.sh
	touch $@

# Every tier in its own interpreter (the sandbox patches moto in-process), unit and infra beside the sandbox
# tier, then e2e alone (tools/test_tiers.py says why); every tier runs even when one fails, and the exit
# status says whether all passed. `make test TEST_TIERS_FLAGS=--serial` runs them one after another.
test: setup
	$(BIN)/python -m tools.test_tiers $(TEST_TIERS_FLAGS)

unit: install
	$(BIN)/python -m pytest tests/unit

infra: install
	$(BIN)/python -m pytest tests/infra

sandbox-tests: setup
	$(BIN)/python -m pytest tests/sandbox

e2e: setup
	$(BIN)/python -m pytest tests/e2e

# vpcId has no default (stacks/config.py): until cdk.json names the VPC, synth the stack outside any VPC.
synth: install
	cdk synth --quiet $$(grep -q '"vpcId"' cdk.json || echo "-c vpcId=none")

demo: setup
	$(BIN)/python -m sandbox demo

bench: setup
	$(BIN)/python benchmarks/package_size.py
	$(BIN)/python benchmarks/elbv2_calls_per_poll.py
	$(BIN)/python benchmarks/demo_phases.py
	$(BIN)/python benchmarks/health_check_timing.py
	$(BIN)/python benchmarks/fresh_clone_suite.py
	$(BIN)/python benchmarks/chaos_run.py

diagram: install
	$(BIN)/python -m tools.diagram --write docs/WORKFLOWS.md

clean:
	rm -rf cdk.out .cache sandbox-runs
