"""Which environments and benchmarks a command means: environment selectors (``numpy=1.26.4,torch2.13``
against asv's environment names) and ``-b`` patterns checked against the suite (found by
asv_runner's own discovery) or the results. Bad input is ``BadInput`` naming what exists.
"""
import itertools
import json
import os
import re
from pathlib import Path

from .errors import BadInput, listing


# -- environment selection ----------------------------------------------------------------------

def env_segments(env_name):
    """The '-'-separated parts of an asv environment name ('numpy1.26.4', 'torch2.13.0', ...)."""
    return env_name.split("-")


def parse_selector(text):
    """Tokens of a selector: 'numpy=1.26.4,torch2.13' -> ['numpy1.26.4', 'torch2.13']."""
    tokens = [re.sub(r"\s*==?\s*", "", t.strip()) for t in text.split(",")]
    return [t for t in tokens if t]


def _token_matches(token, segment):
    if segment == token:
        return True
    if not segment.startswith(token):
        return False
    nxt = segment[len(token)]
    # 'numpy2' matches 'numpy2.4.6' and 'numpy' matches 'numpy1.26.4', but 'torch2.1' not 'torch2.13.0'
    return nxt == "." if token[-1].isdigit() else nxt.isdigit()


def matched_segments(selector, env_name):
    """The segments of `env_name` that `selector` matches, or None if the env does not match."""
    tokens = parse_selector(selector)
    if not tokens:
        return None
    if selector.strip() == env_name:
        return set(env_segments(env_name))
    used = set()
    for token in tokens:
        hits = [s for s in env_segments(env_name) if _token_matches(token, s)]
        if not hits:
            return None
        used.update(hits)
    return used


def select_names(names, selectors, where):
    """The environment names matching any of `selectors` (all when none), in order; BadInput when
    a selector matches none of them (`where` says which environments were searched)."""
    if not selectors:
        return list(names)
    chosen = []
    for sel in selectors:
        hits = [n for n in names if matched_segments(sel, n) is not None]
        if not hits:
            raise BadInput(f"unknown environment {sel!r}: it matches no environment {where}; "
                           "environments: " + listing(names))
        chosen += [h for h in hits if h not in chosen]
    return chosen


def select_envs(result_set, selectors):
    """The environments with results at the set's commit that match any of `selectors`."""
    return select_names(result_set.env_names, selectors,
                        f"with results at commit {result_set.commit[:8]} on {result_set.machine!r}")


def bench_regex(patterns):
    """One regular expression from the -b options (any of them matches); None for none; BadInput
    for an invalid one."""
    patterns = [p for p in (patterns or []) if p]
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise BadInput(f"invalid benchmark pattern {p!r}: {exc}") from None
    if not patterns:
        return None
    return patterns[0] if len(patterns) == 1 else "|".join(f"(?:{p})" for p in patterns)


def suite_benchmarks(conf):
    """{name: entry} of the suite in the configuration's benchmark_dir, found by asv_runner's own
    discovery in this Python (the suite imports with the tools' numpy and torch)."""
    import subprocess
    import sys
    code = ("import io, json, sys\n"
            "from asv_runner.discovery import list_benchmarks\n"
            "f = io.StringIO(); list_benchmarks(sys.argv[1], f)\n"
            "print(json.dumps({b['name']: b for b in json.loads(f.getvalue())}))")
    proc = subprocess.run([sys.executable, "-c", code, conf.benchmark_dir], text=True, capture_output=True,
                          env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                              filter(None, [str(Path(conf.benchmark_dir).parent), os.environ.get("PYTHONPATH")]))))
    if proc.returncode:
        raise BadInput(f"cannot import the benchmarks in {conf.benchmark_dir}: "
                       f"{(proc.stderr.strip().splitlines() or ['?'])[-1]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check_suite_selection(conf, patterns):
    """BadInput when the -b patterns select no benchmark of the suite. asv matches them against
    each name and each name with its parameters, e.g. ops.PerOp.time_h('numpy', 'naive', ...)."""
    regex = bench_regex(patterns)
    if regex is None:
        return
    pattern = re.compile(regex)
    suite = suite_benchmarks(conf)
    for name, entry in suite.items():
        if pattern.search(name):
            return
        for combo in itertools.product(*(entry.get("params") or [])):
            if pattern.search(f"{name}({', '.join(combo)})"):
                return
    groups = sorted({n.rsplit(".", 1)[0] for n in suite})
    raise BadInput(f"no benchmark matches {regex!r}; the suite's classes: {listing(groups)} "
                   "(names look like ops.PerOp.time_h)")


def split_for_rounds(conf, patterns):
    r"""The -b selection split in two asv selections: (the time benchmarks, the others), each one
    regular expression or None when it selects nothing. asv's ``-a rounds=N`` applies to every
    benchmark a run selects, and a benchmark measured once per environment (a ``setup_cache``:
    counts, ratios) would hand its one measurement to every round, N copies as N samples; so only
    the time benchmarks get more rounds. Each expression keeps the caller's patterns (parameters
    included) and adds the names: ``^(?=(?:name|...)(?:\(|$))[\s\S]*?(?:PATTERN)``."""
    regex = bench_regex(patterns)
    pattern = re.compile(regex) if regex else None
    suite = suite_benchmarks(conf)

    def chosen(name, entry):
        return pattern is None or bool(pattern.search(name)) or any(
            pattern.search(f"{name}({', '.join(combo)})")
            for combo in itertools.product(*(entry.get("params") or [])))

    timed = [n for n, e in sorted(suite.items()) if e.get("type") == "time" and not e.get("setup_cache_key")]
    others = [n for n in sorted(suite) if n not in timed]
    out = []
    for names in (timed, others):
        names = [n for n in names if chosen(n, suite[n])]
        if not names:
            out.append(None)
            continue
        head = "(?:" + "|".join(re.escape(n) for n in names) + r")(?:\(|$)"
        out.append(f"^{head}" if regex is None else rf"^(?={head})[\s\S]*?(?:{regex})")
    return tuple(out)


def check_benchmarks(result_set, bench_regex):
    """BadInput if `bench_regex` is invalid or matches no benchmark with results."""
    if not bench_regex:
        return
    try:
        pattern = re.compile(bench_regex)
    except re.error as exc:
        raise BadInput(f"invalid benchmark pattern {bench_regex!r}: {exc}") from None
    names = sorted({k for res in result_set.results.values() for k in res.get_all_result_keys()})
    if not any(pattern.search(n) for n in names):
        groups = {}
        for n in names:
            groups[n.rsplit(".", 1)[0]] = groups.get(n.rsplit(".", 1)[0], 0) + 1
        raise BadInput(f"unknown benchmark {bench_regex!r}: it matches none of the benchmarks with "
                       "results: " + listing(f"{g}.* ({k})" for g, k in sorted(groups.items())))
