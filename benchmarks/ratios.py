"""Paired ratios torch/numpy per op and per step: both backends timed alternately in one process
(``paired.measure``), so a host that slows down slows both sides of each ratio.

asv records each point's ratios as samples (a track benchmark whose result carries ``samples``):
the result is their median, with asv's quartiles and confidence interval, unit "ratio" (above 1:
torch slower). The loop is 500 steps and nothing else, so its ratio is the step's.
"""
from twolayer.backends import VARIANTS
from twolayer.problem import DTYPES, OP_NAMES

from . import paired
from .common import THREAD_COUNTS, SkipNotImplemented, torch

POINTS = tuple(OP_NAMES) + (paired.STEP,)


class TorchOverNumpy:
    """torch's time per call over numpy's, paired batch by batch (``benchmarks/paired.py``):
    ``paired.PROCESSES`` fresh processes x ``paired.PAIRS`` pairs per point, pools quieted."""

    params = [list(VARIANTS), list(DTYPES), list(THREAD_COUNTS), list(POINTS)]
    param_names = ["variant", "dtype", "threads", "op"]
    rounds = 1
    repeat = 1
    timeout = 60

    def setup_cache(self):
        if torch is None:
            return {"skip": "torch is not installed in this environment"}
        points = [(v, d, n, op) for v in VARIANTS for d in DTYPES for n in THREAD_COUNTS for op in POINTS]
        return {"ratios": paired.measure(points)}

    setup_cache.timeout = 900

    def setup(self, measured, variant, dtype, threads, op):
        if "skip" in measured:
            raise SkipNotImplemented(measured["skip"])

    def track_ratio(self, measured, variant, dtype, threads, op):
        return {"samples": measured["ratios"][(variant, dtype, threads, op)], "number": 1}

    track_ratio.unit = "ratio"
