"""The release sweep: the last patch of every NumPy and every torch minor line, each measured once
per machine, into ``releases/<machine>/`` (an asv results folder of its own, so the commit
history's graphs keep the default matrix).

    twolayer-bench releases              # measure every release not yet measured here
    twolayer-bench releases --list       # the plan and what is done, measured or excluded

A NumPy release is paired with ``NUMPY_LINE_TORCH``; a torch release with the first NumPy of
``TORCH_LINE_NUMPYS`` it works with, found by trying (an environment whose NumPy and torch cannot
exchange an array is recorded as excluded, with the error). Only the backend whose release varies
is measured in an environment (``ops.PerOp`` and ``loop.Loop.time_train``, the seed's ``naive``
lines, both dtypes, both thread counts); the pair shared by both lines measures both.
Environments are built one at a time by asv and removed once measured and probed, so the disk
holds one (a torch environment from the package index is ~5 GB with its CUDA libraries). What
is done is kept in ``releases/<machine>/sweep.status`` after every environment: an interrupted
sweep continues with the releases not yet measured.
"""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import options
from .bench import asv_executable, check_machine_host, check_rev, measured_commits, register_machine, run_echoed
from .errors import FINDING, BadInput, listing
from .results import asv_machine_name, check_results_readable, load_config

NUMPY_RELEASES = {
    "1.23.5": "2022-11-20", "1.24.4": "2023-06-26", "1.25.2": "2023-07-31", "1.26.4": "2024-02-05",
    "2.0.2": "2024-08-26", "2.1.3": "2024-11-02", "2.2.6": "2025-05-17", "2.3.5": "2025-11-16",
    "2.4.6": "2026-05-18",
}
"""The last patch of every NumPy minor line from 1.23 on, with the day its first file reached the
package index (the index's upload-time)."""
TORCH_RELEASES = {
    "2.0.1": "2023-05-08", "2.1.2": "2023-12-14", "2.2.2": "2024-03-27", "2.3.1": "2024-06-05",
    "2.4.1": "2024-09-04", "2.5.1": "2024-10-29", "2.6.0": "2025-01-29", "2.7.1": "2025-06-04",
    "2.8.0": "2025-08-06", "2.9.1": "2025-11-12", "2.10.0": "2026-01-21", "2.11.0": "2026-03-23",
    "2.12.1": "2026-06-17", "2.13.0": "2026-07-08", "2.14.1": "2026-09-30", "2.15.0": "2026-10-28",
}
"""The last patch of every torch minor line from 2.0 on, dated as NUMPY_RELEASES."""
NUMPY_LINE_TORCH = "2.13.0"
"""The torch beside every NumPy release: the CPU wheel where pip has it (the matrix's own)."""
TORCH_LINE_NUMPYS = ("2.4.6", "1.26.4")
"""NumPy releases tried, in order, beside each torch release (torch before 2.3 was built against
NumPy 1.x; which pairs work is found by trying)."""
THREADPOOLCTL = "3.8.0"
LINES = {"numpy": NUMPY_RELEASES, "torch": TORCH_RELEASES}
RESULTS_DIR = "releases"
REPEAT_DIR = "releases-repeat"
"""A second, later pass over some points (``--threads 2 --results-dir releases-repeat``): where a
point has one, the timeline marks it unstable when the two medians differ by more than 10 %."""
STATUS_FILE = "sweep.status"   # not .json: asv reads every *.json of a machine folder as results
PAIR_CHECK = ("import numpy, torch; a = numpy.ones((2, 2)); t = torch.from_numpy(a); "
              "assert float((t @ t).sum()) == 8.0 and torch.ones(2).numpy().sum() == 2.0")
"""What a pair must do to be measured: import both and exchange arrays both ways."""


def sweep_bench(backends, threads=None):
    """asv -b patterns: the naive lines of ``ops.PerOp`` and ``loop.Loop.time_train`` for `backends`
    (at `threads` only, when given; asv matches a pattern against 'name(param, ...)' and runs only
    the matching parameters), and their instruction counts (``counts.Instructions``, 1 thread)."""
    alt = "|".join(sorted(backends))
    tail = rf"'\w+', {int(threads)}\)$" if threads else ""
    patterns = [rf"^ops\.PerOp\.time_\w+\('({alt})', 'naive', {tail}",
                rf"^loop\.Loop\.time_train\('({alt})', 'naive', {tail}"]
    if not threads or int(threads) == 1:
        patterns.append(rf"^counts\.Instructions\.track_instructions\('({alt})', 'naive', ")
    return patterns


