# twolayer-bench: `make bench` runs the benchmarks over the version matrix, `make test` the tests.
# Every target calls the one tool command, .venv/bin/twolayer-bench (tools/), after bootstrapping
# .venv from requirements/tools.txt. `make help` lists the targets.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TB := $(BIN)/twolayer-bench

# Shared settings, each with one meaning (empty: the tool's default):
#   MACHINE  asv machine name (default: asv's name for this host; results/<MACHINE>/)
#   ENV      environment selector, e.g. ENV=numpy2.4.6,torch2.13.0 (default: the whole matrix)
#   BENCH    benchmark regex, e.g. BENCH='^ops\.PerOp' (default: every benchmark)
#   ASV_ARGS more arguments for `asv run`, e.g. ASV_ARGS="HEAD^!" (default revision: the newest
#            commit of main that changed the workload or the suite)
#   FRESH=1  measure again what results/ already holds (default: continue an interrupted run)
MACHINE ?=
ENV ?=
BENCH ?=
ASV_ARGS ?=
FRESH ?=
export BENCH
OPTS = $(if $(MACHINE),--machine "$(MACHINE)") $(if $(ENV),-E "$(ENV)") $${BENCH:+-b "$$BENCH"}

# Every thread pool starts with a known size before any benchmark process exists (each benchmark
# then sets its own count). os.cpu_count, not nproc: macOS has no nproc.
NPROC := $(shell $(PYTHON) -c 'import os; print(os.cpu_count() or 1)' 2>/dev/null || echo 1)
export OMP_NUM_THREADS ?= $(NPROC)
export MKL_NUM_THREADS ?= $(NPROC)
export OPENBLAS_NUM_THREADS ?= $(NPROC)

.PHONY: help tools bench test history gate report facts publish merge preview check-sync compare-envs \
        compare-backends peak spread phases sweep releases clean-envs bench-blas

help:
	@echo "make bench   run the benchmarks over the matrix, then facts, report and the site (html/)"
	@echo "make test    run the tests"
	@echo "other targets: history gate report facts publish merge preview check-sync compare-envs"
	@echo "               compare-backends peak spread phases sweep releases clean-envs"
	@echo "opt-in: bench-blas (NumPy built with MKL and with OpenBLAS beside PyPI's; docs/mkl.md)"
	@echo "settings: MACHINE= ENV= BENCH= ASV_ARGS= FRESH=1 (see the top of this Makefile)"

tools: $(VENV)/.installed

$(VENV)/.installed: requirements/tools.txt setup.py tools/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements/tools.txt
	$(BIN)/python -m pip install --quiet --no-deps -e . -e tools
	touch $@

# asv run over the matrix (continuing an interrupted run unless FRESH=1); each environment's
# facts; the per-op report into html/report/; the self-contained site (every machine) into html/.
bench: tools
	tools/ensure-valgrind
	$(TB) bench $(OPTS) $(if $(FRESH),--fresh) -- $(ASV_ARGS)

# Opt-in, never part of `make bench`: NumPy $(BLAS_NUMPY) built from its PyPI source against MKL
# and, as the same-compiler control, against OpenBLAS (scipy-openblas32), beside PyPI's wheel, each
# with torch 2.13.0 (asv.mkl.conf.json). The two wheels are built first, once per machine, into
# .asv/wheels/ (~10 min of CPU each, output shown); asv's install step then reuses them. Same
# results/ and site as `make bench`; MACHINE=, BENCH=, ASV_ARGS=, FRESH=1 as there. No ENV=: the
# three environments differ only in TWOLAYER_NUMPY_BLAS, which -E's exclusions cannot tell apart,
# and they are measured together, rounds interleaved (docs/mkl.md).
BLAS_NUMPY := 2.4.6
# Nothing pairs NumPy+MKL with torch as shipped (another environment), so each side's median must
# carry the process-to-process spread: the time benchmarks run BLAS_ROUNDS rounds (docs/mkl.md).
BLAS_ROUNDS ?= 8
bench-blas: tools
	@test -z "$(ENV)" || { echo "make bench-blas: ENV= is not supported: the three environments run together" >&2; exit 2; }
	tools/ensure-valgrind
	for blas in mkl openblas; do $(BIN)/python tools/numpy-blas-wheel $$blas --numpy $(BLAS_NUMPY) --build-only || exit 1; done
	$(TB) bench --config asv.mkl.conf.json --no-publish --rounds $(BLAS_ROUNDS) $(if $(MACHINE),--machine "$(MACHINE)") \
	  $${BENCH:+-b "$$BENCH"} $(if $(FRESH),--fresh) -- $(ASV_ARGS); \
	status=$$?; $(TB) publish || exit; exit $$status

