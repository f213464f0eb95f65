"""The host-phase probe: windows of one op's timing, the slow spells, clear errors."""
import re
import subprocess

import pytest

from conftest import ROOT, TB

PHASES = [TB, "phases"]


def test_summary_counts_slow_windows_and_their_spells():
    from twolayer_tools.phases import summary
    lines = summary([1e-6, 1e-6, 2e-6, 2.1e-6, 1.1e-6, 3e-6])
    assert lines[0] == "windows: 6, fastest 1.00 µs, slowest 3.00 µs (3.00x)"
    assert lines[1] == "slow windows (> 1.25x the fastest): 3 of 6 (50 %), in 2 spell(s) of 2, 1 window(s)"


def test_probe_times_windows_in_one_process():
    proc = subprocess.run([*PHASES, "--backend", "numpy", "--op", "h_relu", "--threads", "1",
                           "--seconds", "1", "--window", "0.25"], cwd=ROOT, text=True, capture_output=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = re.findall(r"^\s+[\d.]+ s\s+([\d.]+) µs$", proc.stdout, re.M)
    assert len(rows) in (4, 5) and all(float(r) > 0 for r in rows), proc.stdout
    assert "numpy naive h_relu float64, 1 thread(s)" in proc.stdout
    assert "slow windows (> 1.25x the fastest): " in proc.stdout


@pytest.mark.parametrize("args, message", [
    (["--op", "nope"], "unknown op 'nope': expected one of h, h_relu"),
    (["--backend", "jax"], "unknown backend 'jax'"),
    (["--threads", "0"], "--threads must be at least 1, not 0"),
    (["--seconds", "1", "--window", "2"], "need 0 < --window <= --seconds"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    proc = subprocess.run([*PHASES, *args], cwd=ROOT, text=True, capture_output=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
