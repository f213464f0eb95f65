"""The optimised variants compute what the naive ones do; the peak, scaling and device code around them."""
import inspect
import os

import numpy as np
import pytest
import torch

from twolayer import data, peak, problem, scaling
from twolayer.backends import VARIANTS, backend_class, make_net

BACKENDS = ("numpy", "torch")


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
            net.s.learning_rate = scaling.scaled_learning_rate(32, 48)
            losses = net.train(5)
            assert net.arrays()["h"].shape == (32, 48) and np.isfinite(losses).all()


# -- the peak ----------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_peak_gemm_measures_a_rate(backend):
    gf = peak.measure(backend, "float32", 1, size=128, repeats=3)
    assert 0.1 < gf < 1e5


class FakeResult:
    """Just enough of asv's Results for twolayer.peak.summarise."""

    def __init__(self, values):
        self.values = values

    def get_result_value(self, name, params):
        return self.values[name]


def test_summarise_shows_fractions_of_the_peak():
    benchmarks = {
        "peak.Peak.track_gflops": {"params": [["'numpy'", "'torch'"], ["'float64'"], ["1"]]},
        "loop.Loop.time_train": {"params": [["'numpy'"], ["'naive'", "'optimised'"], ["'float64'"], ["1"]]},
        "ops.PerOp.time_h": {"params": [["'numpy'"], ["'naive'"], ["'float64'"], ["1"]]},
        "ops.PerOp.time_update_w1": {"params": [["'numpy'"], ["'naive'"], ["'float64'"], ["1"]]},
    }
    res = FakeResult({"peak.Peak.track_gflops": [80.0, 100.0],
                      "loop.Loop.time_train": [problem.STEP_FLOPS * problem.STEPS / 50e9, None],
                      "ops.PerOp.time_h": [problem.flops("h") / 25e9],
                      "ops.PerOp.time_update_w1": [problem.bytes_moved("update_w1", "float64") / 20e9]})
    s = peak.summarise(res, benchmarks)
    assert s["peak"] == {("float64", 1): (100.0, "torch")}
    (row,) = s["loop"]  # the missing (None) optimised point is left out
    assert row["variant"] == "naive" and row["fraction"] == pytest.approx(0.5)
    ops = {r["op"]: r for r in s["ops"]}
    assert ops["h"]["fraction"] == pytest.approx(0.25) and ops["h"]["unit"] == "GFLOP/s"
    assert ops["update_w1"]["rate"] == pytest.approx(20.0) and ops["update_w1"]["unit"] == "GB/s"
    text = peak.format_summary(s)
    assert "50%" in text and "GB/s" in text


# -- scaling and devices -----------------------------------------------------------------------

def test_scaling_grid_facts():
    assert scaling.step_flops(problem.N, problem.H) == problem.STEP_FLOPS
    assert scaling.scaled_learning_rate(problem.N, problem.H) == problem.LEARNING_RATE
    assert not scaling.point_skipped(1024, 1600) and scaling.point_skipped(4096, 4096)


def test_scaling_benchmarks_are_skipped_unless_asked(monkeypatch):
    from benchmarks.scaling import ScalingLoop, ScalingMatmul
    monkeypatch.delenv(scaling.SLOW_ENV, raising=False)
    with pytest.raises(NotImplementedError, match="TWOLAYER_BENCH_SLOW"):
        ScalingLoop().setup("numpy", 64, 100)
    monkeypatch.setenv(scaling.SLOW_ENV, "1")
    with pytest.raises(NotImplementedError, match="limit"):
        ScalingLoop().setup("numpy", 4096, 4096)
    b = ScalingMatmul()  # prepared on its first timed call (common.PreparedOnce)
    b.time_h("torch", 64, 100)
    b.time_grad_w1("torch", 64, 100)


def test_scaling_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    pts = {}
    for n in scaling.SCALING_N[:2]:
        for h in scaling.SCALING_H[:2]:
            for b, f in (("numpy", 2.0), ("torch", 1.0)):
                pts[("loop", b, n, h)] = f * scaling.step_flops(n, h) * scaling.SCALING_STEPS / 50e9
                pts[("h", b, n, h)] = pts[("grad_w1", b, n, h)] = f * scaling.matmul_flops(n, h) / 50e9
    out = scaling.plot(pts, str(tmp_path / "report" / "scaling.png"), peak=100.0)
    assert os.path.getsize(out) > 10_000
    assert all(r[3] == pytest.approx(2.0) for r in scaling.ratio_table(pts))


def test_device_benchmarks_skip_what_cannot_run():
    from benchmarks.device import DeviceLoop, DevicePerOp
    assert DeviceLoop.params[0] == ["torch"] and DeviceLoop.params[-1] == ["cuda"]
    if not torch.cuda.is_available():
        with pytest.raises(NotImplementedError):
            DeviceLoop().setup("torch", "naive", "float64", "cuda")
        with pytest.raises(NotImplementedError):
            DevicePerOp().time_h("torch", "optimised", "float64", "cuda")
    b = DevicePerOp()  # the timed code path (op + sync), exercised on the CPU
    b.time_grad_h("torch", "optimised", "float32", "cpu")
