"""The seed's full loop: 500 training steps, timed, with its peak memory and its final loss.

The loop's GFLOP/s is derived from ``Loop.time_train`` (matmul FLOPs of 500 steps over the
median), never timed a second time.
"""
from twolayer.backends import BACKENDS, make_net
from twolayer.problem import DTYPES, STEPS

from .common import NetBenchmark, set_threads


class Loop(NetBenchmark):
    """Wall time of ``train(500)``, the loop the forum thread profiled, from a fresh state,
    in the seed's ``naive`` lines and the ``optimised`` variant (same maths).

    Timing attributes: one loop takes 0.1-0.7 s, so ``number`` = 1 and asv re-runs ``setup``
    (fresh weights, one warm step) before every sample; ``warmup_time`` 0 because setup's step
    pays the first-call costs; 2 loops in each of 2 ``rounds`` (a round's loops land in one state
    of the host, so the rounds, interleaved across environments by ``make bench``, are what
    sample it; the loop's torch/numpy ratio is the paired step's, ``ratios``).
    """

    number = 1
    repeat = (2, 2, 5.0)
    rounds = 2
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
    """What the loop computes, tracked so that correctness shows in the history: the loss after
    500 steps (a change means the arithmetic changed, not the speed)."""

    def track_final_loss(self, backend, dtype):
        return self.net.train(STEPS)[-1]

    track_final_loss.unit = "loss"
