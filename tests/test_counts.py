"""Instruction counts (benchmarks/callgrind.py, counts.py): the dump parser, the split by library,
repeatability across valgrind processes, and a commit that gives one op ~10 % more work listed on
the Regressions page through its counts and nothing else."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import ASV, asv_env, clone_with_test_envs, needs_valgrind, run_asv, write_test_conf

from benchmarks import callgrind

DUMP = """# callgrind format
version: 1
positions: line
events: Ir
desc: Trigger: Client Request: numpy|naive|float64|y_pred
summary: 1000

ob=/env/lib/python3.11/site-packages/numpy.libs/libscipy_openblas64_-32a4b2a6.so
fl=???
fn=dgemm_kernel_HASWELL
0 600
cob=/usr/lib/x86_64-linux-gnu/libc.so.6
cfn=__memset_avx2_unaligned_erms
calls=1 0
0 100

ob=/usr/lib/x86_64-linux-gnu/libc.so.6
fn=__memset_avx2_unaligned_erms
0 100
fn=_int_free
0 50

ob=/env/lib/python3.11/site-packages/torch/lib/libtorch_cpu.so
fn=mkl_blas_avx2_dgemm_kernel_nocopy_NN_b0
0 120
fn=at::native::addmm_impl_cpu_
0 30

ob=/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0
fn=_PyEval_EvalFrameDefault
0 80
ob=/env/lib/python3.11/site-packages/numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so
fn=PyArray_MatrixProduct2
+2 20

totals: 1000
"""


def test_a_dump_splits_by_library_and_adds_up(tmp_path):
    path = tmp_path / "callgrind.out.1"
    path.write_text(DUMP)
    label, total, parts = callgrind.parse_dump(str(path))
    assert label == "numpy|naive|float64|y_pred" and total == 1000
    # the line after calls= is the callee's inclusive cost: not the caller's self cost
    assert parts == {"python": 80, "numpy": 20, "torch": 30, "blas": 720, "openmp": 0, "allocator": 50,
                     "libc": 100, "other": 0}
    assert sum(parts.values()) == total


@pytest.mark.parametrize("obj, fn, part", [
    ("/x/torch/lib/libtorch_cpu.so", "mkl_blas_avx2_sgemm_kernel", "blas"),
    ("/x/torch/lib/libtorch_cpu.so", "at::native::clamp_min", "torch"),
    ("/x/torch/lib/libgomp.so.1", "gomp_team_barrier_wait_end", "openmp"),
    ("/x/numpy.libs/libscipy_openblas64_-1.so", "exec_blas", "blas"),
    ("/x/mkl/lib/libmkl_core.so.2", "anything", "blas"),
    ("/usr/lib/x86_64-linux-gnu/libc.so.6", "malloc", "allocator"),
    ("/usr/lib/x86_64-linux-gnu/libc.so.6", "__memcpy_avx_unaligned_erms", "libc"),
    ("/root/.pyenv/versions/3.11.7/bin/python3.11", "main", "python"),
    ("???", "0x0000000000401000", "other"),
])
def test_each_function_has_one_part(obj, fn, part):
    assert callgrind.part_of(obj, fn) == part


@needs_valgrind
def test_two_processes_count_the_same_within_half_a_percent(monkeypatch, tmp_path):
    """Counts do not move with the host or the caller: two valgrind processes, the same points, the
    second started from another folder with other variables set (as make and asv set them) and
    with more files beside the suite in the checkout (the import system lists those folders; that
    once moved 31 of 96 counts), 0.5 % at most apart (small and large ops, both backends); the
    suite's folder is left as it was."""
    points = [(b, "naive", "float64", op) for b in ("numpy", "torch") for op in ("y_pred", "grad_h", "update_w2")]
    suite = Path(callgrind.__file__).resolve().parent
    before = sorted(p.name for p in suite.iterdir())
    first = callgrind.count(points)
    monkeypatch.chdir(tmp_path)
    for i in range(40):
        monkeypatch.setenv(f"TWOLAYER_UNRELATED_{i}", "x" * (i * 10))
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    probe = suite.parent / f".twolayer-count-probe-{os.getpid()}"
    probe.write_text("beside the suite\n")
    try:
        second = callgrind.count(points)
    finally:
        probe.unlink()
    assert set(first) == set(points)
    worst = max(abs(first[p]["instructions"] / second[p]["instructions"] - 1) for p in points)
    print(f"worst difference between two processes: {worst:.4%}")
    assert worst < 0.005, {p: (first[p]["instructions"], second[p]["instructions"]) for p in points}
    assert first == second       # in fact identical, parts included (issue 17's target is 0.5 %)
    assert sorted(p.name for p in suite.iterdir()) == before
    for p in points:   # the split adds up to the total (within the baseline's rounding)
        assert sum(first[p]["parts"].values()) == pytest.approx(first[p]["instructions"], rel=0.01)
        assert first[p]["parts"]["blas" if p[3] == "y_pred" else "python"] > 0


def git(*args, cwd):
    subprocess.run(["git", "-c", "user.name=counts-test", "-c", "user.email=counts@test.invalid", *args],
                   cwd=cwd, check=True, capture_output=True)


@needs_valgrind
def test_ten_percent_more_work_in_one_op_is_listed_through_its_counts_and_nothing_else(tmp_path_factory, asv_home):
    """A commit that makes numpy's naive `h` also multiply 6 of x's 64 rows (~9 % more of its
    work): asv publish with the project's regressions_thresholds lists counts of `h` (and of the
    step that contains it) for numpy naive, in both dtypes, at that commit, and no other point."""
    clone = clone_with_test_envs(tmp_path_factory, "counts")
    net = clone / "twolayer_src" / "twolayer" / "backends" / "numpy_net.py"
    text = net.read_text()
    old = "        s.h = s.x.dot(s.w1)\n"
    assert old in text
    net.write_text(text.replace(old, old + "        s.x[:6].dot(s.w1)  # injected: ~9 % more work\n", 1))
    git("commit", "-qam", "injected: more work in numpy's h", cwd=clone)
    tmp = tmp_path_factory.mktemp("counts-run")
    conf = write_test_conf(tmp, repo=str(clone), benchmark_dir=str(clone / "benchmarks"))
    raw = json.loads(conf.read_text())
    base = subprocess.run(["git", "rev-parse", "HEAD~1"], cwd=clone, capture_output=True, text=True).stdout.strip()
    raw["regressions_first_commits"] = {".*": base}
    conf.write_text(json.dumps(raw))
    run_asv(["--config", str(conf), "run", "--show-stderr", "--machine", "twolayer-test",
             "-b", r"^counts\.Instructions\.", "HEAD~2..HEAD"], asv_home, cwd=clone, timeout=1800)
    proc = subprocess.run([ASV, "--config", str(conf), "publish"], cwd=clone, env=asv_env(asv_home), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.returncode == 0, proc.stdout[-3000:]
    listed = json.loads((tmp / "html" / "regressions.json").read_text())["regressions"]
    names = sorted(entry[0] for entry in listed)
    expected = sorted(f"counts.Instructions.track_instructions('numpy', 'naive', '{d}', '{op}')"
                      for d in ("float64", "float32") for op in ("h", "step"))
    assert names == expected, names
    slow = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True).stdout.strip()
    to_hash = json.loads((tmp / "html" / "index.json").read_text())["revision_to_hash"]
    for entry in listed:
        assert all(to_hash[str(j[1])] == slow for j in entry[-1]), entry
