"""The facts that explain an environment's numbers: library versions, BLAS, threads, CPU and SIMD.

Two halves:

* ``python -m twolayer.facts probe`` runs INSIDE a benchmark environment and prints its facts
  as JSON (numpy/torch versions, the BLAS each uses and its version, the threads each pool
  really uses at every thread count the benchmarks set, the CPU model and SIMD level).
* ``python -m twolayer.facts collect`` runs in the tools venv: it runs ``probe`` with every
  asv environment's python and writes ``results/<machine>/facts/<env_name>.facts``.

The files end in ``.facts``, not ``.json``: asv walks ``results/`` and warns about every
``*.json`` in a folder without a ``machine.json``. The content is JSON.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

FACTS_DIR = "facts"
SUFFIX = ".facts"
SIMD_LEVELS = (  # highest first: (level, /proc/cpuinfo flags that must all be present)
    ("AVX-512 + AMX", ("avx512f", "amx_tile")),
    ("AVX-512", ("avx512f",)),
    ("AVX2", ("avx2", "fma")),
    ("AVX", ("avx",)),
    ("SSE4.2", ("sse4_2",)),
)


# -- probe: inside an environment ---------------------------------------------------------------

def cpu_facts():
    """CPU model, logical cores, SIMD flags and the highest SIMD level, from /proc/cpuinfo."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model in ("", platform.machine(), platform.processor()):
                    model = value.strip()
                elif key == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    level = next((name for name, need in SIMD_LEVELS if all(f in flags for f in need)), "unknown")
    simd = sorted(f for f in flags if re.match(r"(avx|amx|fma|sse4|f16c)", f))
    return {"model": model, "logical_cores": os.cpu_count(), "simd_level": level, "simd_flags": simd}


def _numpy_facts(np):
    out = {"version": np.__version__}
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        out["blas"] = {"name": blas.get("name"), "version": blas.get("version"),
                       "configuration": blas.get("openblas configuration")}
        out["simd"] = cfg.get("SIMD Extensions", {})
    except TypeError:  # numpy < 1.26 has no mode=
        out["blas"] = {}
    return out


def _torch_facts(torch):
    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    mkl = re.search(r"Math Kernel Library Version ([0-9.]+)", config)
    backend = re.search(r"ATen parallel backend: (\S+)", torch.__config__.parallel_info())
    try:
        capability = torch.backends.cpu.get_cpu_capability()
    except AttributeError:
        capability = None
    return {"version": torch.__version__, "blas": {"name": blas.group(1) if blas else None,
                                                   "version": mkl.group(1) if mkl else None},
            "cpu_capability": capability, "parallel_backend": backend.group(1) if backend else None,
            "config": config}


def _torch_pool_threads(torch):
    """Threads of torch's pools as torch reports them (its statically linked MKL included)."""
    info = torch.__config__.parallel_info()
    out = {}
    for key, pattern in (("torch OpenMP", r"omp_get_max_threads\(\) : (\d+)"),
                         ("torch MKL", r"mkl_get_max_threads\(\) : (\d+)")):
        m = re.search(pattern, info)
        if m:
            out[key] = int(m.group(1))
    return out


def probe():
    """This process's facts as a dict (import numpy, torch when present, threadpoolctl)."""
    import numpy as np
    from threadpoolctl import threadpool_info

    from .threads import THREAD_COUNTS, set_threads
    try:
        import torch
    except ImportError:
        torch = None
    facts = {"python": platform.python_version(), "executable": sys.executable,
             "cpu": cpu_facts(), "numpy": _numpy_facts(np),
             "torch": _torch_facts(torch) if torch is not None else None,
             "collected_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    facts["threadpools"] = [
        {k: pool.get(k) for k in ("user_api", "internal_api", "prefix", "version", "num_threads",
                                  "threading_layer", "architecture", "filepath")}
        | {"owner": "numpy" if "numpy" in pool["filepath"] else "torch" if "torch" in pool["filepath"] else "other"}
        for pool in threadpool_info()]
    facts["threads"] = {}
    for n in THREAD_COUNTS:  # what each pool really uses after the benchmarks' own set_threads(n)
        used = dict(set_threads(n))
        if torch is not None:
            used.update(_torch_pool_threads(torch))
        facts["threads"][str(n)] = used
    return facts


# -- collect: from the tools venv, over asv's environments --------------------------------------

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


def _machine_name(explicit):
    """The machine name asv uses: --machine, else the one entry of ~/.asv-machine.json, else hostname."""
    if explicit:
        return explicit
    from asv.machine import Machine, MachineCollection
    try:
        with open(MachineCollection.get_machine_file_path()) as f:
            entries = [k for k in json.load(f) if k != "version"]
        if len(entries) == 1:
            return entries[0]
    except (OSError, ValueError, AttributeError):
        pass
    return Machine.get_unique_machine_name()


def collect(config="asv.conf.json", machine=None, force=False, env_specs=None):
    """Probe every built asv environment of `config`; write one facts file each; return the paths."""
    from asv.environment import get_environments

    from .asvresults import load_config
    conf = load_config(config)
    machine = _machine_name(machine)
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # twolayer_src: this code, not the env's
    written = []
    for env in get_environments(conf, env_specs or None, verbose=False):
        python = os.path.join(env._path, "bin", "python")
        path = facts_path(conf.results_dir, machine, env.name)
        if not os.path.exists(python) or (os.path.exists(path) and not force):
            continue
        proc = subprocess.run([python, "-m", "twolayer.facts", "probe"], capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=src), timeout=300)
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            print(f"twolayer.facts: {env.name}: probe failed: {tail}", file=sys.stderr)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(proc.stdout)
        os.replace(tmp, path)
        written.append(path)
        print(f"facts: {path}")
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m twolayer.facts", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("probe", help="print this environment's facts as JSON")
    col = sub.add_parser("collect", help="probe every built asv environment, write results/<machine>/facts/")
    col.add_argument("--config", default="asv.conf.json")
    col.add_argument("--machine", help="machine name of the results (default: asv's)")
    col.add_argument("--force", action="store_true", help="probe again environments that have facts")
    col.add_argument("-E", "--env", action="append", default=[], help="asv environment spec (repeatable)")
    args = parser.parse_args(argv)
    if args.command == "probe":
        json.dump(probe(), sys.stdout, indent=1, sort_keys=True)
        print()
        return 0
    from .asvresults import BadInput
    try:
        collect(args.config, args.machine, args.force, args.env)
    except BadInput as exc:
        print(f"twolayer.facts: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
