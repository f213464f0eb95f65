"""The benchmark harness (benchmarks/: peak calibration, size sweep, device benchmarks) and the
tools that read its results (twolayer_tools.peak, twolayer_tools.scaling)."""
import os

import pytest
import torch

from benchmarks import peak as bench_peak
from benchmarks import scaling as grid
from benchmarks.common import PreparedOnce, prepared
from twolayer import problem
from twolayer.backends import BACKENDS
from twolayer_tools import peak as tools_peak
from twolayer_tools import scaling as tools_scaling


def test_prepared_prepares_once_per_parameter_set_and_skips_what_cannot_run():
    calls = []

    class Bench(PreparedOnce):
        def prepare(self, backend):
            if backend == "none":
                raise NotImplementedError("no such backend here")
            calls.append(backend)

        @prepared
        def time_x(self):
            """The timed body."""

    b = Bench()
    for backend in ("numpy", "numpy", "torch", "torch"):
        b.time_x(backend)
    assert calls == ["numpy", "torch"]
    assert Bench.time_x.__name__ == "time_x" and Bench.time_x.__doc__ == "The timed body."
    with pytest.raises(NotImplementedError, match="no such backend"):
        b.time_x("none")


# -- the peak ----------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_peak_gemm_measures_a_rate(backend):
    gf = bench_peak.measure(backend, "float32", 1, size=128, repeats=3)
    assert 0.1 < gf < 1e5


class FakeResult:
    """Just enough of asv's Results for twolayer_tools.peak.summarise."""

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
    s = tools_peak.summarise(res, benchmarks)
    assert s["peak"] == {("float64", 1): (100.0, "torch")}
    (row,) = s["loop"]  # the missing (None) optimised point is left out
    assert row["variant"] == "naive" and row["fraction"] == pytest.approx(0.5)
    ops = {r["op"]: r for r in s["ops"]}
    assert ops["h"]["fraction"] == pytest.approx(0.25) and ops["h"]["unit"] == "GFLOP/s"
    assert ops["update_w1"]["rate"] == pytest.approx(20.0) and ops["update_w1"]["unit"] == "GB/s"
    text = tools_peak.format_summary(s)
    assert "50%" in text and "GB/s" in text


# -- scaling and devices -----------------------------------------------------------------------

def test_scaling_grid_facts():
    assert tools_scaling.step_flops(problem.N, problem.H) == problem.STEP_FLOPS
    assert grid.scaled_learning_rate(problem.N, problem.H) == problem.LEARNING_RATE
    assert not grid.point_skipped(1024, 1600) and grid.point_skipped(4096, 4096)


def test_scaling_benchmarks_are_skipped_unless_asked(monkeypatch):
    from benchmarks.scaling import ScalingLoop, ScalingMatmul
    monkeypatch.delenv(grid.SLOW_ENV, raising=False)
    with pytest.raises(NotImplementedError, match="TWOLAYER_BENCH_SLOW"):
        ScalingLoop().setup("numpy", 64, 100)
    monkeypatch.setenv(grid.SLOW_ENV, "1")
    with pytest.raises(NotImplementedError, match="limit"):
        ScalingLoop().setup("numpy", 4096, 4096)
    b = ScalingMatmul()  # prepared on its first timed call (common.prepared)
    b.time_h("torch", 64, 100)
    b.time_grad_w1("torch", 64, 100)


def test_scaling_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    pts = {}
    for n in grid.SCALING_N[:2]:
        for h in grid.SCALING_H[:2]:
            for b, f in (("numpy", 2.0), ("torch", 1.0)):
                pts[("loop", b, n, h)] = f * tools_scaling.step_flops(n, h) * grid.SCALING_STEPS / 50e9
                pts[("h", b, n, h)] = pts[("grad_w1", b, n, h)] = f * tools_scaling.matmul_flops(n, h) / 50e9
    out = tools_scaling.plot(pts, str(tmp_path / "report" / "scaling.png"), peak=100.0)
    assert os.path.getsize(out) > 10_000
    assert all(r[3] == pytest.approx(2.0) for r in tools_scaling.ratio_table(pts))


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
