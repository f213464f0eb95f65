"""asv results, loaded strictly with asv's own code, and selected by machine, commit and environment.

``asv compare`` only compares two commits; the commands of this project compare environments
and backends at one commit, so they need the results as records (benchmark, parameters by
name, value, stats, samples). Everything here reads; nothing ever writes into ``results/``.
Bad input raises ``BadInput`` with a one-line message naming the problem and what exists.
"""
import ast
import itertools
import math
import os
import re
from dataclasses import dataclass, field

__all__ = ["BadInput", "Record", "ResultSet", "load_config", "load_result_set", "select_envs",
           "parse_selector", "env_segments"]


class BadInput(Exception):
    """The user's input names something that does not exist or cannot be read (exit status 2)."""


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _listing(items, limit=12):
    """'a, b, c' for a one-line error message, '... and N more' past `limit`."""
    items = list(items)
    if not items:
        return "(none)"
    head = ", ".join(str(i) for i in items[:limit])
    return head + (f" ... and {len(items) - limit} more" if len(items) > limit else "")


def load_config(path="asv.conf.json"):
    """The asv configuration at `path`, through asv's own loader (paths resolved as asv does)."""
    from asv import util
    from asv.config import Config
    if not os.path.isfile(path):
        raise BadInput(f"no asv configuration at {path!r}; pass --config PATH to an asv.conf.json")
    try:
        conf = Config.load(path)
    except (util.UserError, ValueError, OSError) as exc:
        raise BadInput(f"cannot read the asv configuration {path!r}: {_first_line(exc)}") from None
    base = os.path.dirname(os.path.abspath(path))
    for key in ("results_dir", "html_dir", "env_dir", "benchmark_dir"):
        setattr(conf, key, os.path.join(base, getattr(conf, key)))  # asv reads them from the config's folder
    if "://" not in conf.repo:
        conf.repo = os.path.join(base, conf.repo)
    return conf


def _param_value(text):
    """A parameter's value from asv's repr string ("'numpy'" -> 'numpy', '2' -> 2)."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


@dataclass
class Record:
    """One measured number: a benchmark at one combination of its parameters in one environment."""
    name: str                 # benchmark name, e.g. 'ops.PerOp.time_h'
    params: dict              # parameter name -> value, e.g. {'backend': 'numpy', 'dtype': 'float64'}
    param_reprs: tuple        # the values as asv writes them ("'numpy'", ...), in asv's order
    value: object             # float; None = failed; nan = skipped
    stats: object             # asv stats dict (ci_99_a, q_25, ...) or None
    samples: object           # list of samples or None
    version: object           # benchmark version (hash of its source)
    unit: object              # 'seconds', 'bytes', or a track_ unit
    env_name: str

    @property
    def ok(self):
        """True when the benchmark produced a number (not failed, not skipped)."""
        return isinstance(self.value, (int, float)) and not math.isnan(self.value)

    def label(self, drop=()):
        """asv's row label: name(param, ...) with the parameters named in `drop` left out."""
        reprs = [r for (k, r) in zip(self.params, self.param_reprs) if k not in drop]
        return f"{self.name}({', '.join(reprs)})" if reprs else self.name


@dataclass
class ResultSet:
    """All results of one machine at one commit, by environment, and the suite's benchmark list."""
    conf: object
    machine: str
    commit: str
    results: dict                       # env_name -> asv.results.Results
    benchmarks: dict                    # benchmarks.json entries by name
    commits: list = field(default_factory=list)   # every commit with results on this machine

    @property
    def env_names(self):
        return sorted(self.results)

    def records(self, env_name, bench_regex=None):
        """Every Record of environment `env_name`, optionally only benchmarks matching `bench_regex`."""
        res = self.results[env_name]
        pattern = re.compile(bench_regex) if bench_regex else None
        out = []
        for key in sorted(res.get_all_result_keys()):
            if pattern is not None and not pattern.search(key):
                continue
            params = res.get_result_params(key) or []
            info = self.benchmarks.get(key, {})
            names = list(info.get("param_names") or [])
            if len(names) != len(params):  # benchmarks.json from another suite version: name by position
                names = [f"param{i + 1}" for i in range(len(params))]
            values = res.get_result_value(key, params)
            stats = res.get_result_stats(key, params) or [None] * len(values)
            samples = res.get_result_samples(key, params) or [None] * len(values)
            for combo, v, st, sa in zip(itertools.product(*params), values, stats, samples):
                out.append(Record(key, {n: _param_value(r) for n, r in zip(names, combo)}, tuple(combo),
                                  v, st, sa, res.benchmark_version.get(key), info.get("unit"), env_name))
        return out


