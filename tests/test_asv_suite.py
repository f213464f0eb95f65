"""The suite under real asv: `asv check`, and a real `asv run --quick` in an isolated virtualenv."""
import json
import math
import subprocess


from conftest import TEST_ENV_DIR, TEST_MACHINE, TEST_MATRIX, missing_numbers, run_asv
from twolayer.problem import OP_NAMES


def test_asv_check(asv_home):
    proc = run_asv(["check", "-E", "existing:same"], asv_home)
    assert "No problems found" in proc.stdout, proc.stdout


# quick_run (conftest.py, session-scoped): the one real quick run this file and
# test_site_browser.py share.


def expected_skip(name, combo):
    """Benchmarks that a quick run here skips by design: the scaling sweep (only with
    TWOLAYER_BENCH_SLOW=1), every cuda point (no GPU on the test machines), and the mask
    forms a backend does not have (causes.MASK_FORMS)."""
    from benchmarks.causes import MASK_FORMS
    if name == "causes.MaskForms.time_grad_h":
        backend, form = combo[0].strip("'"), combo[1].strip("'")
        return backend not in MASK_FORMS[form]
    return name.startswith("scaling.") or "'cuda'" in combo


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
    assert {"loop.Loop.time_train", "loop.LoopMemory.peakmem_train", "loop.LoopResults.track_final_loss",
            "environment.MatrixPins.track_pins_verified"} <= set(names)
    assert {"peak.Peak.track_gflops", "device.DeviceLoop.time_train", "device.DevicePerOp.time_h",
            "scaling.ScalingLoop.time_train", "scaling.ScalingMatmul.time_h"} <= set(names)
    assert benchmarks["loop.Loop.time_train"]["param_names"] == ["backend", "variant", "dtype", "threads"]
    missing = missing_numbers(res, benchmarks, expected_skip)
    assert not missing, f"benchmarks without a number: {sorted(set(missing))}"
    # and what is skipped here is skipped: the sweep (no TWOLAYER_BENCH_SLOW), cuda (no GPU)
    assert all(v is None or not math.isfinite(v)
               for v in res.get_result_value("scaling.ScalingLoop.time_train",
                                             benchmarks["scaling.ScalingLoop.time_train"]["params"]))
    assert res.get_result_value("environment.MatrixPins.track_pins_verified", []) == [2]


def test_environment_holds_the_matrix_versions(quick_run):
    """The pins stand inside the isolated environment (nothing replaced them)."""
    envs = [p for p in TEST_ENV_DIR.iterdir() if (p / "bin" / "python").exists()]
    versions = []
    for env in envs:
        out = subprocess.run([str(env / "bin" / "python"), "-c",
                              "import numpy, torch, twolayer; print(numpy.__version__, torch.__version__)"],
                             text=True, capture_output=True)
        versions.append(out.stdout.split())
    wanted = [TEST_MATRIX["numpy"][0], TEST_MATRIX["torch"][0]]
    assert any([n, t.split("+")[0]] == wanted for n, t in versions), versions


def test_counts_and_paired_ratios_are_recorded_with_their_units_and_spread(quick_run):
    """The host-proof measurements in a real run: instructions per call (a plain number, in every
    point) and paired ratios (asv computed their median and quartiles from the recorded pairs)."""
    from asv.results import iter_results_for_machine
    from benchmarks import callgrind, paired
    tmp, _ = quick_run
    benchmarks = json.loads((tmp / "results" / "benchmarks.json").read_text())
    (res,) = iter_results_for_machine(str(tmp / "results"), TEST_MACHINE)
    assert benchmarks["counts.Instructions.track_instructions"]["unit"] == "instructions"
    assert benchmarks["ratios.TorchOverNumpy.track_ratio"]["unit"] == "ratio"
    counts = res.get_result_value("counts.Instructions.track_instructions",
                                  benchmarks["counts.Instructions.track_instructions"]["params"])
    if callgrind.unavailable() is None:
        assert all(v > 1000 for v in counts), counts     # every op runs thousands of instructions
    name = "ratios.TorchOverNumpy.track_ratio"
    params = benchmarks[name]["params"]
    values, stats = res.get_result_value(name, params), res.get_result_stats(name, params)
    assert len(values) == math.prod(len(p) for p in params)
    for v, st in zip(values, stats):
        assert 0 < v and st["q_25"] <= v <= st["q_75"] and st["repeat"] == paired.PROCESSES * paired.PAIRS, (v, st)
