"""The suite under real asv: `asv check`, and a real `asv run --quick` in an isolated virtualenv."""
import json
import math
import subprocess

import pytest

from conftest import ROOT, TEST_MACHINE, TEST_MATRIX, run_asv, write_test_conf
from twolayer.problem import OP_NAMES


def test_asv_check(asv_home):
    proc = run_asv(["check", "-E", "existing:same"], asv_home)
    assert "No problems found" in proc.stdout, proc.stdout


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, asv_home):
    """One real `asv run --quick` of the whole suite at HEAD, in the numpy 2.4.6 x torch 2.13.0 env."""
    tmp = tmp_path_factory.mktemp("asv")
    conf = write_test_conf(tmp)
    proc = run_asv(["--config", str(conf), "run", "--quick", "--show-stderr",
                    "--machine", TEST_MACHINE, "HEAD^!"], asv_home)
    return tmp, proc


def test_quick_run_has_a_number_for_every_benchmark_and_parameter(quick_run):
    from asv.results import iter_results_for_machine
    tmp, proc = quick_run
    assert "failed" not in proc.stdout, proc.stdout[-6000:]
    benchmarks = json.loads((tmp / "results" / "benchmarks.json").read_text())
    results = list(iter_results_for_machine(str(tmp / "results"), TEST_MACHINE))
    assert len(results) == 1
    res = results[0]
    assert "numpy2.4.6" in res.env_name and "torch2.13.0" in res.env_name
    names = [n for n in benchmarks if n != "version"]
    assert {f"ops.PerOp.time_{op}" for op in OP_NAMES} <= set(names)
    assert {"loop.Loop.time_train", "loop.LoopMemory.peakmem_train", "loop.LoopRate.track_gflops",
            "loop.LoopResults.track_final_loss", "environment.MatrixPins.track_pins_verified"} <= set(names)
    missing = []
    for name in names:
        values = res.get_result_value(name, benchmarks[name]["params"])
        expected = math.prod(len(p) for p in benchmarks[name]["params"]) if benchmarks[name]["params"] else 1
        assert len(values) == expected, name
        missing += [name for v in values if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0)]
    assert not missing, f"benchmarks without a number: {sorted(set(missing))}"
    assert res.get_result_value("environment.MatrixPins.track_pins_verified", []) == [2]


def test_environment_holds_the_matrix_versions(quick_run):
    """The pins stand inside the isolated environment (nothing replaced them)."""
    envs = [p for p in (ROOT / ".asv" / "env").iterdir() if (p / "bin" / "python").exists()]
    versions = []
    for env in envs:
        out = subprocess.run([str(env / "bin" / "python"), "-c",
                              "import numpy, torch, twolayer; print(numpy.__version__, torch.__version__)"],
                             text=True, capture_output=True)
        versions.append(out.stdout.split())
    wanted = [TEST_MATRIX["numpy"][0], TEST_MATRIX["torch"][0]]
    assert any([n, t.split("+")[0]] == wanted for n, t in versions), versions
