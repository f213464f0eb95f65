"""The facts that explain an environment's numbers (library versions, BLAS, threads, CPU, SIMD),
collected into ``results/<machine>/facts/<env_name>.facts``.

``twolayer-bench facts`` runs ``probe.py`` with every built asv environment's Python and writes
one file per environment. The files end in ``.facts``, not ``.json``: asv walks ``results/`` and
warns about every ``*.json`` in a folder without a ``machine.json``. The content is JSON.
"""
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
        if not os.path.exists(python) or (os.path.exists(path) and not force):
            continue
        proc = subprocess.run([python, str(PROBE)], capture_output=True, text=True, timeout=300,
                              cwd=root, env=dict(os.environ, PYTHONPATH=root))
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            print(f"twolayer-bench facts: {env.name}: probe failed: {tail}", file=sys.stderr)
            failed.append(env.name)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(proc.stdout)
        os.replace(tmp, path)
        print(f"facts: {path}")
    return failed


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
