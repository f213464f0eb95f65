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
           "NetBenchmark", "NetOpBenchmark", "PreparedOnce", "ShortCallTiming", "SkipNotImplemented",
           "add_op_benchmarks", "set_threads"]


try:
    from asv_runner.benchmarks.mark import SkipNotImplemented
except ImportError:  # outside asv (plain imports in tests): an ordinary NotImplementedError
    SkipNotImplemented = NotImplementedError


class NetBenchmark:
    """Base of the backend x variant x dtype x threads benchmarks of whole loops: a fresh,
    warmed-up net on the seed's arrays before every sample.

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


class PreparedOnce:
    """Base of benchmarks that time short calls: their state is prepared on the first call of a
    parameter set, in ``prepare``, never in an asv ``setup``.

    asv_runner 0.3 re-runs a benchmark's ``setup`` before every timed call (asv#966): ``number``
    becomes 1 and each sample is one cold call right after the state was rebuilt, so a 4 us op
    reads 10-30 us with a spread of its own size (and a 188 us matmul as "188+-5000 us"). Without
    ``setup``, asv calibrates ``number`` to fill ``sample_time`` again. Timed methods start with
    ``if params != self.prepared_for: self.ready(params)`` (a tuple comparison, ~40 ns per call,
    the same for every backend); asv's warm-up and calibration absorb the first, preparing call.
    A ``NotImplementedError`` from ``prepare`` skips the point (asv's ``SkipNotImplemented``).
    The benchmark modules must define no module-level ``setup`` either: asv would find it.
    """

    prepared_for = None

    def prepare(self, *params):
        raise NotImplementedError

    def ready(self, params):
        try:
            self.prepare(*params)
        except NotImplementedError as exc:
            raise SkipNotImplemented(str(exc) or type(exc).__name__) from None
        self.prepared_for = params


class ShortCallTiming:
    """Timing attributes of the µs-scale benchmarks (ops, causes): ~10 ms samples, 5-10 per
    round, 6 rounds (30-60 samples per median).

    Why 6 short rounds rather than 2 long ones: on a shared 2-core VM the host moves between a
    fast and a slow state for 10-30 s at a time, invisible to the guest (no steal time): a
    2-thread torch matmul of 9 µs reads 23-25 µs in the slow state (``twolayer.spread``).
    A round's samples of one parameter set take ~0.1 s, so they all land in one state; rounds
    are minutes apart, so they are independent draws. With 2 rounds a median is a toss-up
    between the states; with 6 the state that holds most of the time decides it.
    ``warmup_time`` 0.05 s: the state is already warm from ``prepare``'s step.
    """

    sample_time = 0.01
    repeat = (5, 10, 1.0)
    rounds = 6
    warmup_time = 0.05


class NetOpBenchmark(ShortCallTiming, PreparedOnce):
    """Base of the per-op benchmarks: ``NetBenchmark``'s grid and net, prepared once (see above)."""

    params = NetBenchmark.params
    param_names = NetBenchmark.param_names
    prepare = NetBenchmark.setup


def add_op_benchmarks(cls, sync=False):
    """Give `cls` (a ``PreparedOnce`` with a ``net``) one ``time_<op>`` method per op of ``twolayer.problem.OP_NAMES``, so a suite
    always times exactly the ops the backends define. With `sync`, each timed call ends with
    ``net.sync()`` (work queued on a GPU is finished inside the timed region)."""
    for op_name in OP_NAMES:
        setattr(cls, f"time_{op_name}", _time_op(cls.__name__, op_name, sync))
    return cls


def _time_op(class_name, op_name, sync):
    if sync:
        def time_op(self, *params):
            if params != self.prepared_for:
                self.ready(params)
            getattr(self.net, op_name)()
            self.net.sync()
    else:
        def time_op(self, *params):
            if params != self.prepared_for:
                self.ready(params)
            getattr(self.net, op_name)()
    time_op.__name__ = f"time_{op_name}"
    time_op.__qualname__ = f"{class_name}.time_{op_name}"
    time_op.__doc__ = f"One call of the op {op_name!r}{', synchronised' if sync else ''} (twolayer.problem.OPS)."
    return time_op
