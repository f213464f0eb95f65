"""The problem's facts are derived from its sizes, and both backends define exactly its ops."""
import inspect

import pytest

from twolayer import problem
from twolayer.backends import backend_class
from twolayer.backends.base import Net


def test_sizes_are_the_seeds():
    assert (problem.N, problem.D_IN, problem.H, problem.D_OUT) == (64, 1000, 100, 10)
    assert problem.LEARNING_RATE == 1e-6 and problem.STEPS == 500


def test_flops_per_step():
    # two large matmuls (64x1000x100) and three small ones (64x100x10), 2*M*K*N each
    assert problem.flops("h") == problem.flops("grad_w1") == 12_800_000
    assert [problem.flops(n) for n in ("y_pred", "grad_w2", "grad_h_relu")] == [128_000] * 3
    assert problem.STEP_FLOPS == 25_984_000


def test_elementwise_ops_have_bytes_not_flops():
    assert problem.bytes_moved("update_w1", "float64") == 3 * 1000 * 100 * 8
    assert problem.bytes_moved("update_w1", "float32") == 3 * 1000 * 100 * 4
    with pytest.raises(ValueError, match="elementwise"):
        problem.flops("h_relu")


def test_op_order_is_the_seeds():
    assert problem.OP_NAMES == ("h", "h_relu", "y_pred", "loss", "grad_y_pred", "grad_w2",
                                "grad_h_relu", "grad_h", "grad_w1", "update_w1", "update_w2")


def test_step_calls_the_ops_in_order():
    called = []

    class Recorder(Net):
        def __init__(self):
            pass

    for name in problem.OP_NAMES:
        setattr(Recorder, name, lambda self, name=name: called.append(name))
    Recorder().step()
    assert tuple(called) == problem.OP_NAMES


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_backend_defines_every_op(backend):
    cls = backend_class(backend)
    defined = [name for name, _ in inspect.getmembers(cls, inspect.isfunction)
               if name in cls.__dict__ and not name.startswith("_")]
    ops = [n for n in defined if n in problem.OP_NAMES]
    assert sorted(ops) == sorted(problem.OP_NAMES)
    # the ops appear in the source in the seed's order, so the two files read side by side
    source = inspect.getsource(cls)
    positions = [source.index(f"def {name}(self)") for name in problem.OP_NAMES]
    assert positions == sorted(positions)
