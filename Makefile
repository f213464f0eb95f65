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
# Every thread pool starts with a known size before any benchmark process exists (each
# benchmark then sets its own count with twolayer.threads.set_threads).
NPROC := $(shell nproc 2>/dev/null || echo 1)
export OMP_NUM_THREADS ?= $(NPROC)
export MKL_NUM_THREADS ?= $(NPROC)
export OPENBLAS_NUM_THREADS ?= $(NPROC)
# The regression gate: `make compare BASE=<rev>` (HEAD against BASE), failing beyond FACTOR.
BASE ?= HEAD~1
FACTOR ?= 1.25

.PHONY: tools bench test publish preview clean-envs compare spread phases sweep history

tools: $(VENV)/.installed

$(VENV)/.installed: requirements/tools.txt setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements/tools.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# asv run over the matrix; each environment's facts (versions, BLAS, threads, CPU) beside the
# results; the per-op report into html/report/; the self-contained site into html/.
bench: tools
	$(BIN)/asv machine --yes $(MACHINE_ARG)
	$(BIN)/asv run $(MACHINE_ARG) --show-stderr $(ASV_ARGS)
	$(BIN)/python -m twolayer.facts collect $(MACHINE_ARG)
	$(BIN)/python -m twolayer.report $(MACHINE_ARG) --html
	$(BIN)/python -m twolayer.site publish

compare: tools
	$(BIN)/python -m twolayer.gate $(BASE) HEAD --factor $(FACTOR) $(MACHINE_ARG)

spread: tools
	$(BIN)/python -m twolayer.spread HEAD

# Is the 2-thread noise the host's? One op timed for a minute, window by window (tools venv:
# the default environment's numpy and torch). `make phases THREADS=1` for the 1-thread baseline.
THREADS ?= $(NPROC)
phases: tools
	$(BIN)/python -m twolayer.phases --threads $(THREADS) --quiet

# The size sweep (benchmarks/scaling.py, skipped unless TWOLAYER_BENCH_SLOW=1), over the matrix,
# then the report with its plot. Run it on the commit `make bench` measured (SWEEP_REV=<commit>):
# the report shows the most recent commit with results, and a sweep alone has no per-op numbers.
SWEEP_REV ?= HEAD
sweep: tools
	$(BIN)/asv machine --yes $(MACHINE_ARG)
	TWOLAYER_BENCH_SLOW=1 $(BIN)/asv run $(MACHINE_ARG) --show-stderr -b '^scaling\.' "$(SWEEP_REV)^!"
	$(BIN)/python -m twolayer.report $(MACHINE_ARG) --html > /dev/null
	$(BIN)/python -m twolayer.site publish

# Every commit of main from HISTORY_FROM on that this machine has no results for. HISTORY_FROM is
# the first commit whose package has the API the current suite uses (variant=, devices).
HISTORY_FROM ?= 23a39a5
history: tools
	$(BIN)/asv machine --yes $(MACHINE_ARG)
	$(BIN)/asv run $(MACHINE_ARG) --show-stderr --skip-existing-commits "$(HISTORY_FROM)^..main" $(ASV_ARGS)

# asv publish, then html/ made self-contained (scripts, styles, fonts from site_vendor/; no CDN)
# and the report (html/report/) linked from the page.
publish: tools
	$(BIN)/python -m twolayer.site publish

preview: tools
	$(BIN)/asv preview

# tools/ensure-chromium installs Debian's chromium for the browser test when it is missing.
test: tools
	tools/ensure-chromium
	$(BIN)/python -m pytest

clean-envs:
	rm -rf .asv/env

# Environments and backends side by side, the per-op report and the facts behind it (issue 3).
# `make compare-envs ENV_A=torch2.5.1 ENV_B=torch2.13.0`: every pair of environments differing only there.
ENV_A ?= numpy1.26.4
ENV_B ?= numpy2.4.6
ENV_FACTOR ?= 1.1
.PHONY: facts report compare-envs compare-backends

# Per environment: numpy/torch versions, BLAS, threads per pool, CPU and SIMD -> results/<machine>/facts/
facts: tools
	$(BIN)/python -m twolayer.facts collect $(MACHINE_ARG)

# The per-op table (Markdown to stdout) and html/report/ (run after publish: asv publish rebuilds html/).
report: facts
	$(BIN)/python -m twolayer.report $(MACHINE_ARG) --html

compare-envs: tools
	$(BIN)/python -m twolayer.compare envs $(ENV_A) $(ENV_B) --factor $(ENV_FACTOR) $(MACHINE_ARG)

compare-backends: tools
	$(BIN)/python -m twolayer.compare backends $(MACHINE_ARG)
