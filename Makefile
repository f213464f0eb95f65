# twolayer-bench: `make bench` runs the benchmarks over the version matrix, `make test` the tests.
# Both bootstrap .venv (pinned asv, virtualenv, build, pytest...) from requirements/tools.txt.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# A descriptive name for this machine's results (results/<MACHINE>/); default: asv's (hostname).
MACHINE ?=
# Extra arguments for `asv run`, e.g. ASV_ARGS='-b PerOp --skip-existing-commits'.
ASV_ARGS ?=
MACHINE_ARG := $(if $(MACHINE),--machine $(MACHINE))

.PHONY: tools bench test publish preview clean-envs

tools: $(VENV)/.installed

$(VENV)/.installed: requirements/tools.txt setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements/tools.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

bench: tools
	$(BIN)/asv machine --yes $(MACHINE_ARG)
	$(BIN)/asv run $(MACHINE_ARG) --show-stderr $(ASV_ARGS)
	$(BIN)/asv publish

publish: tools
	$(BIN)/asv publish

preview: tools
	$(BIN)/asv preview

test: tools
	$(BIN)/python -m pytest

clean-envs:
	rm -rf .asv/env
