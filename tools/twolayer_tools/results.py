"""asv's configuration and results, read with asv's own code, and selected by machine, commit and
environment: the one loader every tool uses.

The configuration and the machine name come from ``asvconfig``, environment and benchmark
selectors from ``selection``; both are re-exported here. ``asv compare`` only compares two commits; the tools compare environments and backends at one
commit, so they need the results as records (benchmark, parameters by name, value, stats,
samples). Nothing here writes into ``results/``. Bad input raises ``BadInput`` with a one-line
message naming the problem and what exists.
"""
import ast
import itertools
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BadInput, first_line, listing
# The configuration and the selectors live in asvconfig and selection (asv access, as this module);
# every name stays importable from here: this is the one loader the tools import.
from .asvconfig import (DEFAULT_ENV, asv_machine_name, check_machine_name, checkout,  # noqa: F401
                        config_path, derived_config, load_config, matrix_envs)
from .selection import (bench_regex, check_benchmarks, check_suite_selection, env_segments,  # noqa: F401
                        matched_segments, parse_selector, select_envs, select_names, suite_benchmarks)


def __getattr__(name):
    """``ROOT``: the checkout the tools work on, the current directory (as asv's own default),
    never the folder the package was installed from."""
    if name == "ROOT":
        return Path.cwd()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


UNSTABLE_SPREAD = 0.10
"""A median whose samples' IQR exceeds this fraction of it is marked unstable (torch.utils.benchmark
warns at the same 10 %): comparisons and the report build no ratio or explanation on it."""


# -- machines and results ------------------------------------------------------------------------

def require_machine(results_dir, machine=None):
    """The machine whose results to read: `machine`; without it, asv's name for this host when it
    has results, else the only machine that has; BadInput naming the machines with results."""
    found = machines(results_dir)
    with_results = [m for m in found if _result_files(results_dir, m)]
    name = asv_machine_name(machine)
    if name in with_results:
        return name
    if machine is None and len(with_results) == 1:
        return with_results[0]
    where = "" if machine else " (this host's asv machine name; choose one with --machine or MACHINE=)"
    raise BadInput(f"no results for machine {name!r}{where} in {results_dir!r}; machines with results: "
                   + listing(with_results) + ("" if with_results else "; run 'make bench' first"))


# -- results ---------------------------------------------------------------------------------------

def load_results_file(path, machine):
    """One asv results file, strictly: a damaged file is BadInput, never silently skipped."""
    from asv.results import Results
    try:
        return Results.load(path, machine_name=machine)
    except Exception as exc:  # asv raises UserError, KeyError, TypeError... for a damaged file
        raise BadInput(f"corrupt results file {path}: {first_line(exc)}") from None


def check_results_readable(results_dir, require_benchmarks=False):
    """BadInput naming the first file under `results_dir` that asv would skip or misread: every
    results file asv's publish walks to (all machines, strictly), each machine.json beside them,
    and benchmarks.json (asv's format; with `require_benchmarks`, present and listing one)."""
    from asv import util
    from asv.benchmarks import Benchmarks
    from asv.machine import Machine
    for root, _dirs, files in sorted(os.walk(results_dir)):
        for name in sorted(f for f in files if f.endswith(".facts")):
            check_facts_file(os.path.join(root, name))
        names = sorted(f for f in files if f.endswith(".json") and f not in ("machine.json", "benchmarks.json"))
        if not names:
            continue
        meta = os.path.join(root, "machine.json")
        try:
            machine = util.load_json(meta, api_version=Machine.api_version).get("machine")
            if not isinstance(machine, str):
                raise util.UserError("no machine name")
        except (util.UserError, OSError, ValueError, AttributeError) as exc:
            raise BadInput(f"corrupt or missing machine file {meta}: {first_line(exc)}") from None
        for name in names:
            load_results_file(os.path.join(root, name), machine)
    bench = os.path.join(results_dir, "benchmarks.json")
    if not os.path.exists(bench):
        if require_benchmarks:
            raise BadInput(f"no benchmark results: {bench} is missing (run 'make bench' first)")
        return
    try:
        listed = util.load_json(bench, api_version=Benchmarks.api_version)
    except (util.UserError, OSError, ValueError) as exc:
        raise BadInput(f"corrupt benchmark list {bench}: {first_line(exc)}") from None
    entries = {k: v for k, v in listed.items() if k != "version"}
    if any(not isinstance(v, dict) for v in entries.values()):
        raise BadInput(f"corrupt benchmark list {bench}: an entry is not a benchmark's description")
    if require_benchmarks and not entries:
        raise BadInput(f"no benchmark results: {bench} lists no benchmark (run 'make bench' first)")


