"""How close to the machine's limit: the attainable matmul rate, and every result as a fraction of it.

The peak is *measured*, not taken from a datasheet: a large square GEMM (``PEAK_SIZE``³, well
warmed up, median of ``PEAK_REPEATS`` calls) per library, dtype and thread count. The best
library's rate for a (dtype, threads) pair is that pair's peak; the loop's and each matmul's
achieved GFLOP/s are shown as a fraction of it. Elementwise ops move memory and are shown in
GB/s (``twolayer.problem.bytes_moved``), never as a fraction of a FLOP peak.

``benchmarks/peak.py`` records the calibration in asv (``peak.Peak.track_gflops``), so the
fractions are computed from numbers taken in the same run as the loop's. From the command line::

    python -m twolayer.peak                       # from asv results (results/, every machine)
    python -m twolayer.peak --results DIR --machine NAME
    python -m twolayer.peak --measure             # calibrate now, in this process, and print

The functions ``load_latest``, ``summarise`` and ``format_summary`` are the data the report
(``twolayer.report``) can show.
"""
import argparse
import ast
import json
import os
import statistics
import sys
import time

from . import problem

PEAK_SIZE = 2048
"""Side of the calibration GEMM: 2048³ is 17.2 GFLOP, 0.1-0.4 s per call in float64 here."""
PEAK_REPEATS = 5
"""Timed calls of the calibration GEMM; the median is the peak (about 2 s per parameter set)."""
PEAK_WARMUP = 2
"""Untimed calls first: thread-pool start, page faults, the CPU's clock ramp."""
PEAK_BACKENDS = ("numpy", "torch")


def gemm_flops(size=PEAK_SIZE):
    """FLOPs of one size x size x size matmul: 2·M·K·N."""
    return 2 * size ** 3


class Gemm:
    """A ready calibration GEMM of one library on touched, random operands: ``run()`` does one call."""

    def __init__(self, backend, dtype, size=PEAK_SIZE, device="cpu"):
        import numpy as np
        rng = np.random.RandomState(problem.SEED)
        a, b = (rng.standard_normal((size, size)).astype(dtype) for _ in range(2))
        self.device = device
        if backend == "numpy":
            if device != "cpu":
                from .backends import BackendUnavailable
                raise BackendUnavailable(f"numpy runs on the CPU only, not on {device!r}")
            out = np.zeros((size, size), dtype=dtype)
            self.run = lambda: np.dot(a, b, out=out)
            self.sync = lambda: None
        elif backend == "torch":
            from .backends import BackendUnavailable, backend_class
            backend_class("torch")  # raises BackendUnavailable without torch
            import torch
            if device != "cpu" and not (device.startswith("cuda") and torch.cuda.is_available()):
                raise BackendUnavailable(f"torch device {device!r} is not available on this machine")
            ta, tb = (torch.tensor(m, device=device) for m in (a, b))
            out = torch.zeros((size, size), dtype=ta.dtype, device=device)
            self.run = lambda: torch.mm(ta, tb, out=out)
            self.sync = (lambda: torch.cuda.synchronize(device)) if device != "cpu" else (lambda: None)
        else:
            raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(PEAK_BACKENDS)}")
        self.flops = gemm_flops(size)

    def warm(self, calls=PEAK_WARMUP):
        for _ in range(calls):
            self.run()
        self.sync()

    def gflops(self, repeats=PEAK_REPEATS):
        """Median GFLOP/s over `repeats` timed calls (each synchronised)."""
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            self.run()
            self.sync()
            times.append(time.perf_counter() - start)
        return self.flops / statistics.median(times) / 1e9


def measure(backend, dtype, threads, size=PEAK_SIZE, repeats=PEAK_REPEATS, device="cpu"):
    """Set every pool to `threads`, warm up, and return the median GEMM rate in GFLOP/s."""
    from .threads import set_threads
    set_threads(threads)
    gemm = Gemm(backend, dtype, size, device)
    gemm.warm()
    return gemm.gflops(repeats)


# -- from asv results --------------------------------------------------------------------------

def _literal(value):
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def _points(result, benchmarks, name):
    """{params tuple (python values): value} for one benchmark of one asv Results."""
    import itertools
    if name not in benchmarks:
        return {}
    params = benchmarks[name]["params"]
    try:
        values = result.get_result_value(name, params)
    except KeyError:
        return {}
    if values is None:
        return {}
    if not params:
        return {(): values[0]} if values else {}
    keys = [tuple(_literal(v) for v in combo) for combo in itertools.product(*params)]
    return {k: v for k, v in zip(keys, values) if isinstance(v, (int, float)) and v == v and v > 0}


def load_latest(results_dir="results", machine=None):
    """The newest asv Results per (machine, environment) in `results_dir`, with benchmarks.json.

    Returns ``(benchmarks, [Results, ...])``.
    """
    from asv.results import iter_results_for_machine
    with open(os.path.join(results_dir, "benchmarks.json")) as f:
        benchmarks = json.load(f)
    machines = [machine] if machine else sorted(
        d for d in os.listdir(results_dir) if os.path.isdir(os.path.join(results_dir, d)))
    latest = {}
    for m in machines:
        for res in iter_results_for_machine(results_dir, m):
            key = (m, res.env_name)
            if key not in latest or (res.date or 0) > (latest[key].date or 0):
                latest[key] = res
    return benchmarks, [latest[k] for k in sorted(latest)]


