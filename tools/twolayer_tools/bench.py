"""Running the suite: ``bench`` (the README's command: run, facts, report, publish) and ``history``
(every commit that changed what is measured).

Both check their input before anything runs (machine name, environment selector, benchmark
selection, every results file readable), so bad input costs seconds and writes nothing.
``bench`` interleaves the rounds across the environments (``interleave``); asv saves each
environment's results after every round. ``bench`` passes ``--skip-existing-successful`` so a
second ``bench`` after an interrupted one measures only what has no result yet (points of the
interrupted round keep the rounds they had; ``--fresh`` measures everything again).
"""
import os
import subprocess
import sys
from pathlib import Path

from . import options
from .errors import BadInput, FINDING
from .results import (asv_machine_name, check_results_readable, check_suite_selection, derived_config,
                      load_config)

FIRST_COMMIT = "23a39a5"
"""The oldest commit of the published history: the first whose workload has the API the suite
uses (``make_net(..., variant=)``); the suite runs against it and every later commit."""
MEASURED_PATHS = ("twolayer_src", "setup.py", "benchmarks")
"""What a commit must change to be a point of the history: the workload (the wheel) or the suite."""
RETIRED_TOOL_MODULES = ("asvconf", "asvresults", "causes", "compare", "facts", "gate", "peak", "phases",
                        "report", "scaling", "site", "spread")
"""Tool modules that lived inside the wheel before tools/ existed: commits changing only them
changed no measured code."""


def asv_executable():
    """The asv beside this Python (the project's .venv), else the one on PATH."""
    beside = Path(sys.executable).parent / "asv"
    return str(beside) if beside.exists() else "asv"


def run_echoed(cmd, cwd):
    """Run `cmd`, echoing its output as it comes; return (exit status, the whole output)."""
    print("$ " + " ".join(cmd), flush=True)
    lines = []
    env = dict(os.environ, PYTHONUNBUFFERED="1")   # asv's progress as it happens, not at exit
    with subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1, env=env) as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            lines.append(line)
    sys.stdout.flush()
    return proc.returncode, "".join(lines)


def git(conf, *args):
    proc = subprocess.run(["git", *args], cwd=Path(conf.path).parent, text=True, capture_output=True)
    return proc.returncode, proc.stdout.strip()


