"""What every benchmark shares: the parameter grid, thread setup, timing attributes and the one
mechanism that prepares a benchmark's state once per parameter set.

The suite's rule (numpy's): it imports and runs against every commit of the published history
and with every NumPy and torch of the matrix, and without torch. So it uses only the workload's
public API (``twolayer.problem``, ``twolayer.data.initial_arrays``, ``twolayer.backends``:
``BACKENDS``, ``VARIANTS``, ``make_net``), keeps its harness here in ``benchmarks/``, and its
parameters never depend on which versions are installed; what cannot run is skipped
(``NotImplementedError``), never an import error. See docs/writing-a-benchmark.md.
"""
try:  # imported once here, so asv's forkserver loads torch once instead of in every benchmark process
    import torch  # noqa: F401
except ImportError:  # the numpy benchmarks still run; the torch ones are skipped
    torch = None

from twolayer.backends import BACKENDS, VARIANTS, make_net
from twolayer.problem import DTYPES, OP_NAMES

from .threads import ALL_CORES, THREAD_COUNTS, set_threads

set_threads(1)  # every pool at 1 until a benchmark sets its own backend's (threads.set_threads)

__all__ = ["ALL_CORES", "BACKENDS", "DTYPES", "THREAD_COUNTS", "VARIANTS", "NetBenchmark",
           "NetOpBenchmark", "PreparedOnce", "ShortCallTiming", "SkipNotImplemented",
           "add_op_benchmarks", "make_net", "prepared", "set_threads", "torch"]

try:
    from asv_runner.benchmarks.mark import SkipNotImplemented
except ImportError:  # outside asv (plain imports in tests): an ordinary NotImplementedError
    SkipNotImplemented = NotImplementedError


def warm_net(backend, variant, dtype, threads, **kwargs):
    """A net on the seed's arrays with its backend's pools at `threads`, one step already run
    (allocator, thread-pool start and torch's lazy initialisation paid before anything is timed)."""
    set_threads(threads, backend)
    net = make_net(backend, dtype, variant=variant, **kwargs)
    net.step()
    net.sync()
    return net


class NetBenchmark:
    """Base of the backend x variant x dtype x threads benchmarks of whole loops: a fresh,
    warmed-up net before every sample (asv's ``setup``)."""

    params = [list(BACKENDS), list(VARIANTS), list(DTYPES), list(THREAD_COUNTS)]
    param_names = ["backend", "variant", "dtype", "threads"]

    def setup(self, backend, variant, dtype, threads):
        self.net = warm_net(backend, variant, dtype, threads)


class PreparedOnce:
    """Base of benchmarks that time short calls: their state is built by ``prepare`` on the first
    call of a parameter set, never in an asv ``setup``.

    asv_runner 0.3 re-runs ``setup`` before every timed call (asv#966): ``number`` becomes 1 and
    each sample is one cold call right after the state was rebuilt (a 4 µs op then reads 10-30 µs).
    Without ``setup`` asv calibrates ``number`` to fill ``sample_time``. Timed methods are written
    with ``@prepared``; asv's warm-up and calibration absorb the first, preparing call. A
    ``NotImplementedError`` from ``prepare`` skips the point (asv's ``SkipNotImplemented``).
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


def prepared(body, name=None, doc=None):
    """The timed method of a ``PreparedOnce`` benchmark: prepare on the first call of a parameter
    set (a tuple comparison, ~40 ns, the same for every backend), then ``body(self)``."""
    def timed(self, *params):
        if params != self.prepared_for:
            self.ready(params)
        body(self)
    timed.__name__ = name or body.__name__
    timed.__doc__ = doc or body.__doc__
    timed.__wrapped__ = body  # asv's benchmark version hashes the body's source, not this wrapper's
    return timed


class ShortCallTiming:
    """Timing attributes of the µs-scale benchmarks (ops, causes): ~10 ms samples, 5-8 per
    round, 2 rounds in separate processes (10-16 samples per median).

    Short rounds: on a shared machine the host moves between a fast and a slow state for tens of
    seconds, invisible to the guest; a round's samples of one parameter set take ~0.1 s and land
    in one state. ``make bench`` interleaves the rounds across the matrix's environments (``asv run
    --interleave-rounds``), so a point's rounds are minutes apart. 2 rounds, not 4: the torch/numpy
    ratio the report claims is the paired one (``ratios``), and instruction counts (``counts``)
    carry the "nothing else changed", so the medians serve the history graphs (docs/methods.md,
    "Where the time goes"). ``warmup_time`` 0.02 s: the state is already warm from ``prepare``'s step.
    """

    sample_time = 0.01
    repeat = (5, 8, 1.0)
    rounds = 2
    warmup_time = 0.02


class NetOpBenchmark(ShortCallTiming, PreparedOnce):
    """Base of the per-op benchmarks: ``NetBenchmark``'s grid and net, prepared once."""

    params = NetBenchmark.params
    param_names = NetBenchmark.param_names

    def prepare(self, backend, variant, dtype, threads):
        self.net = warm_net(backend, variant, dtype, threads)


def add_op_benchmarks(cls, sync=False):
    """Give `cls` (a ``PreparedOnce`` with a ``net``) one ``time_<op>`` per op of
    ``twolayer.problem.OP_NAMES``, so the suite times exactly the ops the backends define. With
    `sync`, each timed call ends with ``net.sync()`` (GPU work finished inside the timed region)."""
    for op_name in OP_NAMES:
        if sync:
            def body(self, op_name=op_name):
                getattr(self.net, op_name)()
                self.net.sync()
        else:
            def body(self, op_name=op_name):
                getattr(self.net, op_name)()
        setattr(cls, f"time_{op_name}", prepared(
            body, f"time_{op_name}",
            f"One call of the op {op_name!r}{', synchronised' if sync else ''} (twolayer.problem.OPS)."))
    return cls
