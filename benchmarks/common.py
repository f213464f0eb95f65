"""What every benchmark shares: the parameter grid and a setup that fixes threads and builds a net.

The grid never depends on which NumPy or torch is installed (numpy's own suite rule), so a
benchmark's history lines up across every environment of the matrix; a backend that cannot
run raises ``NotImplementedError`` in setup and asv records it as skipped.
"""
try:  # imported once here, so asv's forkserver loads torch once instead of in every benchmark process
    import torch  # noqa: F401
except ImportError:  # the numpy benchmarks still run; the torch ones are skipped in setup
    torch = None

from twolayer.backends import BACKENDS, make_net
from twolayer.problem import DTYPES
from twolayer.threads import THREAD_COUNTS, set_threads

__all__ = ["BACKENDS", "DTYPES", "THREAD_COUNTS", "NetBenchmark", "set_threads"]


class NetBenchmark:
    """Base of the backend x dtype x threads benchmarks: a warmed-up net on the seed's arrays.

    ``setup`` limits every thread pool first, then builds the net and runs one step so that
    every intermediate exists and first-call costs (allocator, thread-pool start, torch's
    lazy initialisation) are paid outside the timed region.
    """

    params = [list(BACKENDS), list(DTYPES), list(THREAD_COUNTS)]
    param_names = ["backend", "dtype", "threads"]

    def setup(self, backend, dtype, threads):
        set_threads(threads)
        self.net = make_net(backend, dtype)
        self.net.step()
        self.net.sync()
