"""Compare asv results across environments, or numpy against torch, at one commit.

``asv compare`` compares two commits (asv issue #789 asks for environments since 2019). Here:

    twolayer-bench compare-envs numpy1.26.4 numpy2.4.6      # every env pair differing only there
    twolayer-bench compare-backends -E numpy2.4.6,torch2.13.0   # torch/numpy per benchmark

The significance test and the +/-/x/! marks are asv's own (``asv.commands.compare``); the
output is asv compare's table. Exit status: 0, or 1 when ``envs`` finds a slowdown beyond
``--factor``; 2 with a one-line message on bad input.
"""
import math
import sys
from dataclasses import dataclass

from . import options
from .errors import FINDING, BadInput, listing
from .fmt import fmt_result
from .results import (UNSTABLE_SPREAD, bench_regex, check_benchmarks, env_segments, load_config,
                      load_result_set, matched_segments, select_envs)


@dataclass
class Row:
    """One compared pair: before/after records (either may be None) and asv's verdict."""
    label: str
    before: object
    after: object
    ratio: float
    mark: str            # asv's: '+' worse, '-' better, '!' failed, '*' fixed, 'x' not comparable, ' '
    significant: bool    # False when the ratio passes the factor but asv's test says it may be noise

    @property
    def unstable(self):
        """True when either side's median is unstable (results.UNSTABLE_SPREAD): no claim."""
        return any(rec is not None and rec.unstable for rec in (self.before, self.after))


def _value(rec):
    return None if rec is None else rec.value


def _isna(v):
    return v is None or (isinstance(v, float) and math.isnan(v))


def compare_records(pairs, factor=1.1, use_stats=True):
    """asv compare's verdict for each (label, before, after) pair; returns a list of Row.

    The decision ladder is ``asv.commands.compare.Compare.print_table``'s, with its own
    ``_is_result_better`` (Mann-Whitney U on the raw samples, else 99 % CI overlap).
    """
    from asv.commands.compare import _is_result_better
    rows = []
    for label, a, b in pairs:
        t1, t2 = _value(a), _value(b)
        ss1 = (a.stats, a.samples) if a is not None else None
        ss2 = (b.stats, b.samples) if b is not None else None
        ratio = math.nan if (_isna(t1) or _isna(t2) or t1 == 0) else t2 / t1
        significant = True
        if a is not None and b is not None and a.version and b.version and a.version != b.version:
            mark = "x"
        elif a is None or b is None:
            mark = " "
        elif t1 is not None and t2 is None:
            mark = "!"
        elif t1 is None and t2 is not None:
            mark = "*"
        elif _isna(t1) or _isna(t2):
            mark = " "
        elif _is_result_better(t2, t1, ss2, ss1, factor, use_stats=use_stats):
            mark = "-"
        elif _is_result_better(t1, t2, ss1, ss2, factor, use_stats=use_stats):
            mark = "+"
        else:
            mark = " "
            if _is_result_better(t1, t2, None, None, factor) or _is_result_better(t2, t1, None, None, factor):
                significant = False
        rows.append(Row(label, a, b, ratio, mark, significant))
    return rows


def sort_rows(rows, sort):
    """asv compare's orders: 'default' (by name), 'ratio' (largest first), 'name'."""
    if sort == "ratio":
        return sorted(rows, key=lambda r: (-(r.ratio if not math.isnan(r.ratio) else -1e9), r.label))
    return sorted(rows, key=lambda r: r.label)


