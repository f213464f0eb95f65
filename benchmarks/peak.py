"""Calibration: this machine's attainable matmul rate per library, dtype and thread count.

A large square GEMM (``PEAK_SIZE``³, warmed up, median of ``PEAK_REPEATS`` calls) per library:
the faster library's rate for a (dtype, threads) pair is that pair's peak, and the tools show the
loop and every matmul as a fraction of the peak measured in the same run
(``twolayer-bench peak``). Both libraries are measured because either BLAS may be the faster one.
"""
import statistics
import time

import numpy as np

from twolayer.backends import BACKENDS, BackendUnavailable
from twolayer.problem import SEED

from .common import DTYPES, THREAD_COUNTS, set_threads, torch

PEAK_SIZE = 2048
"""Side of the calibration GEMM: 2048³ is 17.2 GFLOP, 0.1-0.4 s per call in float64 on 2 cores."""
PEAK_REPEATS = 3
"""Timed calls of the calibration GEMM; the median is the peak (3, not 5, since the counts and
pairs joined ``make bench``: its 20-minute budget)."""
PEAK_WARMUP = 1
"""An untimed call first: thread-pool start, page faults, the CPU's clock ramp."""
PEAK_BACKENDS = BACKENDS


class Gemm:
    """A ready calibration GEMM of one library on touched, random operands: ``run()`` does one call."""

    def __init__(self, backend, dtype, size=PEAK_SIZE, device="cpu"):
        rng = np.random.RandomState(SEED)
        a, b = (rng.standard_normal((size, size)).astype(dtype) for _ in range(2))
        if backend == "numpy":
            if device != "cpu":
                raise BackendUnavailable(f"numpy runs on the CPU only, not on {device!r}")
            out = np.zeros((size, size), dtype=dtype)
            self.run = lambda: np.dot(a, b, out=out)
            self.sync = lambda: None
        elif backend == "torch":
            if torch is None:
                raise BackendUnavailable("torch is not installed in this environment")
            if device != "cpu" and not (device.startswith("cuda") and torch.cuda.is_available()):
                raise BackendUnavailable(f"torch device {device!r} is not available on this machine")
            ta, tb = (torch.tensor(m, device=device) for m in (a, b))
            out = torch.zeros((size, size), dtype=ta.dtype, device=device)
            self.run = lambda: torch.mm(ta, tb, out=out)
            self.sync = (lambda: torch.cuda.synchronize(device)) if device != "cpu" else (lambda: None)
        else:
            raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(PEAK_BACKENDS)}")
        self.flops = 2 * size ** 3

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
    set_threads(threads)
    gemm = Gemm(backend, dtype, size, device)
    gemm.warm()
    return gemm.gflops(repeats)


class Peak:
    """GFLOP/s of the calibration GEMM, median of ``PEAK_REPEATS`` synchronised calls after
    ``PEAK_WARMUP`` untimed ones.

    Timing attributes: a ``track_`` benchmark, so the timing is done here (each call 0.05-0.4 s:
    about 2 s per parameter set); ``rounds`` = 1 and ``repeat`` = 1 because the median is taken
    inside, and a 2048³ GEMM is long enough that timer and call overheads are nil.
    """

    params = [list(PEAK_BACKENDS), list(DTYPES), list(THREAD_COUNTS)]
    param_names = ["backend", "dtype", "threads"]
    rounds = 1
    repeat = 1
    number = 1
    timeout = 180

    def setup(self, backend, dtype, threads):
        set_threads(threads)
        self.gemm = Gemm(backend, dtype)  # BackendUnavailable (skipped) without torch
        self.gemm.warm()

    def track_gflops(self, backend, dtype, threads):
        return self.gemm.gflops()

    track_gflops.unit = "GFLOP/s"
