"""Scaling: the loop and its two large matmuls over batch size N and hidden size H.

Skipped unless ``TWOLAYER_BENCH_SLOW=1`` is set in the environment of ``asv run`` (as
scikit-image's suite skips its slow benchmarks unless ``ASV_SKIP_SLOW`` says otherwise): every
building the net raises ``NotImplementedError`` otherwise, so the default run does not pay for it::

    make sweep                                   # TWOLAYER_BENCH_SLOW=1 asv run -b scaling ...
    twolayer-bench scaling                       # the plot, html/report/scaling.png

The grid (below): N in 64, 256, 1024, 4096 and H in 100, 400, 1600, 4096
(D_in = 1000 and D_out = 10 as in the seed), float64, all cores, the ``naive`` variant. Points
with N·H above ``MAX_NH`` (1024·1600) are skipped: a step there costs over 6.5 GFLOP, and the
loop points above it would take minutes each on a 2-core machine while the points kept already
reach BLAS-bound sizes. The loop runs ``SCALING_STEPS`` = 20 steps, not 500: at these sizes 20
steps are 0.1-2 s, long enough to time, and the per-step cost is what is compared. The learning
rate is scaled by (64·100)/(N·H) so that larger problems do not diverge to inf within the loop.
"""
import os

from twolayer.data import initial_arrays
from twolayer.problem import H, LEARNING_RATE, N

from .common import ALL_CORES, BACKENDS, PreparedOnce, make_net, prepared, set_threads

DTYPE = "float64"
SCALING_N = (64, 256, 1024, 4096)
"""Batch sizes of the sweep (the seed's is 64)."""
SCALING_H = (100, 400, 1600, 4096)
"""Hidden sizes of the sweep (the seed's is 100)."""
MAX_NH = 1024 * 1600
"""Points with N·H above this are skipped (a step there is over 6.5 GFLOP: minutes per point)."""
SCALING_STEPS = 20
"""Steps per timed loop in the sweep (the seed's 500 would take hours at the large sizes)."""
SLOW_ENV = "TWOLAYER_BENCH_SLOW"


def slow_enabled():
    """True when the environment asks for the slow benchmarks (TWOLAYER_BENCH_SLOW=1)."""
    return os.environ.get(SLOW_ENV, "") == "1"


def point_skipped(n, h):
    return n * h > MAX_NH


def scaled_learning_rate(n, h):
    """The seed's learning rate scaled by (64·100)/(N·H): gradients grow with N and H."""
    return LEARNING_RATE * (N * H) / (n * h)


PARAMS = [list(BACKENDS), list(SCALING_N), list(SCALING_H)]
PARAM_NAMES = ["backend", "N", "H"]


def _scaled_net(self, backend, N, H):
    """A warmed-up float64 net at batch N, hidden H (NotImplementedError: the point is skipped)."""
    if not slow_enabled():
        raise NotImplementedError("scaling benchmarks run only with TWOLAYER_BENCH_SLOW=1")
    if point_skipped(N, H):
        raise NotImplementedError(f"N*H = {N * H} is above the grid's limit")
    set_threads(ALL_CORES)
    self.net = make_net(backend, DTYPE, arrays=initial_arrays(DTYPE, n=N, h=H))
    self.net.s.learning_rate = scaled_learning_rate(N, H)
    self.net.step()
    self.net.sync()


class ScalingLoop:
    """Wall time of ``train(SCALING_STEPS)`` at batch N, hidden H.

    Timing attributes: ``number`` = 1 (fresh weights from setup each sample), 2-3 samples in
    one round: a sweep, read as a curve, not a regression gate.
    """

    params, param_names, timeout = PARAMS, PARAM_NAMES, 300
    setup = _scaled_net
    number = 1
    repeat = (2, 3, 20.0)
    rounds = 1
    warmup_time = 0.0

    def time_train(self, backend, N, H):
        self.net.train(SCALING_STEPS)


class ScalingMatmul(PreparedOnce):
    """The two large matmuls at batch N, hidden H: ``h = x @ w1`` (N x 1000 x H) and
    ``grad_w1 = x.T @ grad_h`` (1000 x N x H), one call each.

    Timing attributes: 5-10 samples of at least 50 ms, one round, 0.1 s warm-up.
    """

    params, param_names, timeout = PARAMS, PARAM_NAMES, 300
    prepare = _scaled_net  # prepared once per parameter set: see common.PreparedOnce
    sample_time = 0.05
    repeat = (5, 10, 5.0)
    rounds = 1
    warmup_time = 0.1

    @prepared
    def time_h(self):
        self.net.h()
        self.net.sync()

    @prepared
    def time_grad_w1(self):
        self.net.grad_w1()
        self.net.sync()
