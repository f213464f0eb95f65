"""The loop and its ops on a GPU (torch on ``cuda``), every timed call synchronised.

Dedicated classes keep the default grid small: only torch on cuda is measured here (the CPU
numbers of the same run are ``Loop``'s and ``PerOp``'s at all cores), threads are fixed at all
cores (the launching thread's pool), and where no GPU is visible (``torch.cuda.is_available()``
is False) building the net raises ``NotImplementedError``, so asv records the points as skipped.

GPU timing: kernels are queued asynchronously, so every timed call ends with ``net.sync()``
(``torch.cuda.synchronize``); ``train`` synchronises once at its end and reads each step's loss
only afterwards, as on the CPU.
"""
from twolayer.problem import STEPS

from .common import ALL_CORES, DTYPES, VARIANTS, PreparedOnce, add_op_benchmarks, make_net, set_threads

DEVICES = ("cuda",)
"""Accelerator devices measured here (the CPU's numbers are ``Loop``'s and ``PerOp``'s)."""
PARAMS = [["torch"], list(VARIANTS), list(DTYPES), list(DEVICES)]
PARAM_NAMES = ["backend", "variant", "dtype", "device"]


def _device_net(self, backend, variant, dtype, device):
    """A warmed-up net on `device` (BackendUnavailable, a NotImplementedError, where there is none)."""
    set_threads(ALL_CORES)
    self.net = make_net(backend, dtype, device=device, variant=variant)
    self.net.step()
    self.net.sync()


class DeviceLoop:
    """Wall time of ``train(500)`` per device (synchronised at the end).

    Timing attributes: as ``Loop`` but 3-5 samples in one round.
    """

    params, param_names = PARAMS, PARAM_NAMES
    setup = _device_net
    number = 1
    repeat = (3, 5, 10.0)
    rounds = 1
    warmup_time = 0.0
    timeout = 300

    def time_train(self, backend, variant, dtype, device):
        self.net.train(STEPS)


class DevicePerOp(PreparedOnce):
    """One call of each op followed by ``sync()`` (a no-op on the CPU).

    Timing attributes: 5-10 samples of 10 ms in one round (a reduced ``PerOp``).
    """

    params, param_names = PARAMS, PARAM_NAMES
    prepare = _device_net  # prepared once per parameter set: see common.PreparedOnce
    sample_time = 0.01
    repeat = (5, 10, 1.0)
    rounds = 1
    warmup_time = 0.05
    timeout = 120


add_op_benchmarks(DevicePerOp, sync=True)
