"""The timeline's data: every op and the whole loop against NumPy and torch releases, from the release
sweep's results (``releases/<machine>/``), with no page in it (``timeline.py`` draws it).

A release's environment may hold results of several commits (a re-sweep with ``--fresh`` writes
the new commit's files beside the old ones): every point takes the newest commit that has a number
for it (newest by the commit's date, then by when it ran), and says which. A step between two
points of different commits, or a repeat pass of another commit, is never a claim. A point is
unstable when its samples' IQR, or a repeat pass of the same commit, is more than 10 % off its
median; the plot's axis range is the stable points' (an unstable point outside it is drawn at the
edge, marked), and "What changed" claims no step with an unstable side.
"""
import math
from pathlib import Path

from .errors import BadInput, listing
from .facts import load_facts_for_run
from .fmt import fmt_time, is_number
from .release_lines import LINES, REPEAT_DIR, RESULTS_DIR, load_status
from .results import (UNSTABLE_SPREAD, ResultSet, _result_files, load_config, load_results_file,
                      machines, require_machine)

LOOP = "loop"
"""The selector's name for ``loop.Loop.time_train`` (the 500-step loop) beside the op names."""
STEP_FACTOR = 1.1
"""asv compare's default factor: a smaller step is never listed, whatever the test says."""
SINGLE_RUN_THREADS = (1,)
"""Thread counts at which one run of a release is a claim: across runs on other days, 99-100 % of
1-thread medians agree within 10 %, 58-77 % of 2-thread ones (docs/noise.md); a 2-thread step is
claimed only where a repeat pass (``releases-repeat/``) of the same commit measured both sides."""
AXIS_PAD = 1.25
"""The plot's y range is padded by this factor on both sides (a log axis)."""
UNSTABLE_REACH = 4.0
"""An unstable point within this factor of the stable points' range widens the axis; one further off
(a tick artefact: milliseconds among microseconds) is drawn at the axis's edge, marked, so it cannot
squash the stable points."""
BENCH_REGEX = r"^(ops\.PerOp\.time_|loop\.Loop\.time_train$)"
COUNTS_REGEX = r"^counts\.Instructions\.track_instructions$"
COUNT_STEP = 0.02
"""A change of instructions per call past this fraction is listed: the sweep counts every release
in one session, where two runs of one commit count the same (the Regressions page, which compares
runs of several sessions, gives counts 5 %: asv.conf.json)."""


def releases_conf(config=None, results_dir=RESULTS_DIR):
    """The project's asv configuration reading the release sweep's results (``releases/``, or
    `results_dir`) instead of ``results/``."""
    conf = load_config(config)
    conf.results_dir = str(Path(conf.path).parent / results_dir)
    return conf


def sweep_machine(rconf, machine=None):
    """The machine whose sweep to show: `machine`, else the only one with a sweep; None when this
    checkout holds no sweep and no machine was asked for; BadInput otherwise."""
    found = [m for m in machines(rconf.results_dir) if load_status(rconf.results_dir, m)]
    if machine is None and not found:
        return None
    if machine is None and len(found) > 1:
        raise BadInput(f"release sweep results exist for several machines: {listing(found)}; "
                       "choose one with --machine")
    if machine is not None and machine not in found:
        raise BadInput(f"no release sweep results for machine {machine!r} in {rconf.results_dir}; "
                       f"machines with them: {listing(found)} (run 'make releases')")
    return machine or found[0]


# -- loading: every commit of every environment ------------------------------------------------------

def runs_by_env(conf, machine):
    """{env_name: [ResultSet of that env at one commit, ...]}, newest commit first (the commit's date,
    then when its benchmarks ran), from every results file of `machine` (strictly: a damaged file
    is BadInput)."""
    from asv import util
    from asv.benchmarks import Benchmarks
    try:
        benchmarks = dict(Benchmarks.load(conf))
    except util.UserError as exc:
        raise BadInput(f"cannot read the benchmark list of {conf.results_dir}: {exc}".splitlines()[0]) from None
    by_env = {}
    for path in _result_files(conf.results_dir, machine):
        res = load_results_file(path, machine)
        by_env.setdefault(res.env_name, []).append(res)
    out = {}
    for env, runs in by_env.items():
        runs.sort(key=lambda r: (r.date or 0, max(r.started_at.values(), default=0)), reverse=True)
        out[env] = [ResultSet(conf, machine, r.commit_hash, {env: r}, benchmarks) for r in runs]
    return out


