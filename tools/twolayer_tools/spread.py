"""Run-to-run spread: the same commit benchmarked twice, medians compared benchmark by benchmark.

Answers "how much of a difference is noise on this machine?": the share of benchmark
parameter sets whose two medians agree within 5 % and within 10 %, and the worst offenders.
Both runs use one environment (numpy 2.4.6 x torch 2.13.0 by default) and temporary results
directories, never the committed results/.

    twolayer-bench spread [REV] [-E SELECTOR] [-b REGEX] [-a rounds=2]
    twolayer-bench spread --runs results /tmp/run2 -c eaa8efb [-b REGEX]   # two finished runs

``--pair OLD NEW`` measures how well environments pair in one run: for every point of one backend
(``--backend``, default torch) whose code is the same in two environments whose names differ only
by OLD -> NEW (e.g. numpy1.26.4 numpy2.4.6: torch's points beside two NumPys), the ratio of the
two medians, summarised per thread count.

``--runs`` compares two runs already made (two asv results folders, every environment, e.g. a
``make bench`` in results/ and a second full-matrix run elsewhere) without running anything, says
per thread count whether the runs differ by more than their own samples predict (``sampling_check``:
if not, more samples would tighten them; if so, the host moved between the runs), and counts the
tick medians of each run (``ticks``).
"""
import math
import subprocess
import tempfile
from pathlib import Path

from . import options
from .asvcmd import asv_executable, check_rev
from .errors import BadInput, listing
from .results import (DEFAULT_ENV, _result_files, bench_regex, check_results_readable, check_suite_selection,
                      derived_config, load_config, load_results_file, require_machine, resolve_commit)

MACHINE = "spread"


TICK_S = 1e-4
"""A tick median: an op under this at 1 thread whose median at all cores is above it (issue 11's
measure of the scheduler-tick artefact; one tick is 4 ms on these hosts)."""


def medians(results_dir, machine=MACHINE, commit=None, with_env=False, bench=(), stats=False):
    """{(benchmark, params...[, environment]): median} for every finite result of one commit in an
    asv results directory: `commit`'s (a hash prefix naming one commit), else the only one there;
    only benchmarks matching a `bench` regex. Every file is read strictly (a damaged one is BadInput).
    With `stats`, each value is (median, asv's stats of it: q_25, q_75, repeat ...)."""
    import itertools
    import re
    pattern = bench_regex(bench)
    loaded = [load_results_file(path, machine) for path in _result_files(str(results_dir), machine)]
    order = sorted({res.commit_hash for res in loaded})
    if commit is None and len(order) > 1:
        raise BadInput(f"{results_dir} holds results of {len(order)} commits for machine {machine!r}; "
                       "choose one with -c: " + listing(c[:8] for c in order))
    chosen = resolve_commit(order, commit, machine) if order else None
    out = {}
    for res in loaded:
        if res.commit_hash != chosen:
            continue
        for key in res.get_all_result_keys():
            params = res.get_result_params(key)
            values = res.get_result_value(key, params)
            found = res.get_result_stats(key, params) if stats else [None] * len(values)
            for combo, value, stat in zip(itertools.product(*params) if params else [()], values, found):
                if pattern and not (re.search(pattern, key)
                                    or re.search(pattern, f"{key}({', '.join(combo)})")):
                    continue
                if isinstance(value, (int, float)) and math.isfinite(value) and value > 0:
                    out[(key, *combo, *((res.env_name,) if with_env else ()))] = (value, stat) if stats else value
    return out


def sampling_sd(stat):
    """The standard error of log(median) that a point's own samples predict, from asv's stats:
    sigma ~ ln(q75/q25) / 1.349 (a normal's IQR in sigmas), SE(median) ~ 1.253 sigma / sqrt(n).
    None without quartiles or with fewer than 4 samples."""
    try:
        q25, q75, n = stat["q_25"], stat["q_75"], stat["repeat"]
    except (TypeError, KeyError):
        return None
    if not (q25 and q75 and q25 > 0 and q75 >= q25 and n and n >= 4):
        return None
    return 1.253 * math.log(q75 / q25) / 1.349 / math.sqrt(n)


def sampling_check(first, second, groups):
    """Lines saying, per group, whether two runs' medians differ as much as their samples predict
    (sd of log(B/A) against the rms of the two runs' standard errors) or more: the excess is what
    moved between the runs (the host's state), not what more samples would remove."""
    lines = []
    for name in sorted(set(groups.values())):
        pairs = []
        for key in first.keys() & second.keys():
            if groups.get(key) != name:
                continue
            (a, sa), (b, sb) = first[key], second[key]
            se = [sampling_sd(sa), sampling_sd(sb)]
            if None not in se:
                pairs.append((math.log(b / a), math.hypot(*se)))
        if len(pairs) < 8:
            continue
        observed = math.sqrt(sum(d * d for d, _ in pairs) / len(pairs))
        expected = math.sqrt(sum(e * e for _, e in pairs) / len(pairs))
        excess = math.sqrt(max(observed ** 2 - expected ** 2, 0.0))
        verdict = ("the runs differ by their sampling error" if excess <= 0.5 * expected else
                   f"{100 * excess:.1f} % of it moved between the runs (the host), more samples would not remove it")
        lines.append(f"{name}: run-to-run sd of log(B/A) {100 * observed:.1f} % over {len(pairs)} points; "
                     f"the samples predict {100 * expected:.1f} %: {verdict}")
    return lines


