"""Benchmarks that isolate where numpy and torch differ, for the report's "why".

* ``SameArrays``: each matmul of the step on the numpy net's own arrays, by numpy (its
  OpenBLAS) and by torch on zero-copy ``torch.from_numpy`` views (its MKL): the same memory,
  so what differs is the BLAS (plus one call's overhead, measured by ``Overhead``).
* ``Overhead``: one call of each kind the seed's lines make, on 4x4 arrays: what a library
  spends around the arithmetic (dispatch, checks, allocation).
* ``MaskForms``: the mask line ``grad_h[h < 0] = 0`` in its alternative forms.

Each runs one round (``CAUSE_ROUNDS``), not ``ops.PerOp``'s two: the exact "why" is the counts'
split by library (``counts.InstructionsByLibrary``); these are its wall-clock side, and their
second round was the minute ``make bench`` needed to stay within 20 (docs/methods.md).

The method names of ``Overhead`` are the call kinds of the report's ``OP_CALLS``
(tools/twolayer_tools/causes.py reads them by those names). Like the rest of the suite this module imports without
torch and its parameters never depend on the installed versions.
"""
import numpy as np

from twolayer.backends import BACKENDS, make_net
from twolayer.problem import DTYPES, MATMUL_OPS

from .common import THREAD_COUNTS, PreparedOnce, ShortCallTiming, prepared, set_threads, torch

# The operands of each matmul line, as attributes of the training state (".T" = transposed view).
MATMUL_OPERANDS = {
    "h": ("x", "w1"),
    "y_pred": ("h_relu", "w2"),
    "grad_w2": ("h_relu.T", "grad_y_pred"),
    "grad_h_relu": ("grad_y_pred", "w2.T"),
    "grad_w1": ("x.T", "grad_h"),
}
assert set(MATMUL_OPERANDS) == set(MATMUL_OPS)


def _require_torch(backend):
    if backend == "torch" and torch is None:
        raise NotImplementedError("torch is not installed in this environment")


def _operand(state, spec):
    name, _, t = spec.partition(".")
    array = getattr(state, name)
    return array.T if t == "T" else array


CAUSE_ROUNDS = 1
"""Rounds of the cause benchmarks (one process per point; asv's repeat gives its samples)."""


class SameArrays(ShortCallTiming, PreparedOnce):
    """One matmul of the step on identical NumPy memory: ``np.dot`` vs ``torch.mm`` on from_numpy views.

    Timing as ``ops.PerOp`` (``common.ShortCallTiming``); the arrays are prepared once per
    parameter set (``common.PreparedOnce``).
    """

    rounds = CAUSE_ROUNDS

    params = [list(BACKENDS), list(DTYPES), list(THREAD_COUNTS)]
    param_names = ["backend", "dtype", "threads"]

    def prepare(self, backend, dtype, threads):
        _require_torch(backend)
        set_threads(threads, backend)
        net = make_net("numpy", dtype)
        net.step()
        self.args = {}
        for op, specs in MATMUL_OPERANDS.items():
            arrays = [_operand(net.s, spec) for spec in specs]
            self.args[op] = [torch.from_numpy(a) for a in arrays] if backend == "torch" else arrays
        self.mm = torch.mm if backend == "torch" else np.dot


for _op in MATMUL_OPERANDS:
    def _matmul(self, op=_op):
        self.mm(*self.args[op])
    setattr(SameArrays, f"time_{_op}", prepared(_matmul, f"time_{_op}",
                                                f"The matmul of op {_op!r} on the numpy net's arrays."))
del _op, _matmul


