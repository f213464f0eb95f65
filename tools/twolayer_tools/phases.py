"""Is this machine's 2-thread noise its host's? One op timed without pause, window by window.

The run-to-run spread (``twolayer-bench spread``) shows which benchmarks move between runs, not why.
This probe times one op of the step continuously in one process (no asv, no new processes,
threads fixed) and prints the median of every window, the steal time the guest saw, and how far
the slowest windows sit from the fastest. On this project's 2-vCPU VM a 2-thread torch matmul
holds 9 µs for tens of seconds, then 23-25 µs for 10-30 s, with zero steal: the host, not the
benchmark. Run it at 1 thread and at 2 threads and compare.

    twolayer-bench phases --threads 2 --seconds 60     # the tools' numpy and torch
"""
import statistics
import sys
import time
import timeit

from twolayer.problem import DTYPES, OP_NAMES

from .errors import BadInput
from .results import ROOT

SLOW = 1.25
"""A window is slow when its median is more than this factor above the fastest window's."""


def steal_ticks():
    """Total steal time of all CPUs in clock ticks (/proc/stat), or None where there is none."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8])
    except (OSError, IndexError, ValueError):
        return None


def windows(call, seconds, window, calls_per_sample):
    """Medians (seconds per call) of consecutive `window`-second windows over `seconds`."""
    timer = timeit.Timer(call)
    out = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        stop = time.perf_counter() + window
        samples = []
        while time.perf_counter() < stop:
            samples.append(timer.timeit(calls_per_sample) / calls_per_sample)
        out.append(statistics.median(samples))
    return out


def summary(medians, slow=SLOW):
    """Lines: fastest and slowest window, the share of slow windows and the runs of them."""
    fastest = min(medians)
    flags = [m > slow * fastest for m in medians]
    runs, length = [], 0
    for flag in flags + [False]:
        if flag:
            length += 1
        elif length:
            runs.append(length)
            length = 0
    return [f"windows: {len(medians)}, fastest {fastest * 1e6:.2f} µs, slowest {max(medians) * 1e6:.2f} µs "
            f"({max(medians) / fastest:.2f}x)",
            f"slow windows (> {slow:g}x the fastest): {sum(flags)} of {len(medians)} "
            f"({100 * sum(flags) / len(medians):.0f} %), in {len(runs)} spell(s)"
            + (f" of {', '.join(str(r) for r in runs)} window(s)" if runs else "")]


def configure(parser):
    from twolayer.backends import BACKENDS, VARIANTS
    parser.add_argument("--backend", default="torch", help=f"one of {', '.join(BACKENDS)} (default torch)")
    parser.add_argument("--variant", default="naive", help=f"one of {', '.join(VARIANTS)} (default naive)")
    parser.add_argument("--op", default="grad_h_relu", help="an op of the step (default grad_h_relu)")
    parser.add_argument("--dtype", default="float64", help=f"one of {', '.join(DTYPES)} (default float64)")
    parser.add_argument("--threads", type=int, default=2, help="threads of every pool (default 2)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to measure (default 60)")
    parser.add_argument("--window", type=float, default=1.0, help="window length in seconds (default 1)")
    parser.add_argument("--quiet", action="store_true", help="only the summary, not every window")


def run(args):
    from twolayer.backends import BACKENDS, VARIANTS, BackendUnavailable, make_net
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks.threads import set_threads

    for name, value, allowed in (("backend", args.backend, BACKENDS), ("variant", args.variant, VARIANTS),
                                 ("op", args.op, OP_NAMES), ("dtype", args.dtype, DTYPES)):
        if value not in allowed:
            raise BadInput(f"unknown {name} {value!r}: expected one of {', '.join(allowed)}")
    if args.threads < 1:
        raise BadInput(f"--threads must be at least 1, not {args.threads}")
    if not (0 < args.window <= args.seconds):
        raise BadInput(f"need 0 < --window <= --seconds, got {args.window:g} and {args.seconds:g}")

    set_threads(args.threads)
    try:
        net = make_net(args.backend, args.dtype, variant=args.variant)
    except BackendUnavailable as exc:
        raise BadInput(str(exc))
    net.step()
    op = getattr(net, args.op)
    n, _ = timeit.Timer(op).autorange()              # calls that take >= 0.2 s
    calls = max(1, n // 20)                          # samples of ~10 ms
    print(f"{args.backend} {args.variant} {args.op} {args.dtype}, {args.threads} thread(s): "
          f"{args.seconds:g} s in {args.window:g} s windows, {calls} calls per sample", flush=True)
    steal0 = steal_ticks()
    medians = windows(op, args.seconds, args.window, calls)
    steal1 = steal_ticks()
    if not args.quiet:
        for i, m in enumerate(medians):
            print(f"{i * args.window:7.1f} s  {m * 1e6:9.2f} µs")
    print("\n".join(summary(medians)))
    if steal0 is not None and steal1 is not None:
        print(f"steal time seen by the guest: {steal1 - steal0} tick(s)")
    return 0



COMMANDS = [("phases", "time one op without pause, window by window: is this machine's noise its "
                       "host's? (the tools' numpy and torch)", configure, run)]
