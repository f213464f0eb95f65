"""The regression gate: `asv continuous` between a base revision and HEAD with the project's settings.

Runs in one environment of the matrix by default (numpy 2.4.6 x torch 2.13.0, the CPU wheel) so
a pull request's verdict comes in minutes; ``-E`` chooses others, ``--full-matrix`` all. Results
go to .asv/gate-results, never into the committed results/. Exit status: 0 when nothing got
slower than --factor, 1 when something did (or failed), 2 on bad input. Where
$GITHUB_STEP_SUMMARY names a file (a GitHub Actions job), the verdict and the table of what
changed are appended to it in Markdown.
"""
import os
import sys
from pathlib import Path

from . import options
from .asvcmd import asv_executable, check_rev, git, run_echoed
from .errors import FINDING, BadInput, first_line
from .fmt import fmt_result, markdown_table
from .results import (DEFAULT_ENV, asv_machine_name, check_suite_selection, derived_config, load_config,
                      load_result_set)

DEFAULT_FACTOR = 1.25
"""Slowdown ratio that fails the gate by default: right for ms-scale results on quiet runners; on
a shared 2-core machine µs-scale medians swing more between runs (docs/continuous.md): use
--factor 2 or 1-thread points there."""


CHANGED = ("+", "-", "!")
"""asv's marks of a row the summary lists: slower, faster, failed (the others are within the factor)."""


def summary_markdown(conf, machine, base, head, factor, status):
    """The gate's verdict and asv's comparison of `base` and `head` (full hashes) in `conf`'s
    results for `machine`, as Markdown: the rows beyond the factor, every environment."""
    from .compare import compare_records
    sides = []
    for rev in (base, head):
        try:
            sides.append(load_result_set(conf, machine, rev))
        except BadInput:
            sides.append(None)
    envs = sorted(set().union(*(rs.env_names for rs in sides if rs)))
    rows = []
    for env in envs:
        recs = [{r.label(): r for r in rs.records(env)} if rs and env in rs.results else {} for rs in sides]
        labels = sorted(set(recs[0]) | set(recs[1]))
        rows += [(env, row) for row in
                 compare_records([(k, recs[0].get(k), recs[1].get(k)) for k in labels], factor)]
    verdict = "PASS" if status == 0 else "FAIL"
    counts = {m: sum(row.mark == m for _, row in rows) for m in CHANGED}
    lines = [f"### Regression gate: {verdict}", "",
             f"`asv continuous --factor {factor}` on `{machine}`: base `{base[:8]}`, head `{head[:8]}`; "
             f"{len(rows)} results compared, {counts['+']} slower, {counts['!']} failed, "
             f"{counts['-']} faster beyond the factor.", ""]
    if not all(sides):
        lines += [f"No results for {'base' if sides[0] is None else 'head'} in {conf.results_dir} "
                  "(asv's output in the job's log says why).", ""]
    changed = [(env, row) for env, row in rows if row.mark in CHANGED]
    if changed:
        table = [[row.mark, fmt_result(row.before), fmt_result(row.after),
                  "n/a" if row.ratio != row.ratio else f"{row.ratio:.2f}", f"`{row.label}`", env]
                 for env, row in sorted(changed, key=lambda er: (CHANGED.index(er[1].mark), er[1].label))]
        lines += [markdown_table(["Change", "Before", "After", "Ratio", "Benchmark (Parameter)",
                                  "Environment"], table), ""]
    elif rows:
        lines += ["Nothing changed beyond the factor.", ""]
    return "\n".join(lines)


def write_step_summary(text, environ=None):
    """Append `text` to the file $GITHUB_STEP_SUMMARY names; the path, or None when it is unset."""
    path = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY")
    if not path:
        return None
    with open(path, "a", encoding="utf-8") as f:
        f.write(text.rstrip("\n") + "\n")
    return path


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
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        try:
            hashes = [git(conf, "rev-parse", f"{rev}^{{commit}}")[1] for rev in (args.base, args.head)]
            write_step_summary(summary_markdown(load_config(config), machine, *hashes, args.factor, status))
        except (BadInput, OSError) as exc:      # the verdict stands; only its summary is missing
            print(f"gate: no step summary: {first_line(exc)}", file=sys.stderr)
    return FINDING if status else 0


COMMANDS = [("gate", "the regression gate: asv continuous BASE HEAD in one environment, exit 1 on a "
                     "slowdown beyond the factor", configure, run)]