class Overhead(ShortCallTiming, PreparedOnce):
    """One call of each kind on 4x4 arrays (1 thread): the per-call cost around the arithmetic.

    A step's line makes 1 to 3 such calls (the report's ``OP_CALLS``); on 4x4 arrays the
    arithmetic is a few nanoseconds, so what is measured is the library's fixed cost (plus
    the harness's ~0.1 us: the ``ready`` check, the same for both backends).
    """

    rounds = CAUSE_ROUNDS

    params = [list(BACKENDS), list(DTYPES)]
    param_names = ["backend", "dtype"]

    def prepare(self, backend, dtype):
        _require_torch(backend)
        set_threads(1)
        rng = np.random.RandomState(0)
        a, b = (rng.standard_normal((4, 4)).astype(dtype) for _ in range(2))
        if backend == "torch":
            a, b = torch.from_numpy(a).clone(), torch.from_numpy(b).clone()
        self.a, self.b, self.mask = a, b, a < 0
        self.torch = backend == "torch"

    @prepared
    def time_matmul(self):
        self.a.mm(self.b) if self.torch else self.a.dot(self.b)

    @prepared
    def time_transpose(self):
        self.a.t() if self.torch else self.a.T

    @prepared
    def time_clamp(self):
        self.a.clamp(min=0) if self.torch else np.maximum(self.a, 0)

    @prepared
    def time_binary(self):
        self.a - self.b

    @prepared
    def time_square(self):
        self.a.pow(2) if self.torch else np.square(self.a)

    @prepared
    def time_reduce(self):
        self.a.sum()

    @prepared
    def time_scalar_mul(self):
        2.0 * self.a

    @prepared
    def time_inplace(self):
        self.a -= self.b

    @prepared
    def time_copy(self):
        self.a.clone() if self.torch else self.a.copy()

    @prepared
    def time_compare(self):
        self.a < 0

    @prepared
    def time_mask_assign(self):
        self.b[self.mask] = 0


MASK_FORMS = {
    # form: backends it exists in
    "seed": ("numpy", "torch"),          # g = ghr.copy(); g[h < 0] = 0  (torch: index_put)
    "masked_fill": ("torch",),           # g = ghr.masked_fill(h < 0, 0)
    "copyto_where": ("numpy",),          # g = ghr.copy(); np.copyto(g, 0, where=h < 0)
    "multiply": ("numpy", "torch"),      # g = ghr * (h >= 0)  (np.multiply with the bool mask)
    "where": ("numpy", "torch"),         # g = where(h < 0, 0, ghr)
}


class MaskForms(ShortCallTiming, PreparedOnce):
    """The mask line ``grad_h = grad_h_relu.copy(); grad_h[h < 0] = 0`` in each of its forms (1 thread).

    64x100 arrays (6,400 elements: below torch's 32,768-element threading threshold, so the
    thread count does not matter). A form that a backend lacks is skipped.
    """

    rounds = CAUSE_ROUNDS

    params = [list(BACKENDS), list(MASK_FORMS), list(DTYPES)]
    param_names = ["backend", "form", "dtype"]

    def prepare(self, backend, form, dtype):
        if backend not in MASK_FORMS[form]:
            raise NotImplementedError(f"form {form!r} does not exist in {backend}")
        _require_torch(backend)
        set_threads(1)
        net = make_net(backend, dtype)
        net.step()
        self.ghr, self.h = net.s.grad_h_relu, net.s.h
        self.run = getattr(self, f"_{backend}_{form}")

    def _numpy_seed(self):
        g = self.ghr.copy()
        g[self.h < 0] = 0
        return g

    def _numpy_copyto_where(self):
        g = self.ghr.copy()
        np.copyto(g, 0, where=self.h < 0)
        return g

    def _numpy_multiply(self):
        return np.multiply(self.ghr, self.h >= 0)

    def _numpy_where(self):
        return np.where(self.h < 0, 0, self.ghr)

    def _torch_seed(self):
        g = self.ghr.clone()
        g[self.h < 0] = 0
        return g

    def _torch_masked_fill(self):
        return self.ghr.masked_fill(self.h < 0, 0)

    def _torch_multiply(self):
        return self.ghr * (self.h >= 0)

    def _torch_where(self):
        return torch.where(self.h < 0, 0.0, self.ghr)

    @prepared
    def time_grad_h(self):
        self.run()