def _points(runs, env, line):
    """{'op|dtype|threads': point} of `line`'s backend (naive lines) in `env`, each from the newest
    commit with a number for it; `older` counts the points an older commit also measured."""
    points = {}
    for rs in runs:
        for rec in rs.records(env, BENCH_REGEX):
            p = rec.params
            if p.get("backend") != line or p.get("variant") != "naive" or not rec.ok:
                continue
            op = LOOP if rec.name.startswith("loop.") else rec.name.rsplit("time_", 1)[1]
            key = f"{op}|{p['dtype']}|{p['threads']}"
            if key in points:
                points[key]["older"].append(rs.commit)
                continue
            st = rec.stats or {}
            points[key] = {"median": rec.value, "q25": st.get("q_25"), "q75": st.get("q_75"),
                           "commit": rs.commit, "older": [], "repeat": None, "unstable": rec.unstable,
                           "why_unstable": f"IQR {rec.spread:.0%} of the median" if rec.unstable else "",
                           "_rec": rec, "_run": rs}
    return points


def _counts(runs, env, line):
    """{'op|dtype': {count, commit}}: instructions per call of `line`'s backend (naive, 1 thread,
    callgrind), each from the newest commit that counted it."""
    counts = {}
    for rs in runs:
        for rec in rs.records(env, COUNTS_REGEX):
            p = rec.params
            if p.get("backend") == line and p.get("variant") == "naive" and rec.ok and is_number(rec.value):
                counts.setdefault(f"{p['op']}|{p['dtype']}", {"count": rec.value, "commit": rs.commit})
    return counts


def count_steps(lines):
    """Every change of instructions per call between consecutive releases of a line past COUNT_STEP,
    both sides counted at one commit, largest first: a release that changed an op's work, whatever
    the host's state (callgrind counts what runs, not how fast; valgrind hides AVX-512)."""
    steps = []
    for line, rels in lines.items():
        for before, after in zip(rels, rels[1:]):
            for key, a in sorted(before["counts"].items()):
                b = after["counts"].get(key)
                if b is None or not a["count"] or a["commit"] != b["commit"]:
                    continue
                ratio = b["count"] / a["count"]
                if abs(ratio - 1) > COUNT_STEP:
                    op, dtype = key.split("|")
                    steps.append({"line": line, "from": before["release"], "to": after["release"],
                                  "op": op, "dtype": dtype, "before": a["count"], "after": b["count"],
                                  "ratio": ratio, "commit": b["commit"]})
    steps.sort(key=lambda s: (-max(s["ratio"], 1 / s["ratio"]), s["line"], s["op"], s["dtype"]))
    return steps


def _repeat(config, machine):
    """The repeat pass's (runs by env, status) for `machine`, or ({}, {}) when there is none."""
    rconf = releases_conf(config, REPEAT_DIR)
    status = load_status(rconf.results_dir, machine)
    if not status or machine not in machines(rconf.results_dir):
        return {}, {}
    return runs_by_env(rconf, machine), status


def _apply_repeat(points, repeat_runs, env, line):
    """Mark `points` unstable where a repeat pass of the same commit is more than 10 % off; a repeat
    of another commit measured another harness and is not used."""
    if env not in repeat_runs:
        return
    for key, q in _points(repeat_runs[env], env, line).items():
        p = points.get(key)
        if p is None or q["commit"] != p["commit"]:
            continue
        p["repeat"] = q["median"]
        if abs(q["median"] / p["median"] - 1) > UNSTABLE_SPREAD:
            p["unstable"] = True
            p["why_unstable"] = ", ".join(filter(None, [p["why_unstable"],
                                                        f"repeat pass {fmt_time(q['median'])}"]))


# -- facts -------------------------------------------------------------------------------------------

