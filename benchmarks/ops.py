"""One ``time_<op>`` benchmark per line of the seed's loop (the per-line profiler table, in asv).

The methods are made from ``twolayer.problem.OP_NAMES`` (``common.add_op_benchmarks``) so the
suite always has exactly the ops the backends define, in the seed's order. Every op is timed at
1 thread and at all cores: the matmuls go to a threaded BLAS, and torch also threads elementwise
ops above 32,768 elements (the w1 update has 100,000).
"""
from .common import NetOpBenchmark, add_op_benchmarks


class PerOp(NetOpBenchmark):
    """Time of one call of each op on a warmed-up training state (seconds per call).

    The state is built once per parameter set (``common.PreparedOnce``), so asv times batches
    of calls on a warm state rather than one cold call per sample. Timing attributes:
    ``common.ShortCallTiming`` (~10 ms samples, timer overhead < 0.01 %; 2 rounds).
    """

    timeout = 120


add_op_benchmarks(PerOp)
