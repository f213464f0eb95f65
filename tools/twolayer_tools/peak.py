"""How close to the machine's limit: the measured matmul peak, and every result as a fraction of it.

The peak is *measured* (``benchmarks/peak.py``: a large square GEMM per library, dtype and thread
count, recorded by asv in the same run as the loop). The best library's rate for a (dtype, threads)
pair is that pair's peak; the loop's GFLOP/s (from ``Loop.time_train``'s median) and each matmul's
are shown as a fraction of it. Elementwise ops move memory and are shown in GB/s
(``twolayer.problem.bytes_moved``), never as a fraction of a FLOP peak.

    twolayer-bench peak                  # from the results of this machine's latest commit
    twolayer-bench peak --measure        # calibrate now, in this process
"""
import ast
import itertools
import sys

from twolayer import problem

from . import options
from .errors import BadInput
from .results import ROOT, load_config, load_result_set, select_envs


def _literal(value):
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def _points(result, benchmarks, name):
    """{params tuple (python values): value} for one benchmark of one asv Results."""
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
    lines.append("Measured peak (peak.Peak.track_gflops), GFLOP/s:")
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


def _peak_module():
    """The suite's calibration (benchmarks/peak.py), imported from the project's checkout."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks import peak
    return peak


def configure(p):
    options.config(p)
    options.machine(p)
    options.commit(p)
    options.env(p)
    p.add_argument("--measure", action="store_true",
                   help="calibrate the peak now in this process instead of reading results")


def run(args):
    if args.measure:
        peak = _peak_module()
        from benchmarks.threads import THREAD_COUNTS
        from twolayer.backends import BackendUnavailable
        print(f"Measured peak ({peak.PEAK_SIZE}^3 GEMM, median of {peak.PEAK_REPEATS}), GFLOP/s:")
        for dtype in problem.DTYPES:
            for threads in THREAD_COUNTS:
                rates = []
                for backend in peak.PEAK_BACKENDS:
                    try:
                        rates.append(f"{backend} {peak.measure(backend, dtype, threads):7.1f}")
                    except BackendUnavailable:
                        rates.append(f"{backend} unavailable")
                print(f"  {dtype:8s} {threads} thread(s): " + "   ".join(rates))
        return 0
    rs = load_result_set(load_config(args.config), args.machine, args.commit)
    shown = 0
    for env in select_envs(rs, args.env):
        summary = summarise(rs.results[env], rs.benchmarks)
        if summary["peak"] or summary["loop"] or summary["ops"]:
            print(format_summary(summary, f"== {env} (machine {rs.machine}, commit {rs.commit[:8]})"))
            print()
            shown += 1
    if not shown:
        raise BadInput(f"no loop, op or peak results at commit {rs.commit[:8]} on {rs.machine!r}")
    return 0


COMMANDS = [("peak", "the measured matmul peak, and the loop and every op as a fraction of it",
             configure, run)]