def plan():
    """[(numpy, torch, [(line, release), ...], backends)], one entry per environment to try first,
    in order: the NumPy line (local wheels, quick to build), then the torch line."""
    envs = {}
    for release in NUMPY_RELEASES:
        envs.setdefault((release, NUMPY_LINE_TORCH), []).append(("numpy", release))
    for release in TORCH_RELEASES:
        envs.setdefault((TORCH_LINE_NUMPYS[0], release), []).append(("torch", release))
    return [(n, t, what, sorted({line for line, _ in what})) for (n, t), what in envs.items()]


def env_name(numpy, torch):
    """asv's name for the environment of a pair (the same as the matrix's)."""
    return f"virtualenv-py3.11-numpy{numpy}-threadpoolctl{THREADPOOLCTL}-torch{torch}"


# -- status ----------------------------------------------------------------------------------------

def status_path(results_dir, machine):
    return Path(results_dir) / machine / STATUS_FILE


def load_status(results_dir, machine):
    """{'numpy 1.23.5': {...}, 'torch 2.0.1': {...}}: what the sweep did for each release, from
    the sweep's results folder (``releases/``)."""
    path = status_path(results_dir, machine)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError:
        raise BadInput(f"corrupt sweep status {path}: remove it to start the sweep over") from None


def save_status(results_dir, machine, status):
    path = status_path(results_dir, machine)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(status, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


# -- one environment -------------------------------------------------------------------------------

def sweep_config(conf, out, numpy, torch, results_dir=RESULTS_DIR):
    """An asv configuration with one environment (numpy, torch) whose results go to releases/
    (or `results_dir`, relative to the project)."""
    from asv import util
    raw = util.load_json(conf.path, js_comments=True)
    root = Path(conf.path).parent
    raw.update(repo=str(root), benchmark_dir=str(root / "benchmarks"), env_dir=str(root / ".asv" / "release-env"),
               results_dir=str(root / results_dir), html_dir=str(root / ".asv" / "release-html"),
               matrix={"req": {"numpy": [numpy], "torch": [torch], "threadpoolctl": [THREADPOOLCTL]}})
    raw.pop("exclude", None)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(raw, indent=2))
    return out


def measure_pair(conf, machine, commit, numpy, torch, backends, threads=None, results_dir=RESULTS_DIR):
    """Build the pair's environment, check it, run the sweep's benchmarks, probe it, remove it.

    Returns (outcome, detail): ('measured', seconds by phase) or ('excluded', the reason)."""
    from . import facts
    root = Path(conf.path).parent
    config = sweep_config(conf, root / ".asv" / "release.conf.json", numpy, torch, results_dir)
    sconf = load_config(config)
    env_root = Path(sconf.env_dir)
    shutil.rmtree(env_root, ignore_errors=True)
    t0 = time.monotonic()
    env = dict(os.environ, PIP_NO_CACHE_DIR="1")   # no 3 GB of CUDA wheels kept per torch release
    try:
        proc = subprocess.run([asv_executable(), "--config", str(config), "setup"], cwd=root, env=env,
                              text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        from .results import matrix_envs
        (asv_env,) = matrix_envs(sconf)
        python = Path(asv_env._path) / "bin" / "python"
        # asv 0.6's `setup` exits with its list of environments (status 1, the list printed) on success
        if not python.exists() or (proc.returncode and not _last_line(proc.stdout).startswith("[<asv.")):
            return "excluded", "install failed: " + _last_line(proc.stdout)
        check = subprocess.run([str(python), "-c", PAIR_CHECK], capture_output=True, text=True, timeout=300)
        if check.returncode:
            return "excluded", "does not work together: " + _last_line(check.stderr)
        built = time.monotonic()
        register_machine(check_machine_host(sconf.results_dir, machine))
        bench = [x for b in sweep_bench(backends, threads) for x in ("-b", b)]
        code, _ = run_echoed([asv_executable(), "--config", str(config), "run", "--machine", machine,
                              "--show-stderr", *bench, f"{commit}^!"], root)
        ran = time.monotonic()
        if code:
            return "failed", f"asv run exited {code}"
        failed = facts.collect(sconf, machine, force=True)
        if failed:
            return "failed", "the facts probe failed"
        return "measured", {"build_s": round(built - t0), "run_s": round(ran - built),
                            "total_s": round(time.monotonic() - t0)}
    finally:
        shutil.rmtree(env_root, ignore_errors=True)


def _last_line(text):
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1].strip()[:300] if lines else "no output"


# -- the command -----------------------------------------------------------------------------------