def format_table(rows, before, after, only_changed=False):
    """asv compare's GitHub-style table of `rows` (Change, Before, After, Ratio, Benchmark)."""
    import tabulate
    lines = []
    for r in rows:
        if only_changed and r.mark in (" ", "x", "*"):
            continue
        ratio = "n/a" if math.isnan(r.ratio) else f"{r.ratio:.2f}"
        if not r.significant:
            ratio = "~" + ratio
        if r.unstable and ratio != "n/a":
            ratio += "?"
        lines.append([r.mark, _cell(r.before), _cell(r.after), ratio, r.label])
    if not lines:
        return "(no benchmarks changed)" if only_changed else "(no benchmarks)"
    table = tabulate.tabulate(lines, headers=["Change", f"Before [{before}]", f"After [{after}]", "Ratio",
                                              "Benchmark (Parameter)"], tablefmt="github")
    if any(line[3].endswith("?") for line in lines):
        table += ("\n\n? unstable: the samples' IQR is above "
                  f"{UNSTABLE_SPREAD:.0%} of the median on that side; its ratio is no claim.")
    return table


def _cell(rec):
    """A result as asv compare prints it, marked '?' when it is unstable."""
    return fmt_result(rec) + (" ?" if rec is not None and rec.unstable else "")


# -- environments ---------------------------------------------------------------------------------

def pair_envs(result_set, sel_a, sel_b):
    """Pairs (env_a, env_b, common) where env_a matches `sel_a`, env_b `sel_b`, and the rest agrees.

    The rest is the environment name without the segments the selectors matched, so
    ``numpy1.26.4`` vs ``numpy2.4.6`` pairs the two torch2.13.0 envs and the two torch2.5.1 envs.
    """
    envs_a = select_envs(result_set, [sel_a])
    envs_b = select_envs(result_set, [sel_b])

    def rest(env, sel):
        used = matched_segments(sel, env)
        return "-".join(s for s in env_segments(env) if s not in used)

    if len(envs_a) == 1 and len(envs_b) == 1:
        pairs = [(envs_a[0], envs_b[0], rest(envs_a[0], sel_a) if rest(envs_a[0], sel_a) == rest(envs_b[0], sel_b) else "")]
    else:
        b_by_rest = {}
        for env in envs_b:
            b_by_rest.setdefault(rest(env, sel_b), []).append(env)
        pairs = []
        for env in envs_a:
            for other in b_by_rest.get(rest(env, sel_a), []):
                if other != env:
                    pairs.append((env, other, rest(env, sel_a)))
    if not pairs:
        raise BadInput(f"no pair of environments differs only in {sel_a!r} vs {sel_b!r}; {sel_a!r} matches "
                       f"{', '.join(envs_a)}; {sel_b!r} matches {', '.join(envs_b)}")
    return pairs


def compare_envs(result_set, sel_a, sel_b, bench=None, factor=1.1, use_stats=True):
    """For each env pair, the Rows of every benchmark and parameter: before = env A, after = env B."""
    out = []
    for env_a, env_b, common in pair_envs(result_set, sel_a, sel_b):
        recs_a = {r.label(): r for r in result_set.records(env_a, bench)}
        recs_b = {r.label(): r for r in result_set.records(env_b, bench)}
        labels = sorted(set(recs_a) | set(recs_b))
        rows = compare_records([(k, recs_a.get(k), recs_b.get(k)) for k in labels], factor, use_stats)
        out.append((env_a, env_b, common, rows))
    return out


# -- backends -------------------------------------------------------------------------------------

def compare_backends(result_set, env_name, bench=None, base="numpy", other="torch", factor=1.1,
                     use_stats=True, param="backend"):
    """Rows pairing each benchmark's `base` and `other` values of parameter `param` (by name).

    Benchmarks without a parameter called `param` are left out; any other parameters
    (dtype, threads, a later 'variant'...) stay in the row label, whatever their position.
    """
    groups = {}
    for rec in result_set.records(env_name, bench):
        if rec.params.get(param) not in (base, other):
            continue
        groups.setdefault(rec.label(drop=(param,)), {})[rec.params[param]] = rec
    pairs = [(label, g.get(base), g.get(other)) for label, g in sorted(groups.items())]
    return compare_records(pairs, factor, use_stats)


# -- command line ---------------------------------------------------------------------------------

