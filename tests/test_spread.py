"""The run-to-run spread command: its arithmetic, a real (small) pair of runs, and bad input."""
import subprocess

import pytest

from conftest import COMMITTED_MACHINE, TB, asv_env, clone_with_test_envs
from twolayer_tools.spread import sampling_check, sampling_sd, spread_table

SPREAD = [TB, "spread"]
COMMITTED = ["-m", COMMITTED_MACHINE]
"""The committed runs' machine: on a newcomer's host `spread` defaults to that host's own name."""


def test_spread_table_counts_within_5_and_10_percent():
    first = {("a",): 1.0, ("b",): 1.0, ("c",): 1.0, ("d",): 1.0}
    second = {("a",): 1.04, ("b",): 0.93, ("c",): 1.2, ("d",): 1.0, ("only_here",): 5.0}
    groups = {("a",): "threads=1", ("b",): "threads=1", ("c",): "threads=2"}
    lines, ratios = spread_table(first, second, worst=2, groups=groups)
    assert len(ratios) == 4
    assert lines[-2:] == ["threads=1: 2 sets, within 5 %  50.0%, within 10 % 100.0%",
                          "threads=2: 1 sets, within 5 %   0.0%, within 10 %   0.0%"]
    assert "medians within  5 %:  50.0%" in lines[1] and "medians within 10 %:  75.0%" in lines[2]
    assert lines[4].strip().startswith("x1.200  c")
    with pytest.raises(ValueError, match="no benchmark in common"):
        spread_table({("a",): 1.0}, {("b",): 1.0})


def test_sampling_check_tells_sampling_error_from_a_host_that_moved():
    stat = {"q_25": 0.9, "q_75": 1.1, "repeat": 16}
    assert sampling_sd(stat) == pytest.approx(1.253 * __import__("math").log(1.1 / 0.9) / 1.349 / 4)
    assert sampling_sd({"q_25": 0.9, "q_75": 1.1, "repeat": 3}) is None and sampling_sd(None) is None
    keys = [(f"p{i}",) for i in range(10)]
    groups = {k: "threads=1" for k in keys}
    first = {k: (1.0, stat) for k in keys}
    near = {k: (1.0 * (1.01 if i % 2 else 0.99), stat) for i, k in enumerate(keys)}
    moved = {k: (1.3, stat) for k in keys}
    [same] = sampling_check(first, near, groups)
    assert "sd of log(B/A) 1.0 % over 10 points" in same and same.endswith("differ by their sampling error")
    [far] = sampling_check(first, moved, groups)
    assert "moved between the runs" in far
    assert sampling_check(dict(list(first.items())[:5]), near, groups) == []   # too few points: no verdict


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    return clone_with_test_envs(tmp_path_factory, "spread")


