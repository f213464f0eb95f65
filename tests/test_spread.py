"""The run-to-run spread command: its arithmetic, a real (small) pair of runs, and bad input."""
import subprocess

import pytest

from conftest import TB, asv_env, clone_with_test_envs
from twolayer_tools.spread import spread_table

SPREAD = [TB, "spread"]


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


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    return clone_with_test_envs(tmp_path_factory, "spread")


def test_spread_runs_twice_and_prints_the_shares(clone, asv_home):
    # rounds=2 (of the suite's 6) through -a: this test checks the command, not the machine's spread
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