FACTS_SHAPE = {"cpu": dict, "numpy": dict, "torch": dict, "threads": dict, "threadpools": list}
"""The JSON type of each part of a facts file (``facts.py``) the report and timeline read."""


def check_facts_file(path):
    """BadInput unless the facts file at `path` is a JSON object whose parts have their types."""
    try:
        with open(path, encoding="utf-8") as f:
            facts = json.load(f)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise BadInput(f"corrupt facts file {path}: {first_line(exc)} (remove it, then 'make facts')") from None
    bad = [k for k, kind in FACTS_SHAPE.items() if isinstance(facts, dict) and k in facts
           and facts[k] is not None and not isinstance(facts[k], kind)]
    if not isinstance(facts, dict) or bad:
        raise BadInput(f"corrupt facts file {path}: " + (f"{bad[0]!r} is not a {FACTS_SHAPE[bad[0]].__name__}"
                       if bad else "not a JSON object") + " (remove it, then 'make facts')")


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

    @property
    def spread(self):
        """Interquartile range over median of the samples asv kept (None when asv kept no stats)."""
        st = self.stats or {}
        q25, q75 = st.get("q_25"), st.get("q_75")
        if not (self.ok and self.value > 0 and isinstance(q25, (int, float)) and isinstance(q75, (int, float))):
            return None
        return (q75 - q25) / self.value

    @property
    def unstable(self):
        """True when the median is not a claim: its IQR exceeds UNSTABLE_SPREAD of it."""
        spread = self.spread
        return spread is not None and spread > UNSTABLE_SPREAD

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


def machines(results_dir):
    """Machines with a results folder (<results>/<machine>/machine.json), sorted."""
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
    results_dir = conf.results_dir
    check_results_readable(results_dir)     # a damaged file anywhere is bad input, not a gap
    machine = require_machine(results_dir, machine)
    files = _result_files(results_dir, machine)
    loaded = [load_results_file(path, machine) for path in files]

    by_commit = {}
    for res in loaded:
        by_commit.setdefault(res.commit_hash, []).append(res)
    # Most recent first: by commit date, then by when the benchmarks ran.
    order = sorted(by_commit, key=lambda c: max((r.date or 0, max(r.started_at.values(), default=0))
                                                for r in by_commit[c]), reverse=True)
    chosen = resolve_commit(order, commit, machine, conf)

    try:
        benchmarks = dict(Benchmarks.load(conf))
    except util.UserError as exc:
        raise BadInput(f"cannot read the benchmark list: {first_line(exc)}") from None
    results = {res.env_name: res for res in by_commit[chosen]}
    return ResultSet(conf, machine, chosen, results, benchmarks, order)


def resolve_commit(order, commit, machine, conf=None):
    """The one hash of `order` (commits with results, newest first) that `commit` names: a hash
    prefix or, with `conf`, a git name; the newest without `commit`. BadInput when none or several."""
    if not order:
        raise BadInput(f"no results for machine {machine!r}")
    if commit is None:
        return order[0]
    matches = [c for c in order if commit and c.startswith(commit.lower())]
    if not matches and conf is not None:
        resolved = _git_hash(conf, commit)
        matches = [c for c in order if resolved and c == resolved]
    if len(matches) != 1:
        what = "ambiguous" if matches else "unknown"
        raise BadInput(f"{what} commit {commit!r} for machine {machine!r}; commits with results: "
                       + listing(c[:8] for c in order))
    return matches[0]


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
