"""The seed's problem, defined once: sizes, learning rate, steps, seed, op names and their cost.

Every backend, benchmark and report imports these facts from here. The loop is the one a
forum thread ("PyTorch Tensor performance vs Numpy array") timed line by line with a profiler,
from the PyTorch tutorial's "warm-up: numpy" example.
"""
from collections import namedtuple

N, D_IN, H, D_OUT = 64, 1000, 100, 10
LEARNING_RATE = 1e-6
STEPS = 500
SEED = 0
DTYPES = ("float64", "float32")
ITEMSIZE = {"float64": 8, "float32": 4}

# One row per line of the seed's loop, in the seed's order.
#   name     the op's name in both backends (a method of the net)
#   line     the seed's NumPy line it stands for
#   kind     "matmul" (cost in FLOPs) or "elementwise" (cost in bytes moved)
#   shape    for a matmul (M, K, N): an (M x K) @ (K x N) product
Op = namedtuple("Op", "name line kind shape")

OPS = (
    Op("h", "h = x.dot(w1)", "matmul", (N, D_IN, H)),
    Op("h_relu", "h_relu = np.maximum(h, 0)", "elementwise", None),
    Op("y_pred", "y_pred = h_relu.dot(w2)", "matmul", (N, H, D_OUT)),
    Op("loss", "loss = np.square(y_pred - y).sum()", "elementwise", None),
    Op("grad_y_pred", "grad_y_pred = 2.0 * (y_pred - y)", "elementwise", None),
    Op("grad_w2", "grad_w2 = h_relu.T.dot(grad_y_pred)", "matmul", (H, N, D_OUT)),
    Op("grad_h_relu", "grad_h_relu = grad_y_pred.dot(w2.T)", "matmul", (N, D_OUT, H)),
    Op("grad_h", "grad_h = grad_h_relu.copy(); grad_h[h < 0] = 0", "elementwise", None),
    Op("grad_w1", "grad_w1 = x.T.dot(grad_h)", "matmul", (D_IN, N, H)),
    Op("update_w1", "w1 -= learning_rate * grad_w1", "elementwise", None),
    Op("update_w2", "w2 -= learning_rate * grad_w2", "elementwise", None),
)
OP_NAMES = tuple(op.name for op in OPS)
OPS_BY_NAME = {op.name: op for op in OPS}
MATMUL_OPS = tuple(op.name for op in OPS if op.kind == "matmul")

# Compulsory memory traffic of each elementwise op, in array elements: the inputs it must
# read and the outputs it must write once each (temporaries the seed's line creates are
# the implementation's cost, not the op's). bytes = elements * itemsize.
_ELEMENTS_MOVED = {
    "h_relu": 2 * N * H,            # read h, write h_relu
    "loss": 2 * N * D_OUT,          # read y_pred and y (writes a scalar)
    "grad_y_pred": 3 * N * D_OUT,   # read y_pred and y, write grad_y_pred
    "grad_h": 3 * N * H,            # read grad_h_relu and h, write grad_h
    "update_w1": 3 * D_IN * H,      # read w1 and grad_w1, write w1
    "update_w2": 3 * H * D_OUT,     # read w2 and grad_w2, write w2
}


def flops(op_name):
    """Floating-point operations of one call of a matmul op: 2*M*K*N."""
    op = OPS_BY_NAME[op_name]
    if op.kind != "matmul":
        raise ValueError(f"{op_name!r} is elementwise: it has a byte count, not a FLOP count")
    m, k, n = op.shape
    return 2 * m * k * n


def bytes_moved(op_name, dtype):
    """Bytes read and written by one call of an elementwise op in `dtype`."""
    return _ELEMENTS_MOVED[op_name] * ITEMSIZE[dtype]


STEP_FLOPS = sum(flops(name) for name in MATMUL_OPS)
"""FLOPs of one training step, counting the matmuls only (the elementwise ops add < 0.3 %)."""
