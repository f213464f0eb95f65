"""One ``time_<op>`` benchmark per line of the seed's loop (the per-line profiler table, in asv).

The methods are made from ``twolayer.problem.OP_NAMES`` (``common.add_op_benchmarks``) so the
suite always has exactly the ops the backends define, in the seed's order. Every op is timed at 1 thread and at all cores:
the matmuls go to a threaded BLAS, and torch also threads elementwise ops above 32,768
elements (the w1 update has 100,000), so the thread count matters for both kinds.
"""
from .common import NetOpBenchmark, add_op_benchmarks


class PerOp(NetOpBenchmark):
    """Time of one call of each op on a warmed-up training state (seconds per call).

    The state is built once per parameter set (``common.PreparedOnce``), so asv times batches
    of calls on a warm state rather than one cold call per sample.

    Timing attributes: ops take 2-300 us, so asv picks ``number`` to fill ``sample_time``
    = 10 ms per sample (timer overhead < 0.01 %); ``repeat`` = 10 to 20 samples (at most 2 s)
    per round and 2 ``rounds`` in separate processes give medians that hold across process
    effects (allocator state, thread placement); ``warmup_time`` 0.1 s brings caches and
    the CPU's clock to a steady state after setup.

    The ``variant`` parameter doubled the grid (11 ops x 2 backends x 2 variants x 2 dtypes
    x 2 thread counts = 176 points), so ``repeat`` went from (10, 30, 5 s) to (10, 20, 2 s):
    40 samples per median over the two rounds still give a median to a few per cent, and the
    per-op part of a default run grows by half rather than doubling (about 2 min per environment).
    """

    sample_time = 0.01
    repeat = (10, 20, 2.0)
    rounds = 2
    warmup_time = 0.1
    timeout = 120


add_op_benchmarks(PerOp)
