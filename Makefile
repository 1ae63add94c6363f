# Every target sets itself up: a fresh machine needs only python3, node/npm and
# (for the sandbox's nginx) apt-get as root.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-install
SETUP_STAMP := $(VENV)/.stamp-setup
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: install setup test unit infra e2e synth demo bench diagram clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt layers/*.txt package.json
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# The sandbox also needs nginx (the ALB's data plane).
setup: $(SETUP_STAMP)

$(SETUP_STAMP): $(STAMP) sandbox/setup.sh
	bash sandbox/setup.sh
	touch $@

test: setup
	$(BIN)/python -m pytest

unit: install
	$(BIN)/python -m pytest tests/unit

infra: install
	$(BIN)/python -m pytest tests/infra

e2e: setup
	$(BIN)/python -m pytest tests/e2e

synth: install
	cdk synth --quiet

demo: setup
	$(BIN)/python -m sandbox demo

bench: setup
	$(BIN)/python benchmarks/package_size.py
	$(BIN)/python benchmarks/elbv2_calls_per_poll.py
	$(BIN)/python benchmarks/demo_phases.py

diagram: install
	$(BIN)/python -m tools.diagram --write README.md

clean:
	rm -rf cdk.out .cache sandbox-runs