def test_spread_runs_twice_and_prints_the_shares(clone, asv_home):
    # rounds=2 (of the suite's 4) through -a: this test checks the command, not the machine's spread
    proc = subprocess.run([*SPREAD, "--config", str(clone / "asv.conf.json"), "-b", r"^ops\.PerOp\.time_h_relu\b", "-a", "rounds=2"],
                          env=asv_env(asv_home), text=True, capture_output=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "run 1: $" in out and "run 2: $" in out
    assert "benchmark parameter sets compared: 16" in out      # 2 backends x 2 variants x 2 dtypes x 2 threads
    assert "medians within  5 %:" in out and "medians within 10 %:" in out and "worst 10:" in out
    assert "threads=1: 8 sets" in out and "threads=2: 8 sets" in out
    print(out)


@pytest.mark.parametrize("args, message", [
    (["no-such-rev"], "unknown revision 'no-such-rev'"),
    (["HEAD", "-E", "numpy=9.9"], "unknown environment 'numpy=9.9'"),
    (["HEAD", "-E", "jax=1"], "unknown environment 'jax=1'"),
    (["HEAD", "-b", "no_such_benchmark"], "no benchmark matches"),
])
def test_spread_bad_input_is_one_line_exit_2(clone, args, message):
    proc = subprocess.run([*SPREAD, "--config", str(clone / "asv.conf.json"), *args], text=True, capture_output=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr and "Traceback" not in proc.stderr


ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
SELECT = r"^(ops\.PerOp|loop\.Loop\.time_train)"


def test_spread_runs_compares_two_finished_runs_and_counts_ticks():
    """The committed runs of eaa8efb (results/ and repeats/run-b), compared without running asv."""
    proc = subprocess.run([*SPREAD, *COMMITTED, "--runs", "results", "repeats/run-b", "-c", "eaa8efb", "-b", SELECT],
                          cwd=ROOT, text=True, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "benchmark parameter sets compared: 960" in out       # 5 environments x 192
    assert "threads=1: 480 sets" in out and "threads=2: 480 sets" in out
    assert "tick medians in results (under 100 µs at 1 thread, above at all cores): 0" in out
    # 92784fd, before the tick was removed: the same count finds its tick medians
    proc = subprocess.run([*SPREAD, *COMMITTED, "--runs", "results", "results", "-c", "92784fd", "-b", SELECT],
                          cwd=ROOT, text=True, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    counts = [int(line.split(": ")[-1]) for line in proc.stdout.splitlines() if line.startswith("tick medians")]
    assert counts and counts[0] > 0 and counts[0] == counts[1], proc.stdout


def test_spread_runs_says_whether_paired_ratios_differ_by_sampling_or_by_the_host():
    """The committed paired-ratio runs of 6eef198: two back to back on a quiet host (run-q1, run-q2)
    differ by their sampling error; the evening's two (run-a, run-b2) by more (docs/noise.md)."""
    def verdict(a, b):
        proc = subprocess.run([*SPREAD, *COMMITTED, "--runs", a, b, "-c", "6eef198", "-b", r"^ratios\."],
                              cwd=ROOT, text=True, capture_output=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return next(line for line in proc.stdout.splitlines() if line.startswith("threads=1: run-to-run"))
    assert verdict("repeats/run-q1", "repeats/run-q2").endswith("differ by their sampling error")
    assert "moved between the runs" in verdict("repeats/run-a", "repeats/run-b2")


def test_spread_pair_summarises_environment_ratios_on_identical_code():
    proc = subprocess.run([*SPREAD, *COMMITTED, "--pair", "numpy1.26.4", "numpy2.4.6", "-c", "eaa8efb", "-b", SELECT],
                          cwd=ROOT, text=True, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "threads=1: 96 points, within 10 %" in proc.stdout      # 2 torch releases x 48 torch points
    assert "threads=2: 96 points" in proc.stdout


@pytest.mark.parametrize("args, message", [
    (["--runs", "results", "no-such-dir"], "no-such-dir is not an asv results folder"),
    (["--runs", "results", "repeats/run-b", "-c", "deadbee"], "unknown commit 'deadbee'"),
    (["--pair", "numpy9", "numpy2.4.6", "-c", "eaa8efb"], "'numpy9' is in no environment name"),
    (["--pair", "numpy1.26.4", "numpy2.4.6", "-c", "eaa8efb", "--backend", "cupy"], "no cupy point"),
    (["--pair", "numpy2.4.6", "numpy2.4.6", "-c", "eaa8efb"], "two different"),
    (["--pair", "numpy1.26.4", "numpy2.4.6"], "choose one with -c"),
    (["--pair", "numpy1.26.4", "numpy2.4.6", "--results-dir", "nowhere"], "nowhere is not an asv results folder"),
])
def test_spread_finished_runs_bad_input_is_one_line_exit_2(args, message):
    proc = subprocess.run([*SPREAD, *COMMITTED, *args], cwd=ROOT, text=True, capture_output=True, timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1 and message in proc.stderr and "Traceback" not in proc.stderr


def test_spread_finished_runs_select_by_parameters_and_refuse_a_bad_pattern():
    """-b means what it means everywhere: matched against names and names with parameters."""
    proc = subprocess.run([*SPREAD, *COMMITTED, "--runs", "results", "repeats/run-b", "-c", "eaa8efb",
                           "-b", r"^ops\.PerOp\.time_h\('numpy', 'naive', 'float64', 1\)"],
                          cwd=ROOT, text=True, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "benchmark parameter sets compared: 5" in proc.stdout     # one point in 5 environments
    proc = subprocess.run([*SPREAD, *COMMITTED, "--runs", "results", "repeats/run-b", "-b", "("], cwd=ROOT, text=True,
                          capture_output=True, timeout=300)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "invalid benchmark pattern" in proc.stderr