def _common(p):
    options.config(p)
    options.machine(p)
    options.commit(p)
    options.bench(p)
    options.factor(p, 1.1)
    p.add_argument("--no-stats", dest="use_stats", action="store_false",
                   help="judge by --factor alone, without asv's significance test")
    p.add_argument("--only-changed", action="store_true", help="only rows beyond the factor")
    p.add_argument("--sort", choices=("default", "ratio", "name"), default="default",
                   help="row order (default: by benchmark name; ratio: largest first)")


def configure_envs(p):
    p.add_argument("before", help="selector of the reference environment(s), e.g. numpy1.26.4")
    p.add_argument("after", help="selector of the compared environment(s), e.g. numpy2.4.6")
    _common(p)


def configure_backends(p):
    options.env(p)
    p.add_argument("--base", default="numpy", help="the reference backend (default numpy)")
    p.add_argument("--other", default="torch", help="the compared backend (default torch)")
    _common(p)


def _load(args):
    rs = load_result_set(load_config(args.config), args.machine, args.commit)
    regex = bench_regex(args.bench)
    check_benchmarks(rs, regex)
    return rs, regex


def compared(rows):
    """The rows with a number on both sides (what a comparison compares)."""
    return [r for r in rows if r.before is not None and r.after is not None and r.before.ok and r.after.ok]


def run_envs(args):
    rs, regex = _load(args)
    worse = False
    tables = compare_envs(rs, args.before, args.after, regex, args.factor, args.use_stats)
    if not any(compared(rows) for *_, rows in tables):
        raise BadInput(f"nothing to compare: no benchmark{' matching -b' if regex else ''} has a number in both "
                       f"{args.before!r} and {args.after!r} at commit {rs.commit[:8]}")
    for env_a, env_b, common, rows in tables:
        print(f"## {env_a} -> {env_b}  (machine {rs.machine}, commit {rs.commit[:8]})\n")
        print(format_table(sort_rows(rows, args.sort), _short(env_a, common), _short(env_b, common),
                           args.only_changed))
        print()
        worse |= any(r.mark in "+!" for r in rows)   # asv's verdict already weighs the spread
    if worse:
        print(f"twolayer-bench compare-envs: slower beyond factor {args.factor} in at least one benchmark",
              file=sys.stderr)
    return FINDING if worse else 0


def check_backends(rs, envs, regex, base, other):
    """BadInput unless `base` and `other` are two different backends with results in `envs`."""
    if base == other:
        raise BadInput(f"--base and --other are both {base!r}; compare two different backends")
    found = sorted({str(r.params["backend"]) for env in envs for r in rs.records(env, regex)
                    if "backend" in r.params})
    for name in (base, other):
        if name not in found:
            raise BadInput(f"unknown backend {name!r}: backends with results"
                           f"{' matching -b' if regex else ''}: {listing(found)}")


def run_backends(args):
    rs, regex = _load(args)
    envs = select_envs(rs, args.env)
    check_backends(rs, envs, regex, args.base, args.other)
    tables = [(env, compare_backends(rs, env, regex, args.base, args.other, args.factor, args.use_stats))
              for env in envs]
    if not any(compared(rows) for _, rows in tables):
        raise BadInput(f"nothing to compare: no benchmark{' matching -b' if regex else ''} has a number for both "
                       f"{args.base!r} and {args.other!r} in {listing(envs)}")
    for env, rows in tables:
        print(f"## {args.other}/{args.base} in {env}  (machine {rs.machine}, commit {rs.commit[:8]})\n")
        print(format_table(sort_rows(rows, args.sort), args.base, args.other, args.only_changed))
        print()
    return 0


COMMANDS = [
    ("compare-envs", "environment A (before) against environment B (after) at one commit, for every "
                     "pair whose names differ only in what the selectors match", configure_envs, run_envs),
    ("compare-backends", "numpy (before) against torch (after) in each environment, paired by the "
                         "'backend' parameter", configure_backends, run_backends),
]


def _short(env, common):
    """What distinguishes `env` within its pair (the segments not shared), for the column header."""
    shared = set(common.split("-")) if common else set()
    parts = [s for s in env_segments(env) if s not in shared]
    return "-".join(parts) or env

