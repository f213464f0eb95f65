"""The seed's full loop: 500 training steps, timed, its peak memory, its loss and its FLOP rate."""
import statistics
import time

from twolayer.backends import BACKENDS, make_net
from twolayer.problem import DTYPES, STEP_FLOPS, STEPS

from .common import NetBenchmark, set_threads


class Loop(NetBenchmark):
    """Wall time of ``train(500)``, the loop the forum thread profiled, from a fresh state,
    in the seed's ``naive`` lines and the ``optimised`` variant (same maths).

    Timing attributes: one loop takes 0.1-0.7 s here, so ``number`` = 1 and asv re-runs
    ``setup`` (fresh weights, one warm step) before every sample; ``warmup_time`` 0 because
    setup's step already pays the first-call costs; 2 or 3 loops (at most 5 s) in each of 6
    ``rounds``, 12-18 loops per median: many short rounds for the reason given in
    ``common.ShortCallTiming`` (the host's slow spells last longer than a round).
    """

    number = 1
    repeat = (2, 3, 5.0)
    rounds = 6
    warmup_time = 0.0
    timeout = 300

    def time_train(self, backend, variant, dtype, threads):
        self.net.train(STEPS)


class _OneThreadNet:
    """A fresh net per backend x dtype at 1 thread (the BLAS's summation order then is fixed)."""

    params = [list(BACKENDS), list(DTYPES)]
    param_names = ["backend", "dtype"]
    timeout = 300

    def setup(self, backend, dtype):
        set_threads(1)
        self.net = make_net(backend, dtype)


class LoopMemory(_OneThreadNet):
    """Peak resident memory of a process that runs the loop (imports included)."""

    def peakmem_train(self, backend, dtype):
        self.net.train(STEPS)


class LoopResults(_OneThreadNet):
    """What the loop computes, tracked so that correctness shows in the history.

    ``track_final_loss`` is the loss after 500 steps; a change in it means the arithmetic
    changed, not the speed.
    """

    def track_final_loss(self, backend, dtype):
        return self.net.train(STEPS)[-1]

    track_final_loss.unit = "loss"


class LoopRate(NetBenchmark):
    """Achieved GFLOP/s of the loop: matmul FLOPs of 500 steps over the median of 3 timed loops."""

    timeout = 300
    rounds = 1

    def track_gflops(self, backend, variant, dtype, threads):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            self.net.train(STEPS)
            times.append(time.perf_counter() - start)
        return STEP_FLOPS * STEPS / statistics.median(times) / 1e9

    track_gflops.unit = "GFLOP/s"
