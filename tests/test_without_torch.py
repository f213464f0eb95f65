"""The workload and the benchmark suite import without torch; the torch backend says why it can't run."""
import subprocess
import sys

from conftest import ROOT

HIDE_TORCH = "import sys; sys.modules['torch'] = None\n"  # makes `import torch` raise ImportError


def run_py(code):
    return subprocess.run([sys.executable, "-c", HIDE_TORCH + code], cwd=ROOT, text=True,
                          capture_output=True)


def test_torch_backend_reports_itself_unavailable():
    proc = run_py(
        "from twolayer.backends import make_net, BackendUnavailable\n"
        "print(make_net('numpy').train(3)[-1] > 0)\n"
        "try:\n    make_net('torch')\n"
        "except BackendUnavailable as e:\n    print('UNAVAILABLE:', e)\n")
    assert proc.returncode == 0, proc.stderr
    assert "True" in proc.stdout
    assert "UNAVAILABLE: the torch backend is unavailable: torch cannot be imported" in proc.stdout


def test_benchmark_suite_imports_and_skips_torch():
    proc = run_py(
        "import benchmarks.ops, benchmarks.loop, benchmarks.environment\n"
        "import benchmarks.peak, benchmarks.device, benchmarks.scaling\n"
        "b = benchmarks.ops.PerOp()\n"
        "try:\n    b.time_h('torch', 'optimised', 'float64', 1)\n"
        "except NotImplementedError as e:\n    print('SKIPPED', type(e).__name__)\n"
        "try:\n    benchmarks.peak.Peak().setup('torch', 'float64', 1)\n"
        "except NotImplementedError:\n    print('PEAK SKIPPED')\n"
        "b.time_h('numpy', 'optimised', 'float64', 1); b.time_h('numpy', 'optimised', 'float64', 1)\n"
        "print('RAN')\n")
    assert proc.returncode == 0, proc.stderr
    assert "SKIPPED SkipNotImplemented" in proc.stdout and "PEAK SKIPPED" in proc.stdout and "RAN" in proc.stdout
