"""The optimised variants compute what the naive ones do, op by op and over the whole loop."""
import inspect

import numpy as np
import pytest
import torch

from twolayer import data, problem
from twolayer.backends import BACKENDS, VARIANTS, backend_class, make_net


def history(backend, dtype, variant):
    return np.array(make_net(backend, dtype, variant=variant).train(problem.STEPS))


@pytest.mark.parametrize("backend", BACKENDS)
def test_float64_loss_history_equals_naive(backend, threads):
    """Same tolerance as naive numpy vs naive torch (test_correctness.py): only summation order
    (BLAS dot for the loss) and the fused update's rounding differ; measured worst 4.8e-11."""
    naive, opt = history(backend, "float64", "naive"), history(backend, "float64", "optimised")
    assert opt[-1] < 1e-3 * opt[0]
    np.testing.assert_allclose(opt, naive, rtol=1e-10, atol=0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_float32_loss_history_equals_naive(backend, threads):
    """The float32 tolerances of test_correctness.py (measured worst 5.7e-3 near the noise floor)."""
    naive, opt = history(backend, "float32", "naive"), history(backend, "float32", "optimised")
    large = naive > 100.0
    assert large.sum() > 100
    np.testing.assert_allclose(opt[large], naive[large], rtol=1e-4, atol=0)
    np.testing.assert_allclose(opt, naive, rtol=2e-2, atol=0)


def test_optimised_backends_agree_with_each_other():
    a, b = history("numpy", "float64", "optimised"), history("torch", "float64", "optimised")
    np.testing.assert_allclose(b, a, rtol=1e-10, atol=0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", problem.DTYPES)
def test_every_output_equals_naive_after_a_step(backend, dtype):
    """Op outputs after 3 steps, name by name, equal the naive net's (the same arrays are reported)."""
    naive, opt = make_net(backend, dtype), make_net(backend, dtype, variant="optimised")
    for _ in range(3):
        naive.step()
        opt.step()
    a, b = naive.arrays(), opt.arrays()
    assert a.keys() == b.keys()
    rtol = 1e-12 if dtype == "float64" else 1e-4
    for name in a:
        np.testing.assert_allclose(b[name], a[name], rtol=rtol, atol=rtol * float(np.abs(a[name]).max()),
                                   err_msg=name)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_op_repeated_alone_is_stable(backend):
    """PerOp times one op over and over on the same state: the optimised ops must not drift
    (no compounding in-place scaling, no growing buffers)."""
    net = make_net(backend, "float64", variant="optimised")
    net.step()
    forward_backward = [name for name in problem.OP_NAMES if not name.startswith("update_")]
    for name in forward_backward:  # every output from the current weights
        getattr(net, name)()
    before = net.arrays()
    for name in forward_backward:
        for _ in range(3):
            getattr(net, name)()
    after = net.arrays()
    for name in before:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)


@pytest.mark.parametrize("backend", BACKENDS)
def test_optimised_defines_every_op_in_order(backend):
    """The two optimised files read side by side, like the naive ones: every op, in the seed's order."""
    cls = backend_class(backend, "optimised")
    assert cls.variant == "optimised" and backend_class(backend).variant == "naive"
    assert all(name in cls.__dict__ for name in problem.OP_NAMES)
    source = inspect.getsource(cls)
    positions = [source.index(f"def {name}(self)") for name in problem.OP_NAMES]
    assert positions == sorted(positions)


def test_make_net_stays_backward_compatible():
    arrays = data.initial_arrays("float64")
    net = make_net("numpy", "float64", "cpu", arrays)  # the old positional form
    assert net.variant == "naive"
    assert VARIANTS == ("naive", "optimised")
    with pytest.raises(ValueError, match="unknown variant"):
        make_net("numpy", variant="fast")


def test_other_sizes_train():
    """The scaling sweep's nets: any consistent sizes, buffers sized from the arrays."""
    arrays = data.initial_arrays("float64", n=32, h=48)
    for backend in BACKENDS:
        for variant in VARIANTS:
            net = make_net(backend, "float64", arrays=arrays, variant=variant)
            net.s.learning_rate = problem.LEARNING_RATE * (64 * 100) / (32 * 48)
            losses = net.train(5)
            assert net.arrays()["h"].shape == (32, 48) and np.isfinite(losses).all()