test: tools
	tools/ensure-chromium
	tools/ensure-valgrind
	$(BIN)/python -m pytest

# The release sweep: the last patch of every NumPy and torch minor line, once per machine, into
# releases/ (continues where it stopped; ONLY=torch=2.15.0 for one release), then the site.
ONLY ?=
releases: tools
	$(TB) releases $(if $(MACHINE),--machine "$(MACHINE)") $(if $(ONLY),--only "$(ONLY)")

# Every commit that changed the workload or the suite and has no results on this machine.
history: tools
	tools/ensure-valgrind
	$(TB) history $(OPTS) $(if $(FRESH),--fresh)

# The regression gate: HEAD against BASE in one environment, exit 1 beyond FACTOR (default: the
# gate's own, twolayer_tools/gate.py).
BASE ?= HEAD~1
FACTOR ?=
gate: tools
	tools/ensure-valgrind
	$(TB) gate "$(BASE)" HEAD $(if $(FACTOR),--factor $(FACTOR)) $(OPTS)

report: tools
	$(TB) report --html $(if $(MACHINE),--machine "$(MACHINE)") $(if $(ENV),-E "$(ENV)")

facts: tools
	$(TB) facts $(if $(MACHINE),--machine "$(MACHINE)")

publish: tools
	$(TB) publish

# Other machines' results into results/, then the site with every machine: `make merge SRC=DIR`,
# DIR an asv results folder (a checkout of the results branch CI keeps, another clone's results/);
# MACHINE= merges only that machine.
SRC ?=
merge: tools
	@test -n "$(SRC)" || { echo "make merge: give SRC=DIR, an asv results folder" >&2; exit 2; }
	$(TB) merge $(SRC) $(if $(MACHINE),--machine "$(MACHINE)") --publish

check-sync: tools
	$(TB) check-sync

preview: tools
	$(BIN)/asv preview

# `make compare-envs A=torch2.5.1 B=torch2.13.0`: every pair of environments differing only there.
A ?= numpy1.26.4
B ?= numpy2.4.6
compare-envs: tools
	$(TB) compare-envs "$(A)" "$(B)" $(if $(MACHINE),--machine "$(MACHINE)") $${BENCH:+-b "$$BENCH"}

compare-backends: tools
	$(TB) compare-backends $(OPTS)

peak: tools
	$(TB) peak $(if $(MACHINE),--machine "$(MACHINE)") $(if $(ENV),-E "$(ENV)")

spread: tools
	$(TB) spread HEAD $(if $(ENV),-E "$(ENV)") $${BENCH:+-b "$$BENCH"}

# Is the noise the host's? One op timed for a minute, window by window. THREADS=1 for the baseline.
THREADS ?= $(NPROC)
phases: tools
	$(TB) phases --threads $(THREADS) --quiet

# The size sweep (benchmarks/scaling.py, skipped unless TWOLAYER_BENCH_SLOW=1), then the report
# with its plot. SWEEP_REV: the commit `make bench` measured.
SWEEP_REV ?= HEAD
sweep: tools
	TWOLAYER_BENCH_SLOW=1 $(TB) bench $(OPTS) --fresh -b '^scaling\.' -- "$(SWEEP_REV)^!"

clean-envs:
	rm -rf .asv/env