def summarise(result, benchmarks):
    """One environment's figures: the peak, the loop and every op against it.

    Returns a dict with
      peak:  {(dtype, threads): (GFLOP/s, best library)}
      loop:  [{backend, variant, dtype, threads, seconds, gflops, fraction}]
      ops:   [{op, kind, backend, variant, dtype, threads, seconds, rate, unit, fraction}]
    fraction is None where no peak was measured for that (dtype, threads).
    """
    peak = {}
    for (backend, dtype, threads), gf in _points(result, benchmarks, "peak.Peak.track_gflops").items():
        if (dtype, threads) not in peak or gf > peak[(dtype, threads)][0]:
            peak[(dtype, threads)] = (gf, backend)

    def fraction(gflops, dtype, threads):
        p = peak.get((dtype, threads))
        return gflops / p[0] if p else None

    loop = []
    for key, seconds in sorted(_points(result, benchmarks, "loop.Loop.time_train").items()):
        backend, variant, dtype, threads = key
        gf = problem.STEP_FLOPS * problem.STEPS / seconds / 1e9
        loop.append(dict(backend=backend, variant=variant, dtype=dtype, threads=threads,
                         seconds=seconds, gflops=gf, fraction=fraction(gf, dtype, threads)))
    ops = []
    for op in problem.OPS:
        for key, seconds in sorted(_points(result, benchmarks, f"ops.PerOp.time_{op.name}").items()):
            backend, variant, dtype, threads = key
            if op.kind == "matmul":
                rate, unit = problem.flops(op.name) / seconds / 1e9, "GFLOP/s"
                frac = fraction(rate, dtype, threads)
            else:
                rate, unit, frac = problem.bytes_moved(op.name, dtype) / seconds / 1e9, "GB/s", None
            ops.append(dict(op=op.name, kind=op.kind, backend=backend, variant=variant, dtype=dtype,
                            threads=threads, seconds=seconds, rate=rate, unit=unit, fraction=frac))
    return dict(peak=peak, loop=loop, ops=ops)


def _pct(f):
    return "    -" if f is None else f"{100 * f:4.0f}%"


def format_summary(summary, title=""):
    """The summary as plain-text tables."""
    lines = [title] if title else []
    lines.append(f"Measured peak ({PEAK_SIZE}^3 GEMM, median of {PEAK_REPEATS}), GFLOP/s:")
    for (dtype, threads), (gf, backend) in sorted(summary["peak"].items()):
        lines.append(f"  {dtype:8s} {threads} thread(s): {gf:7.1f}  ({backend})")
    if summary["loop"]:
        lines.append(f"Loop ({problem.STEPS} steps, {problem.STEP_FLOPS * problem.STEPS / 1e9:.1f} GFLOP):")
        lines.append(f"  {'backend':7s} {'variant':9s} {'dtype':8s} thr  {'seconds':>8s} {'GFLOP/s':>8s} of peak")
        for r in summary["loop"]:
            lines.append(f"  {r['backend']:7s} {r['variant']:9s} {r['dtype']:8s} {r['threads']:3d}  "
                         f"{r['seconds']:8.4f} {r['gflops']:8.1f} {_pct(r['fraction'])}")
    if summary["ops"]:
        lines.append("Ops (matmuls in GFLOP/s and fraction of peak; elementwise ops in GB/s):")
        lines.append(f"  {'op':12s} {'backend':7s} {'variant':9s} {'dtype':8s} thr {'us':>9s} {'rate':>8s}")
        for r in summary["ops"]:
            lines.append(f"  {r['op']:12s} {r['backend']:7s} {r['variant']:9s} {r['dtype']:8s} {r['threads']:3d} "
                         f"{r['seconds'] * 1e6:9.2f} {r['rate']:8.2f} {r['unit']:7s} "
                         f"{_pct(r['fraction']) if r['kind'] == 'matmul' else ''}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m twolayer.peak", description=__doc__.split("\n")[0])
    parser.add_argument("--results", default="results", help="asv results directory (default: results)")
    parser.add_argument("--machine", help="only this machine's results")
    parser.add_argument("--env", help="only environments whose name contains this")
    parser.add_argument("--measure", action="store_true",
                        help="calibrate the peak now in this process instead of reading results")
    args = parser.parse_args(argv)

    if args.measure:
        from .threads import THREAD_COUNTS
        from .backends import BackendUnavailable
        print(f"Measured peak ({PEAK_SIZE}^3 GEMM, median of {PEAK_REPEATS}), GFLOP/s:")
        for dtype in problem.DTYPES:
            for threads in THREAD_COUNTS:
                rates = []
                for backend in PEAK_BACKENDS:
                    try:
                        rates.append(f"{backend} {measure(backend, dtype, threads):7.1f}")
                    except BackendUnavailable:
                        rates.append(f"{backend} unavailable")
                print(f"  {dtype:8s} {threads} thread(s): " + "   ".join(rates))
        return 0

    if not os.path.exists(os.path.join(args.results, "benchmarks.json")):
        print(f"no asv results in {args.results!r} (run the benchmarks, or use --measure)", file=sys.stderr)
        return 1
    benchmarks, results = load_latest(args.results, args.machine)
    shown = 0
    for res in results:
        if args.env and args.env not in res.env_name:
            continue
        summary = summarise(res, benchmarks)
        if not (summary["peak"] or summary["loop"] or summary["ops"]):
            continue
        print(format_summary(summary, f"== {res.env_name} (commit {res.commit_hash[:8]})"))
        print()
        shown += 1
    if not shown:
        print("no loop, op or peak results found", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
