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
from twolayer.problem import DTYPES, OP_NAMES
from twolayer.threads import ALL_CORES, THREAD_COUNTS, set_threads

__all__ = ["ALL_CORES", "BACKENDS", "DEVICES", "DTYPES", "THREAD_COUNTS", "VARIANTS",
           "NetBenchmark", "add_op_benchmarks", "set_threads"]


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


def add_op_benchmarks(cls, sync=False):
    """Give `cls` one ``time_<op>`` method per op of ``twolayer.problem.OP_NAMES``, so a suite
    always times exactly the ops the backends define. With `sync`, each timed call ends with
    ``net.sync()`` (work queued on a GPU is finished inside the timed region)."""
    for op_name in OP_NAMES:
        setattr(cls, f"time_{op_name}", _time_op(cls.__name__, op_name, sync))
    return cls


def _time_op(class_name, op_name, sync):
    if sync:
        def time_op(self, *params):
            getattr(self.net, op_name)()
            self.net.sync()
    else:
        def time_op(self, *params):
            getattr(self.net, op_name)()
    time_op.__name__ = f"time_{op_name}"
    time_op.__qualname__ = f"{class_name}.time_{op_name}"
    time_op.__doc__ = f"One call of the op {op_name!r}{', synchronised' if sync else ''} (twolayer.problem.OPS)."
    return time_op
