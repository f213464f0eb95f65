"""Paired ratios torch/numpy: both backends timed alternately in one process, batch by batch, so
whatever state the host is in falls on both sides of each ratio.

For each point (variant, dtype, threads, op or the whole step) the numpy and the torch net of the
seed's arrays are timed in ~5 ms batches, alternately, the order swapped every pair; each pair
gives one ratio (torch's time per call over numpy's). Several fresh processes, one after another,
each measure every point (``PROCESSES`` x ``PAIRS`` ratios per point): a process's memory layout
moves its ratios a little, so the processes are part of the sample.

Both libraries' pools live in one process here, and at more than one thread they would fight
(OpenBLAS's idle threads spin ~0.1 s after each call while torch's OpenMP workers wait). The
processes are therefore started with both pools quieted: ``OPENBLAS_THREAD_TIMEOUT=4`` (OpenBLAS's
threads sleep after 2^4 cycles) and ``OMP_WAIT_POLICY=PASSIVE`` (OpenMP workers sleep at once),
read by the libraries when they load. The timed benchmarks (``ops.PerOp``) run one backend per
process with the defaults; the ratio at all cores is the quieted one (docs/methods.md).

The probe half runs as ``python -m benchmarks.paired SPEC`` in a fresh interpreter.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

STEP = "step"
PROCESSES = 8
PAIRS = 4
BATCH_SECONDS = 0.005
QUIET_POOLS = {"OPENBLAS_THREAD_TIMEOUT": "4", "OMP_WAIT_POLICY": "PASSIVE"}


def measure(points, processes=PROCESSES, pairs=PAIRS, timeout=600):
    """Paired ratios of `points` ((variant, dtype, threads, op) tuples) from `processes` fresh
    processes run one after another, `pairs` ratios per point in each.
    Returns {point: [ratio, ...]}; raises RuntimeError with the process's last lines if one fails."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ratios = {tuple(p): [] for p in points}
    with tempfile.TemporaryDirectory(prefix="twolayer-paired-") as workdir:
        spec = os.path.join(workdir, "spec.json")
        out = os.path.join(workdir, "ratios.json")
        with open(spec, "w") as f:
            json.dump({"points": [list(p) for p in points], "pairs": pairs, "out": out}, f)
        env = dict(os.environ, PYTHONPATH=root, **QUIET_POOLS)
        for _ in range(processes):
            proc = subprocess.run([sys.executable, "-m", "benchmarks.paired", spec], cwd=workdir, env=env,
                                  capture_output=True, text=True, timeout=timeout)
            if proc.returncode != 0:
                tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
                raise RuntimeError(f"the paired-ratio process exited {proc.returncode}:\n{tail}")
            with open(out) as f:
                for key, values in json.load(f).items():
                    variant, dtype, threads, op = key.split("|")
                    ratios[(variant, dtype, int(threads), op)].extend(values)
    return ratios


def _batch_size(call):
    """Calls per batch so that a batch takes about ``BATCH_SECONDS`` (from one timed call)."""
    start = time.perf_counter()
    call()
    return max(1, int(BATCH_SECONDS / max(time.perf_counter() - start, 1e-9)))


def _time(call, n):
    start = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - start) / n


def paired_ratios(numpy_call, torch_call, pairs):
    """`pairs` ratios torch/numpy of the time per call, batches alternating, order swapped each pair."""
    n_numpy, n_torch = _batch_size(numpy_call), _batch_size(torch_call)
    ratios = []
    for i in range(pairs):
        if i % 2 == 0:
            t_numpy = _time(numpy_call, n_numpy)
            t_torch = _time(torch_call, n_torch)
        else:
            t_torch = _time(torch_call, n_torch)
            t_numpy = _time(numpy_call, n_numpy)
        ratios.append(t_torch / t_numpy)
    return ratios


def _probe(spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    from .common import make_net, set_threads, torch
    if torch is None:
        raise SystemExit("torch is not installed in this environment")
    nets, ratios = {}, {}
    by_threads = sorted({p[2] for p in spec["points"]})
    for threads in by_threads:
        set_threads(threads)
        for variant, dtype, n, op in spec["points"]:
            if n != threads:
                continue
            key = (variant, dtype)
            if key not in nets:
                nets[key] = {b: make_net(b, dtype, variant=variant) for b in ("numpy", "torch")}
            pair = nets[key]
            for net in pair.values():   # warm at this thread count: pools started, allocator primed
                net.step()
                net.step()
            numpy_call, torch_call = getattr(pair["numpy"], op), getattr(pair["torch"], op)
            ratios["|".join((variant, dtype, str(threads), op))] = paired_ratios(
                numpy_call, torch_call, spec["pairs"])
    with open(spec["out"], "w") as f:
        json.dump(ratios, f)


if __name__ == "__main__":
    _probe(sys.argv[1])
