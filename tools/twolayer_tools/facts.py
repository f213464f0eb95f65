"""The facts that explain an environment's numbers (library versions, BLAS, threads, CPU, SIMD),
collected into ``results/<machine>/facts/<env_name>.facts``.

``twolayer-bench facts`` runs ``probe.py`` with every built asv environment's Python and writes
one file per environment. The files end in ``.facts``, not ``.json``: asv walks ``results/`` and
warns about every ``*.json`` in a folder without a ``machine.json``. The content is JSON.

Facts describe one host at one time. ``facts_match_run`` says whether a facts file belongs to the
host (and time) of given results; ``load_facts_for_run`` is ``load_facts`` that refuses facts of
another run, so a report never explains one host's numbers with another host's BLAS kernels.
"""
import datetime
import glob
import json
import os
import subprocess
import sys
from pathlib import Path

from . import options
from .errors import FINDING, BadInput
from .results import asv_machine_name, load_config, machines

FACTS_DIR = "facts"
SUFFIX = ".facts"
PROBE = Path(__file__).with_name("probe.py")


def facts_path(results_dir, machine, env_name):
    """Where the facts of `env_name` on `machine` live: <results>/<machine>/facts/<env_name>.facts."""
    return os.path.join(results_dir, machine, FACTS_DIR, env_name + SUFFIX)


def load_facts(results_dir, machine, env_name):
    """The recorded facts of an environment, or None when none were collected (or unreadable)."""
    path = facts_path(results_dir, machine, env_name)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def collect(conf, machine, force=False):
    """Probe every built environment of `conf` for `machine`'s results; write one facts file each.

    An existing file is kept, unless `force`, while it was probed on this host kind (``same_host``)
    and the environment has no run it does not name that ended within MAX_GAP. So after `make
    bench` every environment the run measured is probed again, and its facts name that run:
    machine, commit and measurement window (``run.measured``). A probe long after an
    environment's newest run (no window recorded) is quoted for no run
    (``facts_match_run(same_run=True)``).

    Returns the environments whose probe failed (each reported in one line; nothing written)."""
    from asv.environment import get_environments
    if machine not in machines(conf.results_dir):
        raise BadInput(f"unknown machine {machine!r}: no {conf.results_dir}/{machine}/machine.json; "
                       f"machines with results: {', '.join(machines(conf.results_dir)) or '(none)'}")
    root = str(Path(conf.benchmark_dir).parent)   # so the probe imports the suite's benchmarks/threads.py
    failed = []
    for env in get_environments(conf, None, verbose=False):
        python = os.path.join(env._path, "bin", "python")
        path = facts_path(conf.results_dir, machine, env.name)
        if not os.path.exists(python):
            continue
        commit, window = newest_run(conf.results_dir, machine, env.name)
        now = datetime.datetime.now(datetime.timezone.utc)
        recent = window is not None and now - window[1] <= MAX_GAP
        if os.path.exists(path) and not force:
            old = load_facts(conf.results_dir, machine, env.name)
            if old is not None and same_host(old, current_cpu()) and (
                    not recent or _recorded_window(old) == _seconds(window)):
                continue    # they name the newest run, or no run since is recent enough to name
        run_args = ["--machine", machine] + (["--commit", commit] if commit else [])
        proc = subprocess.run([python, str(PROBE), *run_args], capture_output=True, text=True, timeout=300,
                              cwd=root, env=dict(os.environ, PYTHONPATH=root))
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            print(f"twolayer-bench facts: {env.name}: probe failed: {tail}", file=sys.stderr)
            failed.append(env.name)
            continue
        data = json.loads(proc.stdout)
        if recent:
            data.setdefault("run", {})["measured"] = [t.isoformat() for t in _seconds(window)]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(data, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, path)
        print(f"facts: {path}")
    return failed


def newest_commit(results_dir, machine, env_name):
    """The commit of `env_name`'s most recently measured results file on `machine`, or None."""
    return newest_run(results_dir, machine, env_name)[0]


def newest_run(results_dir, machine, env_name):
    """(commit, (first, last) measurement time) of `env_name`'s most recently measured results file
    on `machine`; (None, None) without one, the window None when the file records no times."""
    best = (None, None, None)
    for path in glob.glob(os.path.join(results_dir, machine, f"*-{env_name}.json")):
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            continue
        window = measured_window(data)
        when = window[1] if window else None
        if best[0] is None or (when is not None and (best[1] is None or when > best[1])):
            best = (data.get("commit_hash"), when, window)
    return (best[0], best[2]) if best[0] is not None else (None, None)


