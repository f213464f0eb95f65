"""The regression gate, for real: a temporary clone, a commit that slows one op, a comment-only commit."""
import re
import subprocess

import pytest

from conftest import ASV, TB, asv_env, clone_with_test_envs, needs_valgrind

GATE = [TB, "gate"]
# The op the slow commit touches, numpy, counted (instructions per call, 1 thread): naive (which
# the commit makes copy its input twenty times) and optimised (which it does not touch). Counts,
# not times: a gate test must not depend on the host's speed (two processes of one commit timed
# the optimised float32 h_relu 4.15 and 8.55 µs here, and a comment-only change failed the gate
# at --factor 2); in one session two runs of one commit count the same (docs/methods.md).
BENCH = r"^counts\.Instructions\.track_instructions\('numpy', '(naive|optimised)', 'float(64|32)', 'h_relu'\)"
FACTOR = "1.05"
SLOW = "('numpy', 'naive', 'float"


def git(*args, cwd):
    subprocess.run(["git", "-c", "user.name=gate-test", "-c", "user.email=gate@test.invalid", *args],
                   cwd=cwd, check=True, capture_output=True)


def gate(clone, home, *args, summary=None):
    """The gate in the clone; with `summary`, as in a GitHub job whose $GITHUB_STEP_SUMMARY is that file."""
    env = dict(asv_env(home), **({"GITHUB_STEP_SUMMARY": str(summary)} if summary else {}))
    return subprocess.run([*GATE, "--config", str(clone / "asv.conf.json"), "--machine", "gate-test", *args], cwd=clone,
                          env=env, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=1200)


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    return clone_with_test_envs(tmp_path_factory, "gate")


def commit_edit(clone, old, new, message):
    net = clone / "twolayer_src" / "twolayer" / "backends" / "numpy_net.py"
    text = net.read_text()
    assert old in text
    net.write_text(text.replace(old, new, 1))
    git("commit", "-qam", message, cwd=clone)


@needs_valgrind
def test_gate_catches_an_extra_copy(clone, asv_home, tmp_path):
    commit_edit(clone, "s.h_relu = np.maximum(s.h, 0)",
                "s.h_relu = np.maximum(" + "s.h" + ".copy()" * 20 + ", 0)", "slow: extra copies in h_relu")
    summary = tmp_path / "step-summary.md"
    proc = gate(clone, asv_home, "HEAD~1", "HEAD", "-b", BENCH, "--factor", FACTOR, summary=summary)
    assert proc.returncode == 1, proc.stdout[-5000:]
    assert "Performance degradation" in proc.stdout or "PERFORMANCE DECREASED" in proc.stdout, proc.stdout[-5000:]
    assert "gate: FAIL" in proc.stdout and SLOW in proc.stdout, proc.stdout[-5000:]
    text = summary.read_text()
    assert text.startswith("### Regression gate: FAIL") and "no step summary" not in proc.stdout, text
    rows = [line for line in text.splitlines() if line.startswith("| + |")]
    assert len(rows) == 2 and all(SLOW in row and "'h_relu')" in row for row in rows), text
    print(proc.stdout[-3000:])


@needs_valgrind
def test_gate_passes_a_comment_only_change(clone, asv_home, tmp_path):
    commit_edit(clone, "# Forward pass: compute predicted y",
                "# Forward pass: compute predicted y (a comment-only change)", "comment only")
    summary = tmp_path / "step-summary.md"
    proc = gate(clone, asv_home, "HEAD~1", "HEAD", "-b", BENCH, "--factor", FACTOR, summary=summary)
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert "gate: PASS" in proc.stdout
    assert summary.read_text().startswith("### Regression gate: PASS")
    print(proc.stdout[-3000:])


@pytest.mark.parametrize("args, message", [
    (["no-such-rev"], "unknown revision 'no-such-rev'"),
    (["HEAD", "--factor", "0.9"], "must be a finite number above 1"),
    (["HEAD", "-E", "numpy=9.9"], "unknown environment 'numpy=9.9'"),
    (["HEAD", "-E", "jax=0.4"], "unknown environment 'jax=0.4'"),
    (["HEAD", "-b", "no_such_benchmark"], "no benchmark matches"),
])
def test_gate_bad_input_is_one_line_exit_2(clone, asv_home, args, message):
    proc = subprocess.run([*GATE, "--config", str(clone / "asv.conf.json"), *args], env=asv_env(asv_home), text=True,
                          capture_output=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


@needs_valgrind
def test_the_regressions_page_lists_the_slow_commit_and_nothing_else(clone, asv_home):
    """asv publish over the gate's results (base, the slow commit, the comment-only commit) with the
    project's Regressions settings: the counts of the naive h_relu are listed, at the slow commit;
    the untouched optimised variant and the comment-only commit are not. (A single op's wall clock
    is not searched at all: test_regression_config.py.)"""
    import json
    base, slow = (subprocess.run(["git", "rev-parse", rev], cwd=clone, capture_output=True, text=True,
                                 check=True).stdout.strip() for rev in ("HEAD~2", "HEAD~1"))
    raw = json.loads((clone / ".asv" / "gate.conf.json").read_text())
    # The project's first commits have no results here; asv would then start after the newest
    # commit with results (it walks `rev-list` newest first): here every search starts after the base.
    firsts = {k: None if v is None else base for k, v in raw["regressions_first_commits"].items()}
    conf = clone / ".asv" / "gate-regressions.conf.json"
    conf.write_text(json.dumps(dict(raw, regressions_first_commits=firsts)))
    proc = subprocess.run([ASV, "--config", str(conf), "publish"], cwd=clone,
                          env=asv_env(asv_home), text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.returncode == 0, proc.stdout[-3000:]
    html = clone / ".asv" / "gate-html"
    listed = json.loads((html / "regressions.json").read_text())["regressions"]
    to_hash = json.loads((html / "index.json").read_text())["revision_to_hash"]
    assert sorted(entry[0] for entry in listed) == sorted(
        f"counts.Instructions.track_instructions('numpy', 'naive', 'float{bits}', 'h_relu')" for bits in (64, 32))
    for entry in listed:             # every listed step is the slow commit (jump: rev_a, rev_b, before, after)
        jumps = entry[-1]
        assert jumps and all(to_hash[str(j[1])] == slow for j in jumps), entry
