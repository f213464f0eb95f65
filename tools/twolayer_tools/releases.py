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

The release lists, their dates and the status file are ``release_lines`` (analysis: the timeline
reads them too); the asv and git subprocesses ``asvcmd``; this module is the measuring command.
"""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import options
from .asvcmd import asv_executable, check_rev, measured_commits, run_echoed
from .errors import FINDING, BadInput, listing
from .hosts import check_machine_host, register_machine
from .release_lines import (LINES, NUMPY_LINE_TORCH, NUMPY_RELEASES, REPEAT_DIR, RESULTS_DIR, THREADPOOLCTL,
                            TORCH_LINE_NUMPYS, TORCH_RELEASES, env_name, load_status, save_status)
from .release_lines import STATUS_FILE, check_release_inputs, status_path  # noqa: F401  (old names, kept)
from .results import asv_machine_name, check_results_readable, load_config, matrix_envs

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