def _seconds(window):
    """`window` ((first, last) datetimes) to the second, as facts record it."""
    return tuple(t.replace(microsecond=0) for t in window)


def _recorded_window(facts):
    """The measurement window of the run `facts` were probed after (``run.measured``), or None."""
    measured = (facts.get("run") or {}).get("measured")
    if not isinstance(measured, list) or len(measured) != 2:
        return None
    window = tuple(_to_datetime(t) for t in measured)
    return None if None in window else window


# -- which run facts belong to ---------------------------------------------------------------------

MAX_GAP = datetime.timedelta(hours=24)
"""How far from a run's measurements its facts may have been collected: `make bench` probes after the
run, and one host kind can serve a day of runs. A VM can move to another host within a day
(2026-11-25: an AVX-512 guest at 01:26, an AVX2 one at 11:25), so the CPU is always compared too."""


class FactsMatch:
    """facts_match_run's answer: truthy when the facts belong to the run; `reason` says why not."""

    def __init__(self, ok, reason=""):
        self.ok, self.reason = bool(ok), reason

    def __bool__(self):
        return self.ok

    def __repr__(self):
        return f"FactsMatch({self.ok}, {self.reason!r})"


def _simd_class(level):
    """'AVX-512' for any AVX-512 level ('AVX-512 + AMX' included), 'AVX2', or None."""
    level = str(level or "")
    return "AVX-512" if "512" in level else "AVX2" if "AVX2" in level.upper() else None


