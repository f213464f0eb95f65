"""Running the suite: ``bench`` (the README's command: run, facts, report, publish) and ``history``
(every commit that changed what is measured).

Both check their input before anything runs (machine name, environment selector, benchmark
selection, every results file readable), so bad input costs seconds and writes nothing.
``bench`` interleaves the rounds across the environments (``interleave``); asv saves each
environment's results after every round. ``bench`` passes ``--skip-existing-successful`` so a
second ``bench`` after an interrupted one measures only what has no result yet (points of the
interrupted round keep the rounds they had; ``--fresh`` measures everything again).

One host kind per machine name: a run is refused before anything runs when the committed
``results/<machine>/machine.json`` describes another host (``hosts.check_machine_host``). The asv
and git subprocesses live in ``asvcmd``, the host checks in ``hosts`` (both asv access).
"""
import sys
from pathlib import Path

from . import options
from .asvcmd import FIRST_COMMIT, asv_run, git, measured_commits
from .errors import BadInput, FINDING
from .hosts import check_machine_host
from .results import (asv_machine_name, check_results_readable, check_suite_selection, derived_config,
                      load_config)
from .selection import split_for_rounds
# Moved to asvcmd/hosts (asv access); re-exported until every caller imports them from there.
from .asvcmd import MEASURED_PATHS, RETIRED_TOOL_MODULES, asv_executable, check_rev, run_echoed  # noqa: F401,E402
from .hosts import (COMPARED_FIELDS, MACHINE_FIELDS, claimed_simd, describe_cpu, host_cpu,  # noqa: F401,E402
                    host_machine_info, machine_mismatch, machine_params_problems, read_machine_json,
                    register_machine, zen_generation)


def prepared_run(args, name):
    """Check the shared input of a run; return (conf, config path to run with, machine)."""
    conf = load_config(args.config)
    machine = asv_machine_name(args.machine)
    check_results_readable(conf.results_dir)
    check_machine_host(conf.results_dir, machine)
    check_suite_selection(conf, args.bench)
    config = conf.path
    if args.env:
        config = derived_config(conf, Path(conf.path).parent / ".asv" / f"{name}.conf.json", args.env)
    return conf, str(config), machine


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
    p.add_argument("--rounds", type=options.positive_int, metavar="N",
                   help="run the selected time benchmarks N rounds (N processes per point, "
                        "interleaved across the environments) instead of their own; counts and "
                        "ratios keep theirs. For comparisons across environments, which nothing "
                        "pairs (make bench-blas)")
    p.add_argument("asv_args", nargs="*", metavar="ASV_RUN_ARG",
                   help="after --: more arguments for `asv run`, e.g. -- --quick 'HEAD^!' (default "
                        "revision: the newest commit of main that changed the workload or the suite)")


def run_bench(args):
    from . import facts, report, site
    conf, config, machine = prepared_run(args, "bench")
    resume = [] if args.fresh else ["--skip-existing-successful"]
    revision = [] if any(not a.startswith("-") for a in args.asv_args) else [f"{measured_commits(conf)[-1]}^!"]
    if args.rounds:     # two asv runs: the time benchmarks with N rounds, then the rest
        status = 0
        for selection, extra in zip(split_for_rounds(conf, args.bench), (["-a", f"rounds={args.rounds}"], [])):
            if selection is not None:
                status = asv_run(conf, config, machine, [*resume, *interleave(args.asv_args), "-b", selection,
                                                         *extra, *args.asv_args, *revision]) or status
    else:
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
        if args.env or args.bench:
            raise BadInput("--list prints commits; -E and -b choose what a run measures, not which commits")
        have = None
        if args.machine:   # mark what this machine has measured already (what a run skips)
            folder = Path(conf.results_dir) / args.machine
            if not folder.is_dir():
                raise BadInput(f"no results folder for machine {args.machine!r} in {conf.results_dir}")
            have = {f.name.split("-")[0] for f in folder.glob("*-*.json")}
        for c in commits:
            _, subject = git(conf, "log", "-1", "--format=%h %s", c)
            mark = "" if have is None else ("measured  " if c[:8] in have else "to measure ")
            print(mark + subject[:100])
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