def _machines(results_dir):
    from asv import util
    found = []
    if os.path.isdir(results_dir):
        for entry in sorted(os.listdir(results_dir)):
            path = os.path.join(results_dir, entry, "machine.json")
            if os.path.isfile(path):
                try:
                    found.append(util.load_json(path)["machine"])
                except (util.UserError, KeyError, TypeError, OSError):
                    raise BadInput(f"corrupt machine file {path}") from None
    return found


def load_result_set(conf, machine=None, commit=None):
    """Load (strictly) the results of `machine` at `commit` (default: the most recent commit).

    Unlike asv's iterators, which log a warning and skip an unreadable file, a corrupt or
    truncated results file is an error here: a comparison that silently drops an
    environment would be wrong without saying so.
    """
    from asv import util
    from asv.benchmarks import Benchmarks
    from asv.results import Results

    results_dir = conf.results_dir
    machines = _machines(results_dir)
    if not machines:
        raise BadInput(f"no results in {results_dir!r} (no <machine>/machine.json); run 'make bench' first")
    if machine is None:
        with_results = [m for m in machines if _result_files(results_dir, m)]
        if len(machines) == 1 or len(with_results) == 1:
            machine = machines[0] if len(machines) == 1 else with_results[0]
        else:
            raise BadInput("results exist for several machines: " + _listing(with_results or machines)
                           + "; choose one with --machine")
    elif machine not in machines:
        raise BadInput(f"unknown machine {machine!r}; machines with results in {results_dir!r}: "
                       + _listing(machines))

    files = _result_files(results_dir, machine)
    if not files:
        raise BadInput(f"no results yet for machine {machine!r} in {results_dir!r}; run 'make bench' first")
    loaded = []
    for path in files:
        try:
            loaded.append(Results.load(path, machine_name=machine))
        except Exception as exc:  # asv raises UserError, KeyError, TypeError... for a damaged file
            raise BadInput(f"corrupt results file {path}: {_first_line(exc)}") from None

    by_commit = {}
    for res in loaded:
        by_commit.setdefault(res.commit_hash, []).append(res)
    # Most recent first: by commit date, then by when the benchmarks ran.
    order = sorted(by_commit, key=lambda c: max((r.date or 0, max(r.started_at.values(), default=0))
                                                for r in by_commit[c]), reverse=True)
    if commit is None:
        chosen = order[0]
    else:
        matches = [c for c in order if c.startswith(commit.lower())]
        if not matches:
            resolved = _git_hash(conf, commit)
            matches = [c for c in order if resolved and c == resolved]
        if len(matches) != 1:
            what = "ambiguous" if matches else "unknown"
            raise BadInput(f"{what} commit {commit!r} for machine {machine!r}; commits with results: "
                           + _listing(c[:8] for c in order))
        chosen = matches[0]

    try:
        benchmarks = dict(Benchmarks.load(conf))
    except util.UserError as exc:
        raise BadInput(f"cannot read the benchmark list: {_first_line(exc)}") from None
    results = {res.env_name: res for res in by_commit[chosen]}
    return ResultSet(conf, machine, chosen, results, benchmarks, order)


def _result_files(results_dir, machine):
    """Result files of `machine`: <results>/<machine>/*.json except machine.json (not recursive)."""
    folder = os.path.join(results_dir, machine)
    if not os.path.isdir(folder):
        return []
    return sorted(os.path.join(folder, f) for f in os.listdir(folder)
                  if f.endswith(".json") and f != "machine.json" and os.path.isfile(os.path.join(folder, f)))


def _git_hash(conf, name):
    """The full hash of a git name (HEAD, a branch, a tag) in the project's repo, or None."""
    try:
        from asv.repo import get_repo
        return get_repo(conf).get_hash_from_name(name)
    except Exception:  # not a repo, unknown name: the caller reports the commits that exist
        return None


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


def select_envs(result_set, selectors):
    """The environments (names) matching any of `selectors` (all when none); BadInput if one matches none."""
    names = result_set.env_names
    if not selectors:
        return names
    chosen = []
    for sel in selectors:
        hits = [n for n in names if matched_segments(sel, n) is not None]
        if not hits:
            raise BadInput(f"unknown environment {sel!r}: no environment with results at commit "
                           f"{result_set.commit[:8]} on {result_set.machine!r} matches it; environments: "
                           + _listing(names))
        chosen += [h for h in hits if h not in chosen]
    return chosen


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
                       "results: " + _listing(f"{g}.* ({k})" for g, k in sorted(groups.items())))