def _to_datetime(value):
    """A UTC datetime from a datetime, an ISO string or asv's JavaScript timestamp (ms)."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value / 1000, datetime.timezone.utc)
    try:
        return _to_datetime(datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None


def measured_window(run):
    """(first, last) measurement time of a results file (raw JSON dict or asv Results object) from its
    benchmarks' ``started_at`` (asv's ``date`` is the commit's date, not the run's), or None."""
    if hasattr(run, "started_at") and isinstance(getattr(run, "started_at"), dict):
        stamps = [v for v in run.started_at.values() if v]
    elif isinstance(run, dict) and "results" in run:
        columns = run.get("result_columns") or []
        i = columns.index("started_at") if "started_at" in columns else None
        stamps = [row[i] for row in run["results"].values()
                  if i is not None and isinstance(row, list) and len(row) > i and row[i]]
        stamps += [v for v in (run.get("started_at") or {}).values() if v]   # asv's version-1 layout
    else:
        return None
    times = [t for t in map(_to_datetime, stamps) if t is not None]
    return (min(times), max(times)) if times else None


def _run_parts(run):
    """(machine params, (first, last) measurement time, commit) of `run`: a results file (path, raw
    dict or asv Results), a params/machine.json dict, a datetime / ISO string / ms timestamp."""
    if isinstance(run, (str, os.PathLike)) and str(run).endswith(".json") and os.path.isfile(run):
        with open(run, encoding="utf-8") as f:
            run = json.load(f)
    if hasattr(run, "params") and hasattr(run, "started_at"):            # asv.results.Results
        return dict(run.params or {}), measured_window(run), getattr(run, "commit_hash", None)
    if isinstance(run, dict) and ("results" in run or "params" in run):  # a results file's JSON
        return dict(run.get("params") or {}), measured_window(run), run.get("commit_hash")
    if isinstance(run, dict):                                            # params / machine.json
        return dict(run), None, None
    when = _to_datetime(run)
    if when is None:
        raise TypeError(f"facts_match_run: cannot read a run from {type(run).__name__} {run!r}")
    return {}, (when, when), None


def facts_match_run(facts, run, *, machine_info=None, max_gap=MAX_GAP, same_commit=False, same_run=False):
    """Whether `facts` (a facts file's dict) were collected on the host, and near the time, of `run`.

    `run` is a results file (its path, its JSON dict or an asv Results object), a machine params dict
    (a results file's ``params`` or a machine.json), or the time of the run (datetime, ISO string or
    asv's ms timestamp). `machine_info`: the machine.json of the results' machine, for what `run`
    lacks. Every check runs only where both sides hold the information:

    - machine: the machine the facts were collected for (``run.machine``) is the run's;
    - CPU: the facts' CPU model begins the machine's ``cpu`` text, their SIMD class (AVX-512 or
      AVX2) is the one that text claims, their logical cores are its ``num_cpu``;
    - time: collected within `max_gap` of the run's measurements (``started_at``; asv's ``date`` is
      the commit's);
    - commit: with `same_commit`, the facts name the run's commit;
    - run: with `same_run`, the facts were probed after this very run: they name its commit and,
      where they record one (``run.measured``, since 2026-12-07), its measurement window to the
      second; older facts name the run by its commit and the time check above.

    Returns a FactsMatch: truthy when they belong; ``.reason`` names the first check that failed."""
    from .hosts import claimed_simd
    if not isinstance(facts, dict):
        return FactsMatch(False, "no facts")
    params, window, commit = _run_parts(run)
    params = {**(machine_info or {}), **{k: v for k, v in params.items() if v is not None}}
    recorded = facts.get("run") or {}
    if recorded.get("machine") and params.get("machine") and recorded["machine"] != params["machine"]:
        return FactsMatch(False, f"facts of machine {recorded['machine']!r}, results of {params['machine']!r}")
    cpu = facts.get("cpu") or {}
    text = str(params.get("cpu") or "")
    if text and cpu.get("model") and not text.startswith(str(cpu["model"])):
        return FactsMatch(False, f"facts on CPU {cpu['model']!r}, results on {text!r}")
    claimed, found = claimed_simd(text), _simd_class(cpu.get("simd_level"))
    if cpu.get("avx512") is True:
        found = "AVX-512"
    elif cpu.get("avx2") is True and cpu.get("avx512") is False:
        found = "AVX2"
    if claimed and found and claimed != found:
        return FactsMatch(False, f"facts on an {found} host, results on {text!r} ({claimed})")
    if params.get("num_cpu") and cpu.get("logical_cores") and str(params["num_cpu"]) != str(cpu["logical_cores"]):
        return FactsMatch(False, f"facts on {cpu['logical_cores']} CPUs, results on {params['num_cpu']}")
    collected = _to_datetime(facts.get("collected_at"))
    if window and collected and not (window[0] - max_gap <= collected <= window[1] + max_gap):
        return FactsMatch(False, f"facts collected {collected:%Y-%m-%d %H:%M}, results measured "
                                 f"{window[0]:%Y-%m-%d %H:%M}-{window[1]:%Y-%m-%d %H:%M} UTC")
    if same_commit and commit and recorded.get("commit") and not str(commit).startswith(recorded["commit"][:8]) \
            and not str(recorded["commit"]).startswith(str(commit)[:8]):
        return FactsMatch(False, f"facts of commit {recorded['commit'][:8]}, results of {str(commit)[:8]}")
    if same_run:
        if commit and recorded.get("commit") and not str(recorded["commit"]).startswith(str(commit)[:8]):
            return FactsMatch(False, f"facts of commit {recorded['commit'][:8]}, results of {str(commit)[:8]}")
        had = _recorded_window(facts)
        if had is not None and window is not None and _seconds(window) != had:
            return FactsMatch(False, f"facts of the run measured {had[0]:%Y-%m-%d %H:%M}-{had[1]:%H:%M}, "
                                     f"results measured {window[0]:%Y-%m-%d %H:%M}-{window[1]:%H:%M} UTC")
    return FactsMatch(True)


def load_facts_for_run(results_dir, machine, env_name, run, same_run=True, **kwargs):
    """``load_facts`` for the results `run` (see facts_match_run) of `env_name` on `machine`: the
    facts, or None when there are none or they come from another host, time or run (`same_run`:
    the facts were probed after the very run that wrote `run`). The machine's machine.json
    completes what `run` lacks."""
    facts = load_facts(results_dir, machine, env_name)
    if facts is None:
        return None
    info = None
    try:
        with open(os.path.join(results_dir, machine, "machine.json"), encoding="utf-8") as f:
            info = json.load(f)
        info.pop("version", None)
    except (OSError, ValueError):
        pass
    return facts if facts_match_run(facts, run, machine_info=info, same_run=same_run, **kwargs) else None


def current_cpu():
    """This host's CPU as the probe records it (model, logical cores, SIMD level)."""
    from .hosts import host_cpu
    cpu = host_cpu()
    return {"model": cpu["model"], "logical_cores": os.cpu_count(), "simd": cpu["simd"]}


def same_host(facts, cpu):
    """Whether `facts` were collected on a host of the kind of `cpu` (``current_cpu``)."""
    had = facts.get("cpu") or {}
    return (had.get("model") == cpu["model"] and had.get("logical_cores") == cpu["logical_cores"]
            and _simd_class(had.get("simd_level")) == cpu["simd"])


def configure(p):
    options.config(p)
    options.machine(p)
    p.add_argument("--force", action="store_true", help="probe again environments that have facts")


def run(args):
    conf = load_config(args.config)
    failed = collect(conf, asv_machine_name(args.machine), args.force)
    return FINDING if failed else 0


COMMANDS = [("facts", "probe every built environment (versions, BLAS, threads, CPU) into "
                      "results/<machine>/facts/", configure, run)]