def _blas(facts, lib):
    """The BLAS `lib` ships: its own build report, else threadpoolctl's pool it owns (NumPy < 1.25
    reports no build configuration), with the kernels OpenBLAS chose for this CPU."""
    blas = ((facts or {}).get(lib) or {}).get("blas") or {}
    pools = [p for p in (facts or {}).get("threadpools", []) if p.get("user_api") == "blas"
             and p.get("owner") == lib]
    if not blas.get("name") and pools:
        blas = {"name": pools[0].get("internal_api"), "version": pools[0].get("version")}
    text = " ".join(str(x) for x in (blas.get("name"), blas.get("version")) if x) or "?"
    kernel = pools[0].get("architecture") if pools else None
    return f"{text} ({kernel} kernels)" if kernel else text


def _openmp(facts):
    pools = [p for p in (facts or {}).get("threadpools", []) if p.get("user_api") == "openmp"]
    return ", ".join(sorted({f"{p.get('prefix')}{' ' + p['version'] if p.get('version') else ''}"
                             for p in pools})) or "none"


# -- the page's data ---------------------------------------------------------------------------------

def build(rconf, machine=None, config=None):
    """The page's data: releases per line with their points (each naming its commit, marked
    unstable where the samples' IQR or a repeat pass disagrees by more than 10 %), the steps asv's
    test calls real (each a claim or not, with the reason), the commits used per thread count and
    a log axis per op, dtype and thread count."""
    machine = require_machine(rconf.results_dir, machine)
    runs = runs_by_env(rconf, machine)
    status = load_status(rconf.results_dir, machine)
    repeat_runs, _ = _repeat(config, machine)
    from twolayer.problem import OPS
    ops = [{"name": op.name, "line": op.line} for op in OPS] + [
        {"name": LOOP, "line": "the 500-step loop (loop.Loop.time_train)"}]
    lines, excluded = {}, []
    for line, dates in LINES.items():
        out = []
        for release, date in dates.items():
            st = status.get(f"{line} {release}", {})
            if st.get("outcome") != "measured":
                if st.get("outcome"):
                    excluded.append({"line": line, "release": release, "outcome": st["outcome"],
                                     "detail": st.get("detail", "")})
                continue
            env = st["env_name"]
            if env not in runs:
                excluded.append({"line": line, "release": release, "outcome": "no results",
                                 "detail": f"the sweep's status says measured, {env} has no results file"})
                continue
            points = _points(runs[env], env, line)
            _apply_repeat(points, repeat_runs, env, line)
            newest = runs[env][0]
            facts = load_facts_for_run(rconf.results_dir, machine, env, newest.results[env])
            out.append({"release": release, "date": date, "env": env, "numpy": st["numpy"],
                        "torch": st["torch"], "blas": _blas(facts, line), "openmp": _openmp(facts),
                        "seconds": st.get("seconds", {}), "status_commit": st.get("commit"),
                        "points": points, "counts": _counts(runs[env], env, line)})
        lines[line] = out
    steps = _steps(lines)
    data = {"machine": machine, "ops": ops, "lines": lines, "steps": steps, "excluded": excluded,
            "commits": commits_used(lines), "largest": largest_steps(steps),
            "count_steps": count_steps(lines)}
    for rels in lines.values():
        for r in rels:
            for p in r["points"].values():
                del p["_rec"], p["_run"]
    data["axes"] = axes(lines)
    return data


