"""What every benchmark shares: the parameter grid and a setup that fixes threads and builds a net.

The grid never depends on which NumPy or torch is installed (numpy's own suite rule), so a
benchmark's history lines up across every environment of the matrix; a backend that cannot
run raises ``NotImplementedError`` in setup and asv records it as skipped.
"""
try:  # imported once here, so asv's forkserver loads torch once instead of in every benchmark process
    import torch  # noqa: F401
except ImportError:  # the numpy benchmarks still run; the torch ones are skipped in setup
    torch = None

from twolayer.backends import BACKENDS, DEVICES, VARIANTS, make_net
from twolayer.problem import DTYPES
from twolayer.threads import ALL_CORES, THREAD_COUNTS, set_threads

__all__ = ["ALL_CORES", "BACKENDS", "DEVICES", "DTYPES", "THREAD_COUNTS", "VARIANTS",
           "NetBenchmark", "set_threads"]


class NetBenchmark:
    """Base of the backend x variant x dtype x threads benchmarks: a warmed-up net on the seed's arrays.

    ``variant`` is ``naive`` (the seed's lines) or ``optimised`` (same ops and maths with
    preallocated buffers, ``out=`` and in-place updates; see twolayer/backends/__init__.py).
    ``setup`` limits every thread pool first, then builds the net and runs one step so that
    every intermediate exists and first-call costs (allocator, thread-pool start, torch's
    lazy initialisation) are paid outside the timed region.
    """

    params = [list(BACKENDS), list(VARIANTS), list(DTYPES), list(THREAD_COUNTS)]
    param_names = ["backend", "variant", "dtype", "threads"]

    def setup(self, backend, variant, dtype, threads):
        set_threads(threads)
        self.net = make_net(backend, dtype, variant=variant)
        self.net.step()
        self.net.sync()
