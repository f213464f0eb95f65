"""The regression gate: `asv continuous` between a base revision and HEAD with the project's settings.

Runs in one environment of the matrix by default (numpy 2.4.6 x torch 2.13.0, the CPU wheel) so
a pull request's verdict comes in minutes; ``-E`` chooses others, ``--full-matrix`` all. Results
go to .asv/gate-results, never into the committed results/. Exit status: 0 when nothing got
slower than --factor, 1 when something did (or failed), 2 on bad input.
"""
import sys
from pathlib import Path

from . import options
from .bench import asv_executable, check_rev, run_echoed
from .errors import FINDING, BadInput
from .results import DEFAULT_ENV, asv_machine_name, check_suite_selection, derived_config, load_config

DEFAULT_FACTOR = 1.25
"""Slowdown ratio that fails the gate by default: right for ms-scale results on quiet runners; on
a shared 2-core machine µs-scale medians swing more between runs (docs/continuous.md): use
--factor 2 or 1-thread points there."""


def configure(p):
    p.add_argument("base", help="base revision (commit, branch or tag), e.g. origin/main or HEAD~1")
    p.add_argument("head", nargs="?", default="HEAD", help="revision to test (default: HEAD)")
    options.factor(p, DEFAULT_FACTOR)
    options.config(p)
    options.machine(p)
    options.env(p, default=DEFAULT_ENV)
    p.add_argument("--full-matrix", action="store_true", help="run every environment of the matrix")
    options.bench(p)


def run(args):
    conf = load_config(args.config)
    if args.factor <= 1.0:
        raise BadInput(f"--factor must be above 1.0, not {args.factor}")
    for rev in (args.base, args.head):
        check_rev(conf, rev)
    machine = asv_machine_name(args.machine)
    check_suite_selection(conf, args.bench)
    root = Path(conf.path).parent
    selectors = [] if args.full_matrix else (args.env or [DEFAULT_ENV])
    config = derived_config(conf, root / ".asv" / "gate.conf.json", selectors,
                            results_dir=str(root / ".asv" / "gate-results"),
                            html_dir=str(root / ".asv" / "gate-html"))
    asv = asv_executable()
    import subprocess
    subprocess.run([asv, "--config", str(config), "machine", "--yes", "--machine", machine], cwd=root,
                   stdout=subprocess.DEVNULL, check=False)
    status, output = run_echoed([asv, "--config", str(config), "continuous", "--factor", str(args.factor),
                                 "--split", "--show-stderr", "--machine", machine,
                                 *[a for b in args.bench for a in ("-b", b)], args.base, args.head], root)
    if status not in (0, 1):
        raise BadInput(f"asv continuous exited {status} (its output is above)")
    print("gate: " + ("PASS: nothing got slower than the factor" if status == 0 else
                      f"FAIL: a benchmark got slower than x{args.factor} (or failed)"), flush=True)
    return FINDING if status else 0


COMMANDS = [("gate", "the regression gate: asv continuous BASE HEAD in one environment, exit 1 on a "
                     "slowdown beyond the factor", configure, run)]
