"""What each line of the seed's loop calls, so measured per-call costs can be attributed to lines.

The report multiplies ``benchmarks/causes.py``'s per-call overheads (``causes.Overhead.time_<kind>``)
by these counts; the kinds are that class's method names. These are facts about the code of
the two backends (twolayer_src/twolayer/backends), not explanations: the explanations are computed.
"""
from twolayer.problem import OP_NAMES

# The library calls one execution of each op makes, in both backends (numpy_net.py / torch_net.py).
# 'transpose' is torch's .t() (a dispatched op); numpy's .T is an attribute, counted the same way.
OP_CALLS = {
    "h": ("matmul",),
    "h_relu": ("clamp",),
    "y_pred": ("matmul",),
    "loss": ("binary", "square", "reduce"),
    "grad_y_pred": ("binary", "scalar_mul"),
    "grad_w2": ("transpose", "matmul"),
    "grad_h_relu": ("transpose", "matmul"),
    "grad_h": ("copy", "compare", "mask_assign"),
    "grad_w1": ("transpose", "matmul"),
    "update_w1": ("scalar_mul", "inplace"),
    "update_w2": ("scalar_mul", "inplace"),
}
assert set(OP_CALLS) == set(OP_NAMES)

# Benchmark names the report reads (benchmarks/ops.py, loop.py and causes.py).
PER_OP = "ops.PerOp.time_{op}"
LOOP = "loop.Loop.time_train"
SAME_ARRAYS = "causes.SameArrays.time_{op}"      # matmul ops only
OVERHEAD = "causes.Overhead.time_{kind}"
MASK_FORMS = "causes.MaskForms.time_grad_h"
MASK_OP = "grad_h"
PAIRED = "ratios.TorchOverNumpy.track_ratio"     # op: an op name or "step"
COUNTS = "counts.Instructions.track_instructions"
COUNTS_BY_LIBRARY = "counts.InstructionsByLibrary.track_instructions"
STEP = "step"