def configure(p):
    options.config(p)
    options.machine(p)
    p.add_argument("-c", "--commit", metavar="REV",
                   help="the workload commit to measure (default: the newest that changed the "
                        "workload or the suite, as `bench`)")
    p.add_argument("--list", action="store_true", help="only print the plan and what is done")
    p.add_argument("--only", action="append", default=[], metavar="LINE[=RELEASE]",
                   help="only these releases, e.g. --only numpy or --only torch=2.15.0 (repeatable)")
    p.add_argument("--retry", action="store_true",
                   help="try again releases recorded as excluded or failed")
    p.add_argument("--fresh", action="store_true",
                   help="measure again the chosen releases even where they were measured "
                        "(e.g. --only torch=2.3.1 --fresh after the machine was busy during its run)")
    p.add_argument("--threads", type=int, choices=(1, 2), metavar="N",
                   help="only the points at N threads (e.g. a repeat pass at 2 threads)")
    p.add_argument("--results-dir", default=RESULTS_DIR, metavar="DIR",
                   help=f"where the results go, relative to the project (default {RESULTS_DIR}/; "
                        f"a repeat pass goes to {REPEAT_DIR}/)")


def _wanted(only, line, release):
    if not only:
        return True
    for sel in only:
        name, _, version = sel.partition("=")
        if name == line and (not version or version == release):
            return True
    return False


def _check_only(only):
    known = [f"{line}={r}" for line, rs in LINES.items() for r in rs]
    for sel in only:
        name, _, version = sel.partition("=")
        if name not in LINES or (version and version not in LINES[name]):
            raise BadInput(f"unknown release {sel!r}; releases: numpy, torch, " + listing(known, 40))


def run(args):
    conf = load_config(args.config)
    machine = asv_machine_name(args.machine)
    _check_only(args.only)
    root = Path(conf.path).parent
    if args.results_dir not in (RESULTS_DIR, REPEAT_DIR):
        raise BadInput(f"unknown results folder {args.results_dir!r}: the sweep writes {RESULTS_DIR} or {REPEAT_DIR}")
    results = root / args.results_dir
    check_results_readable(str(results))
    status = load_status(results, machine)
    commit = args.commit or measured_commits(conf)[-1]
    check_rev(conf, commit)
    todo = []
    for numpy, torch, what, backends in plan():
        what = [(line, r) for line, r in what if _wanted(args.only, line, r)]
        if not what:
            continue
        outcome = {(line, r): status.get(f"{line} {r}", {}).get("outcome") for line, r in what}
        pending = [(line, r) for line, r in what
                   if args.fresh or outcome[line, r] is None
                   or (args.retry and outcome[line, r] in ("excluded", "failed"))]
        todo.append((numpy, torch, what, pending))
    if args.list:
        for numpy, torch, what, pending in todo:
            for line, r in what:
                st = status.get(f"{line} {r}", {})
                state = st.get("outcome", "to do")
                pair = f"numpy {st.get('numpy', numpy)} + torch {st.get('torch', torch)}"
                print(f"{line:5} {r:7} {pair:28} {state}" + (f": {st['detail']}" if isinstance(st.get("detail"), str) else ""))
        return 0
    problems = 0
    for numpy, torch, what, pending in todo:
        tried = []
        # the pair first; a torch release whose pair fails goes on with the next NumPy of
        # TORCH_LINE_NUMPYS (a NumPy release has no other partner: it is recorded as excluded)
        for n in (numpy, *[x for x in TORCH_LINE_NUMPYS if x != numpy]):
            if not pending:
                break
            if n != numpy:
                pending = [(line, r) for line, r in pending if line == "torch"]
                if not pending:
                    break
            backends = sorted({line for line, _ in pending})
            print(f"releases: numpy {n} + torch {torch}: measuring {', '.join(backends)}", flush=True)
            outcome, detail = measure_pair(conf, machine, commit, n, torch, backends, args.threads,
                                           args.results_dir)
            if outcome != "measured":
                tried.append(f"numpy {n}: {detail}")
                print(f"releases: numpy {n} + torch {torch}: {outcome}: {detail}", file=sys.stderr, flush=True)
            for line, r in pending:
                if outcome == "excluded" and line == "torch" and n != TORCH_LINE_NUMPYS[-1]:
                    continue            # not decided yet: the next NumPy is tried
                entry = {"outcome": outcome, "numpy": n, "torch": torch, "commit": commit,
                         "env_name": env_name(n, torch), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
                if outcome == "measured":
                    entry.update(seconds=detail, tried=list(tried))
                else:
                    entry["detail"] = "; ".join(tried)
                    problems += 1
                status[f"{line} {r}"] = entry
            save_status(results, machine, status)
            if outcome != "excluded":
                break
    return FINDING if problems else 0


COMMANDS = [("releases", "measure the last patch of every NumPy and torch minor line into "
                         "releases/<machine>/ (once per machine; continues where it stopped)",
             configure, run)]
