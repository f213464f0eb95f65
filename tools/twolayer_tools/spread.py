"""Run-to-run spread: the same commit benchmarked twice, medians compared benchmark by benchmark.

Answers "how much of a difference is noise on this machine?": the share of benchmark
parameter sets whose two medians agree within 5 % and within 10 %, and the worst offenders.
Both runs use one environment (numpy 2.4.6 x torch 2.13.0 by default) and temporary results
directories, never the committed results/.

    twolayer-bench spread [REV] [-E SELECTOR] [-b REGEX] [-a rounds=2]
"""
import math
import subprocess
import tempfile
from pathlib import Path

from . import options
from .bench import asv_executable, check_rev
from .errors import BadInput
from .results import DEFAULT_ENV, check_suite_selection, derived_config, load_config

MACHINE = "spread"


def medians(results_dir):
    """{(benchmark, params...): median} for every finite result in an asv results directory."""
    from asv.results import iter_results_for_machine
    import itertools
    out = {}
    for res in iter_results_for_machine(str(results_dir), MACHINE):
        for key in res.get_all_result_keys():
            params = res.get_result_params(key)
            values = res.get_result_value(key, params)
            for combo, value in zip(itertools.product(*params) if params else [()], values):
                if isinstance(value, (int, float)) and math.isfinite(value) and value > 0:
                    out[(key, *combo)] = value
    return out


def thread_groups(results_dir, keys):
    """{key: 'threads=N'} for the keys of benchmarks that have a `threads` parameter."""
    import json
    benchmarks = json.loads((Path(results_dir) / "benchmarks.json").read_text())
    groups = {}
    for key in keys:
        names = benchmarks.get(key[0], {}).get("param_names", [])
        if "threads" in names:
            groups[key] = f"threads={key[1 + names.index('threads')]}"
    return groups


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


def run(args):
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