def param_names(results_dir):
    """{benchmark: its parameter names} from an asv results folder's benchmarks.json; BadInput when
    the folder is not one."""
    import json
    path = Path(results_dir) / "benchmarks.json"
    if not path.is_file():
        raise BadInput(f"{results_dir} is not an asv results folder (no benchmarks.json)")
    try:
        listed = json.loads(path.read_text(encoding="utf-8"))
        return {name: list(info.get("param_names") or []) for name, info in listed.items()
                if isinstance(info, dict)}  # its "version" entry is a number
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError) as exc:
        raise BadInput(f"corrupt benchmark list {path}: {str(exc).splitlines()[0] if str(exc) else exc}") from None


def label(key):
    """asv's "name(params)" of a ``medians(..., with_env=True)`` key (what -b and asv's
    regressions_thresholds match)."""
    return f"{key[0]}({', '.join(key[1:-1])})" if len(key) > 2 else key[0]


def param_index(key, names, name):
    """Where parameter `name` sits in a `medians` key, or None."""
    names = names.get(key[0], [])
    return 1 + names.index(name) if name in names else None


def param(key, names, name):
    """The value (as asv writes it) of parameter `name` in a `medians` key, or None."""
    i = param_index(key, names, name)
    return None if i is None else key[i]


def ticks(meds, names):
    """Keys of `meds` at the most threads whose median is above ``TICK_S`` while the same point at
    1 thread is below it (`names`: ``param_names`` of their folder)."""
    found = []
    for key, value in meds.items():
        i = param_index(key, names, "threads")
        if i is None or key[i] == "1":
            continue
        one = meds.get(key[:i] + ("1",) + key[i + 1:])
        if one is not None and one < TICK_S < value:
            found.append(key)
    return sorted(found)


def thread_groups(results_dir, keys):
    """{key: 'threads=N'} for the keys of benchmarks that have a `threads` parameter."""
    names = param_names(results_dir)
    return {key: f"threads={param(key, names, 'threads')}" for key in keys
            if param(key, names, "threads") is not None}


def spread_table(first, second, worst=10, groups=None):
    """Summary lines comparing two {key: median} maps (ratios of the slower to the faster),
    then the same shares within each group of `groups` ({key: label}, e.g. by thread count)."""
    common = sorted(set(first) & set(second))
    if not common:
        raise ValueError("the two runs have no benchmark in common")
    ratios = {k: max(first[k], second[k]) / min(first[k], second[k]) for k in common}

    def within(f, keys=ratios):
        return sum(ratios[k] <= f for k in keys) / len(keys)

    lines = [f"benchmark parameter sets compared: {len(ratios)}",
             f"medians within  5 %: {within(1.05):6.1%}",
             f"medians within 10 %: {within(1.10):6.1%}",
             f"worst {min(worst, len(ratios))}:"]
    for key, r in sorted(ratios.items(), key=lambda kv: -kv[1])[:worst]:
        name = key[0] + ("(" + ", ".join(map(str, key[1:])) + ")" if len(key) > 1 else "")
        lines.append(f"  x{r:5.3f}  {name}  {first[key]:.4g} vs {second[key]:.4g}")
    for label in sorted(set((groups or {}).values())):
        keys = [k for k in ratios if groups.get(k) == label]
        lines.append(f"{label}: {len(keys)} sets, within 5 % {within(1.05, keys):6.1%}, "
                     f"within 10 % {within(1.10, keys):6.1%}")
    return lines, ratios


def configure(p):
    p.add_argument("rev", nargs="?", default="HEAD", help="commit to benchmark (default HEAD)")
    options.config(p)
    options.env(p, default=DEFAULT_ENV)
    options.bench(p)
    p.add_argument("-a", "--attribute", action="append", default=[],
                   help="asv benchmark attribute override, e.g. rounds=4 (passed to asv run -a)")
    p.add_argument("--cpu-affinity", help="passed to asv run --cpu-affinity")
    p.add_argument("--runs", nargs=2, metavar="RESULTS_DIR",
                   help="compare two finished runs (asv results folders, every environment) of the "
                        "commit -c instead of running asv")
    p.add_argument("--pair", nargs=2, metavar=("OLD", "NEW"),
                   help="ratios of one backend's medians between environments whose names differ only "
                        "by OLD -> NEW (e.g. numpy1.26.4 numpy2.4.6), per thread count, in the results of "
                        "-c (no run)")
    p.add_argument("--backend", default="torch", help="the backend whose points --pair compares (default torch)")
    p.add_argument("--results-dir", metavar="DIR", help="asv results folder for --pair (default: the configuration's)")
    options.machine(p)
    options.commit(p)


