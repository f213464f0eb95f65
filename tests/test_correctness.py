"""NumPy and torch compute the same thing: loss histories, gradients, op-by-op vs step."""
import numpy as np
import pytest
import torch

from twolayer import data, problem
from twolayer.backends import VARIANTS, make_net
from benchmarks.threads import THREAD_COUNTS, set_threads


def histories(dtype):
    return {b: np.array(make_net(b, dtype).train(problem.STEPS)) for b in ("numpy", "torch")}


def test_both_backends_start_from_the_same_arrays():
    a = make_net("numpy", "float64").arrays()
    b = make_net("torch", "float64").arrays()
    for name in ("x", "y", "w1", "w2"):
        np.testing.assert_array_equal(a[name], b[name])
    # and every call gives the same arrays (seeded)
    np.testing.assert_array_equal(data.initial_arrays()["w1"], data.initial_arrays()["w1"])


def test_float64_loss_histories_agree(threads):
    h = histories("float64")
    assert len(h["numpy"]) == problem.STEPS
    assert h["numpy"][-1] < 1e-3 * h["numpy"][0]  # it trains
    # Only the BLAS's summation order differs; measured worst case 3.5e-11 over 500 steps.
    np.testing.assert_allclose(h["torch"], h["numpy"], rtol=1e-10, atol=0)


def test_float32_loss_histories_agree(threads):
    """float32: while the loss is large (> 100) the two agree to 1e-4 (measured < 1e-5: a few
    float32 roundings, eps 6e-8, amplified through the steps). Near the end the loss falls
    to ~2e-4, the float32 noise floor of this problem (float64 reaches 7e-5), where each
    backend's rounding residue dominates: measured worst 5.8e-3 relative, so 2e-2 overall."""
    h = histories("float32")
    large = h["numpy"] > 100.0
    assert large.sum() > 100
    np.testing.assert_allclose(h["torch"][large], h["numpy"][large], rtol=1e-4, atol=0)
    np.testing.assert_allclose(h["torch"], h["numpy"], rtol=2e-2, atol=0)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("dtype", problem.DTYPES)
def test_gradients_equal_autograd(backend, dtype, variant):
    """The hand-written backprop equals torch autograd on the same network and arrays."""
    net = make_net(backend, dtype, variant=variant)
    for name in problem.OP_NAMES[:problem.OP_NAMES.index("grad_w1") + 1]:
        getattr(net, name)()
    got = net.arrays()

    a = data.initial_arrays(dtype)
    x, y = torch.tensor(a["x"]), torch.tensor(a["y"])
    w1 = torch.tensor(a["w1"], requires_grad=True)
    w2 = torch.tensor(a["w2"], requires_grad=True)
    loss = (x.mm(w1).clamp(min=0).mm(w2) - y).pow(2).sum()
    loss.backward()
    rtol = 1e-12 if dtype == "float64" else 1e-4
    np.testing.assert_allclose(got["loss"], loss.item(), rtol=rtol)
    np.testing.assert_allclose(got["grad_w1"], w1.grad.numpy(), rtol=rtol, atol=rtol * abs(w1.grad).max().item())
    np.testing.assert_allclose(got["grad_w2"], w2.grad.numpy(), rtol=rtol, atol=rtol * abs(w2.grad).max().item())


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("dtype", problem.DTYPES)
def test_ops_one_by_one_equal_step(backend, dtype, variant):
    by_ops, by_step = (make_net(backend, dtype, variant=variant) for _ in range(2))
    for _ in range(3):
        for name in problem.OP_NAMES:
            getattr(by_ops, name)()
        by_step.step()
    a, b = by_ops.arrays(), by_step.arrays()
    outputs = {name for name in problem.OP_NAMES if not name.startswith("update_")}  # updates write w1, w2
    assert a.keys() == b.keys() and outputs | {"x", "y", "w1", "w2"} == set(a)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_train_returns_python_floats():
    losses = make_net("torch", "float32").train(5)
    assert len(losses) == 5 and all(type(v) is float for v in losses)


def test_bad_dtype_and_backend_are_refused():
    with pytest.raises(ValueError, match="unknown dtype"):
        make_net("numpy", "float16")
    with pytest.raises(ValueError, match="unknown backend"):
        make_net("jax")


def test_set_threads_reaches_every_pool():  # backend None: every pool
    for n in THREAD_COUNTS:
        report = set_threads(n)
        assert report["torch"] == n
        assert any(k.startswith("openblas") for k in report), report
        assert all(v == n for v in report.values()), report