def _steps(lines):
    """Every step between consecutive releases of a line that asv's test calls real, claims first,
    largest first; a step is not claimed when a side is unstable, its two sides were measured at
    different commits, or it is at a thread count measured once (the reason is kept)."""
    from .compare import compare_records
    steps = []
    for line, rels in lines.items():
        for before, after in zip(rels, rels[1:]):
            for key, a in before["points"].items():
                b = after["points"].get(key)
                if b is None:
                    continue
                (row,) = compare_records([(key, a["_rec"], b["_rec"])], factor=STEP_FACTOR)
                if row.mark not in ("+", "-") or not is_number(row.ratio):
                    continue
                op, dtype, threads = key.split("|")
                threads = int(threads)
                repeated = a["repeat"] is not None and b["repeat"] is not None
                if a["unstable"] or b["unstable"]:
                    why_not = "a side is unstable"
                elif a["commit"] != b["commit"]:
                    why_not = f"measured at different commits ({a['commit'][:8]}, {b['commit'][:8]})"
                elif threads not in SINGLE_RUN_THREADS and not repeated:
                    why_not = f"{threads} threads, measured once"
                elif repeated and (b["repeat"] / a["repeat"] > 1) != (row.ratio > 1):
                    why_not = "the repeat pass goes the other way"
                else:
                    why_not = ""
                shipped = "; ".join(f"{what} {before[k]} → {after[k]}" for what, k in
                                    (("BLAS", "blas"), ("OpenMP", "openmp")) if before[k] != after[k])
                steps.append({"line": line, "from": before["release"], "to": after["release"], "op": op,
                              "dtype": dtype, "threads": threads, "before": a["median"],
                              "after": b["median"], "ratio": row.ratio, "slower": row.mark == "+",
                              "unstable": a["unstable"] or b["unstable"], "claim": not why_not,
                              "why_not": why_not, "commit": b["commit"], "shipped": shipped})
    steps.sort(key=lambda s: (not s["claim"], -max(s["ratio"], 1 / s["ratio"]), s["line"], s["op"]))
    return steps


def commits_used(lines):
    """[{threads, commit, points}]: how many points of each thread count each commit gave, the
    commit with the most first (the page states it; several commits at one thread count are a mix)."""
    counts = {}
    for rels in lines.values():
        for r in rels:
            for key, p in r["points"].items():
                threads = int(key.rsplit("|", 1)[1])
                counts.setdefault(threads, {}).setdefault(p["commit"], 0)
                counts[threads][p["commit"]] += 1
    return [{"threads": t, "commit": c, "points": n}
            for t in sorted(counts) for c, n in sorted(counts[t].items(), key=lambda x: -x[1])]


def largest_steps(steps):
    """{threads: the largest step listed at that thread count, claimed or not}."""
    out = {}
    for s in sorted(steps, key=lambda s: -max(s["ratio"], 1 / s["ratio"])):
        out.setdefault(s["threads"], s)
    return {str(t): s for t, s in sorted(out.items())}


def log_ticks(lo, hi):
    """[[value, label], ...]: 1-2-5 steps per decade inside [lo, hi] (every 1..9 step when that
    gives fewer than three), labelled as times."""
    def ticks(mantissas):
        out = []
        for exp in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
            for m in mantissas:
                v = float(f"{m}e{exp}")
                if lo <= v <= hi:
                    out.append(v)
        return out
    values = ticks((1, 2, 5))
    if len(values) < 3:
        values = ticks(range(1, 10))
    if len(values) < 2:
        values = [lo, hi]
    return [[v, fmt_time(v)] for v in values]


def axes(lines):
    """{'op|dtype|threads': {min, max, ticks}}: a log axis over the stable points of both lines (all
    points where none is stable) and the unstable points within UNSTABLE_REACH of them, padded by
    AXIS_PAD. An unstable point outside it gets `clipped` ('above'/'below') and `y`, the edge it is
    drawn at; every other point's `y` is its median."""
    by_key = {}
    for rels in lines.values():
        for r in rels:
            for key, p in r["points"].items():
                by_key.setdefault(key, []).append(p)
    out = {}
    for key, points in sorted(by_key.items()):
        stable = [p["median"] for p in points if not p["unstable"]] or [p["median"] for p in points]
        near = [p["median"] for p in points
                if min(stable) / UNSTABLE_REACH <= p["median"] <= max(stable) * UNSTABLE_REACH]
        lo, hi = min(near) / AXIS_PAD, max(near) * AXIS_PAD
        for p in points:
            p["y"], p["clipped"] = p["median"], ""
            if p["median"] > hi:
                p["y"], p["clipped"] = hi, "above"
            elif p["median"] < lo:
                p["y"], p["clipped"] = lo, "below"
        out[key] = {"min": lo, "max": hi, "ticks": log_ticks(lo, hi)}
    return out