def compare_runs(args):
    """``--runs A B``: the spread between two finished runs, every environment, and their tick medians."""
    runs = []
    names = [param_names(results_dir) for results_dir in args.runs]  # BadInput unless results folders
    for results_dir in args.runs:
        check_results_readable(str(results_dir))    # a damaged file anywhere: bad input, not a gap
    for results_dir in args.runs:
        machine = require_machine(str(results_dir), args.machine)
        meds = medians(results_dir, machine, args.commit, with_env=True, bench=args.bench, stats=True)
        if not meds:
            raise BadInput(f"no results of commit {args.commit or '(any)'} for machine {machine} in {results_dir}"
                           + (" matching -b" if args.bench else ""))
        runs.append(meds)
    groups = thread_groups(args.runs[0], runs[0])
    try:
        lines, _ = spread_table(*({k: v[0] for k, v in meds.items()} for meds in runs), groups=groups)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    print("\n".join(lines + sampling_check(*runs, groups)))
    for results_dir, meds, run_names in zip(args.runs, runs, names):
        meds = {k: v[0] for k, v in meds.items()}
        found = ticks(meds, run_names)
        print(f"tick medians in {results_dir} (under {TICK_S * 1e6:.0f} µs at 1 thread, above at all cores): {len(found)}")
        for key in found:
            print(f"  {label(key)} {key[-1]}: {meds[key] * 1e6:.0f} µs")
    return 0


def pair_envs(args):
    """``--pair OLD NEW``: the spread of environment-vs-environment ratios on identical code."""
    import statistics
    results_dir = args.results_dir or load_config(args.config).results_dir
    names = param_names(results_dir)
    check_results_readable(str(results_dir))
    machine = require_machine(str(results_dir), args.machine)
    meds = medians(results_dir, machine, args.commit, with_env=True, bench=args.bench)
    old, new = (x.strip() for x in args.pair)
    envs = sorted({key[-1] for key in meds})
    if not old or not new or old == new:
        raise BadInput(f"--pair needs two different, non-empty parts of environment names, not {old!r} {new!r}")
    for part in (old, new):
        if not any(part in env for env in envs):
            raise BadInput(f"--pair: {part!r} is in no environment name with results; environments: {listing(envs)}")
    groups = {}
    for key, value in meds.items():
        env = key[-1]
        if new not in env:
            continue
        other = meds.get(key[:-1] + (env.replace(new, old),))
        if other is None or param(key, names, "backend") != repr(args.backend):
            continue
        groups.setdefault(param(key, names, "threads") or "-", []).append(value / other)
    if not groups:
        raise BadInput(f"no {args.backend} point in results of {machine} at {args.commit or 'any commit'} has an "
                       f"environment pair {old} -> {new}")
    print(f"{args.backend} medians, environment with {new} over the same environment with {old}:")
    for threads, ratios in sorted(groups.items()):
        ratios.sort()
        n = len(ratios)
        worst = max(max(r, 1 / r) for r in ratios)
        within = sum(1 / 1.1 <= r <= 1.1 for r in ratios) / n
        print(f"threads={threads}: {n} points, within 10 % {within:6.1%}, ratio p5 {ratios[n // 20]:.2f} "
              f"median {statistics.median(ratios):.2f} p95 {ratios[(19 * n) // 20]:.2f}, worst {worst:.2f}x")
    return 0


def run(args):
    if args.runs:
        return compare_runs(args)
    if args.pair:
        return pair_envs(args)
    conf = load_config(args.config)
    check_rev(conf, args.rev)
    check_suite_selection(conf, args.bench)
    root = Path(conf.path).parent
    asv = asv_executable()
    runs = []
    with tempfile.TemporaryDirectory(prefix="twolayer-spread-") as tmp:
        for i in (1, 2):
            config = derived_config(conf, Path(tmp) / f"run{i}.conf.json", args.env or [DEFAULT_ENV],
                                    results_dir=str(Path(tmp) / f"results{i}"),
                                    html_dir=str(Path(tmp) / f"html{i}"))
            subprocess.run([asv, "--config", str(config), "machine", "--yes", "--machine", MACHINE],
                           cwd=root, stdout=subprocess.DEVNULL, check=False)
            cmd = [asv, "--config", str(config), "run", "--machine", MACHINE, "--show-stderr",
                   *[x for b in args.bench for x in ("-b", b)],
                   *[x for a in args.attribute for x in ("-a", a)],
                   *(["--cpu-affinity", args.cpu_affinity] if args.cpu_affinity else []),
                   f"{args.rev}^!"]
            print(f"run {i}: $ " + " ".join(cmd), flush=True)
            proc = subprocess.run(cmd, cwd=root, stdout=subprocess.DEVNULL)
            if proc.returncode != 0:
                raise BadInput(f"asv run {i} exited {proc.returncode}")
            runs.append(medians(Path(tmp) / f"results{i}"))
        groups = thread_groups(Path(tmp) / "results1", runs[0])
    try:
        lines, _ = spread_table(*runs, groups=groups)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    print("\n".join(lines))
    return 0


COMMANDS = [("spread", "benchmark one commit twice in one environment and print how far the two runs' "
                       "medians differ", configure, run)]
