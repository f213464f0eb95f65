"""Calibration: this machine's attainable matmul rate per dtype and thread count (the "peak").

Every loop and matmul result is shown as a fraction of the peak measured in the same run
(``python -m twolayer.peak``); sizes and repeats live in ``twolayer/peak.py``. Both libraries
are measured because either BLAS may be the faster one on a given CPU: the report takes the
higher rate per (dtype, threads) as the peak.
"""
from twolayer.peak import PEAK_BACKENDS, Gemm

from .common import DTYPES, THREAD_COUNTS, set_threads, torch  # noqa: F401  (torch imported once)


class Peak:
    """GFLOP/s of a large square matmul (``twolayer.peak.PEAK_SIZE``³), median of
    ``PEAK_REPEATS`` synchronised calls after ``PEAK_WARMUP`` untimed ones.

    Timing attributes: a ``track_`` benchmark, so the timing is done here (median of 5 calls,
    each 0.05-0.4 s: about 2 s per parameter set); ``rounds`` = 1 and ``repeat`` = 1 because
    the median is taken inside, and a 2048³ GEMM is long enough that timer and call overheads
    are nil.
    """

    params = [list(PEAK_BACKENDS), list(DTYPES), list(THREAD_COUNTS)]
    param_names = ["backend", "dtype", "threads"]
    rounds = 1
    repeat = 1
    number = 1
    timeout = 180

    def setup(self, backend, dtype, threads):
        set_threads(threads)
        self.gemm = Gemm(backend, dtype)  # raises NotImplementedError without torch
        self.gemm.warm()

    def track_gflops(self, backend, dtype, threads):
        return self.gemm.gflops()

    track_gflops.unit = "GFLOP/s"
