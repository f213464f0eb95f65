"""The facts of one benchmark environment, printed as JSON: run INSIDE the environment with its own
Python (``twolayer-bench facts`` does that for every environment), never imported by the tools.

numpy and torch versions, the BLAS each uses and its version, the threads each pool really uses
after the suite's own ``set_threads(n)`` (``benchmarks/threads.py``, found through PYTHONPATH),
the CPU model and SIMD level. It imports only what the environment has.

Which run the facts come from: ``collected_at`` (UTC), the host's CPU (model, family/model numbers,
``avx2``/``avx512`` present) and ``os`` (asv's spelling, ``Linux <kernel release>``: a VM's kernel
build tells its host), and ``run`` = {machine, commit} when given (``--machine NAME --commit HASH``).
``facts.facts_match_run`` reads them.
"""
import datetime
import json
import os
import platform
import re
import sys

SIMD_LEVELS = (  # highest first: (level, /proc/cpuinfo flags that must all be present)
    ("AVX-512 + AMX", ("avx512f", "amx_tile")),
    ("AVX-512", ("avx512f",)),
    ("AVX2", ("avx2", "fma")),
    ("AVX", ("avx",)),
    ("SSE4.2", ("sse4_2",)),
)


# -- probe: inside an environment ---------------------------------------------------------------

def cpu_facts():
    """CPU model, logical cores, SIMD flags and the highest SIMD level, from /proc/cpuinfo (the
    model from sysctl on macOS)."""
    model, flags, ids = platform.processor() or platform.machine(), set(), {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model in ("", platform.machine(), platform.processor()):
                    model = value.strip()
                elif key in ("cpu family", "model") and key not in ids and value.strip().isdigit():
                    ids[key] = int(value.strip())
                elif key == "flags" and not flags:
                    flags = set(value.split())
    except OSError:         # no /proc on macOS: ask sysctl for the chip's name instead
        try:
            import subprocess
            model = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True,
                                   text=True, timeout=10).stdout.strip() or model
        except (OSError, subprocess.SubprocessError):
            pass
    level = next((name for name, need in SIMD_LEVELS if all(f in flags for f in need)), "unknown")
    simd = sorted(f for f in flags if re.match(r"(avx|amx|fma|sse4|f16c)", f))
    return {"model": model, "logical_cores": os.cpu_count(), "simd_level": level, "simd_flags": simd,
            "avx2": "avx2" in flags, "avx512": "avx512f" in flags,
            "family": ids.get("cpu family"), "model_id": ids.get("model"),
            "hypervisor": "hypervisor" in flags}


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


def _mkl_verbose():
    """MKL's own account of the code path it takes here: the ``MKL_VERBOSE`` lines of one small
    float64 ``np.dot`` in a fresh interpreter (its version, the instruction set of the kernels it
    dispatched to, e.g. "Intel(R) AVX2 enabled processors", interface and threading layer; then
    the call). On a non-Intel CPU this is how to see which path MKL chose. None when MKL printed
    nothing."""
    import subprocess
    code = "import numpy as np; a = np.ones((64, 64)); a.dot(a)"
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, MKL_VERBOSE="1"))
    except (OSError, subprocess.SubprocessError):
        return None
    lines = [line.strip() for line in proc.stdout.splitlines() if line.startswith("MKL_VERBOSE")]
    return lines[:4] or None


def probe(machine=None, commit=None):
    """This process's facts as a dict (import numpy, torch when present, threadpoolctl); `machine`
    and `commit` name the run they belong to. A pool is numpy's when its library lives in numpy's
    folder or was loaded by importing numpy (torch is imported after: a NumPy built against MKL or
    scipy-openblas32 loads its BLAS from outside numpy's folder)."""
    import numpy as np
    from threadpoolctl import threadpool_info

    from benchmarks.threads import THREAD_COUNTS, set_threads
    numpy_libs = {pool["filepath"] for pool in threadpool_info()}
    try:
        import torch
    except ImportError:
        torch = None
    facts = {"python": platform.python_version(), "executable": sys.executable,
             "cpu": cpu_facts(), "numpy": _numpy_facts(np),
             "torch": _torch_facts(torch) if torch is not None else None,
             "collected_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
             "os": f"{platform.system()} {platform.release()}",
             "run": {"machine": machine, "commit": commit}}
    facts["threadpools"] = [
        {k: pool.get(k) for k in ("user_api", "internal_api", "prefix", "version", "num_threads",
                                  "threading_layer", "architecture", "filepath")}
        | {"owner": "numpy" if "numpy" in pool["filepath"] or pool["filepath"] in numpy_libs
           else "torch" if "torch" in pool["filepath"] else "other"}
        for pool in threadpool_info()]
    if any(pool["internal_api"] == "mkl" and pool["owner"] == "numpy" for pool in facts["threadpools"]):
        facts["numpy"]["mkl_verbose"] = _mkl_verbose()
    facts["threads"] = {}
    for n in THREAD_COUNTS:  # what each pool really uses after the benchmarks' own set_threads(n)
        used = dict(set_threads(n))
        if torch is not None:
            used.update(_torch_pool_threads(torch))
        facts["threads"][str(n)] = used
    return facts



def _arg(name, argv):
    """The value after `name` in `argv` (``--machine NAME``), or None."""
    return argv[argv.index(name) + 1] if name in argv[:-1] else None


if __name__ == "__main__":
    json.dump(probe(_arg("--machine", sys.argv), _arg("--commit", sys.argv)), sys.stdout, indent=1,
              sort_keys=True)
    print()