def check_rev(conf, rev):
    """BadInput unless `rev` names a commit of the project's repository."""
    status, _ = git(conf, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if status:
        raise BadInput(f"unknown revision {rev!r} in {Path(conf.path).parent}")


def prepared_run(args, name):
    """Check the shared input of a run; return (conf, config path to run with, machine)."""
    conf = load_config(args.config)
    machine = asv_machine_name(args.machine)
    check_results_readable(conf.results_dir)
    check_suite_selection(conf, args.bench)
    config = conf.path
    if args.env:
        config = derived_config(conf, Path(conf.path).parent / ".asv" / f"{name}.conf.json", args.env)
    return conf, str(config), machine


def asv_run(conf, config, machine, run_args):
    """`asv machine` then `asv run` with the project's settings; returns asv run's exit status."""
    asv = asv_executable()
    cwd = Path(conf.path).parent
    subprocess.run([asv, "--config", config, "machine", "--yes", "--machine", machine], cwd=cwd,
                   stdout=subprocess.DEVNULL, check=False)
    status, output = run_echoed([asv, "--config", config, "run", "--machine", machine, "--show-stderr",
                                 *run_args], cwd)
    if "No benchmarks selected" in output:
        raise BadInput("asv selected no benchmark to run (check -b/BENCH and the revisions)")
    return status


def interleave(asv_args):
    """``--interleave-rounds`` unless the caller chose otherwise: round r of every environment runs
    before round r+1 of any, so environment-vs-environment ratios come from measurements minutes
    apart at most, and a slow spell of the host falls on one round of every environment instead
    of every round of one. asv refuses it with an existing environment (``-E existing``, ``--python``)."""
    chosen = any(a.startswith(("--interleave", "--no-interleave", "--python")) or a.startswith("existing")
                 for a in asv_args)
    return [] if chosen else ["--interleave-rounds"]


def _bench_args(args):
    return [x for b in args.bench for x in ("-b", b)]


# -- bench -------------------------------------------------------------------------------------------

def configure_bench(p):
    options.config(p)
    options.machine(p)
    options.env(p)
    options.bench(p)
    p.add_argument("--fresh", action="store_true",
                   help="measure again what results/ already holds (default: skip benchmarks that "
                        "already have a result at the commit, so an interrupted run continues)")
    p.add_argument("--no-publish", action="store_true", help="stop after the run, facts and report")
    p.add_argument("asv_args", nargs="*", metavar="ASV_RUN_ARG",
                   help="after --: more arguments for `asv run`, e.g. -- --quick 'HEAD^!' (default "
                        "revision: the newest commit of main that changed the workload or the suite)")


def run_bench(args):
    from . import facts, report, site
    conf, config, machine = prepared_run(args, "bench")
    resume = [] if args.fresh else ["--skip-existing-successful"]
    revision = [] if any(not a.startswith("-") for a in args.asv_args) else [f"{measured_commits(conf)[-1]}^!"]
    status = asv_run(conf, config, machine,
                     [*resume, *interleave(args.asv_args), *_bench_args(args), *args.asv_args, *revision])
    if status:
        print(f"twolayer-bench bench: asv run exited {status}; publishing what was measured", file=sys.stderr)
    failed = facts.collect(load_config(config), machine)
    report.write(conf, machine)
    if not args.no_publish:
        site.publish(conf.path)
    return FINDING if status or failed else 0


# -- history -----------------------------------------------------------------------------------------

def measured_commits(conf, first=FIRST_COMMIT):
    """Commits of the configured branch from `first` on that changed the workload or the suite,
    oldest first (git tells which: ``git log -- MEASURED_PATHS``)."""
    check_rev(conf, first)
    branch = conf.branches[0] if conf.branches else "HEAD"
    check_rev(conf, branch)
    excluded = [f":(exclude)twolayer_src/twolayer/{m}.py" for m in RETIRED_TOOL_MODULES]
    status, out = git(conf, "log", "--reverse", "--format=%H", f"{first}^..{branch}", "--",
                      *MEASURED_PATHS, *excluded)
    if status:
        raise BadInput(f"git log failed in {Path(conf.path).parent}")
    return out.split()


def configure_history(p):
    options.config(p)
    options.machine(p)
    options.env(p)
    options.bench(p)
    p.add_argument("--from", dest="first", default=FIRST_COMMIT,
                   help=f"oldest commit of the history (default {FIRST_COMMIT}, the first the suite runs against)")
    p.add_argument("--fresh", action="store_true",
                   help="measure again commits this machine already has results for")
    p.add_argument("--list", action="store_true", help="only print the commits, oldest first")


def run_history(args):
    conf = load_config(args.config)
    commits = measured_commits(conf, args.first)
    if args.list:
        for c in commits:
            _, subject = git(conf, "log", "-1", "--format=%h %s", c)
            print(subject[:100])
        return 0
    conf, config, machine = prepared_run(args, "history")
    hashfile = Path(conf.path).parent / ".asv" / "history-commits.txt"
    hashfile.parent.mkdir(parents=True, exist_ok=True)
    hashfile.write_text("\n".join(commits) + "\n")
    skip = [] if args.fresh else ["--skip-existing-commits"]
    print(f"history: {len(commits)} commits change the workload or the suite since {args.first}", flush=True)
    status = asv_run(conf, config, machine, [*skip, *_bench_args(args), f"HASHFILE:{hashfile}"])
    return FINDING if status else 0


COMMANDS = [
    ("bench", "run the benchmarks over the matrix, then collect the facts, write the report and "
              "publish the site", configure_bench, run_bench),
    ("history", "benchmark every commit that changed the workload or the suite and has no results "
                "on this machine", configure_history, run_history),
]
