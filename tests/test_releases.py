"""The release sweep (``twolayer-bench releases``) and the timeline page built from its results."""
import argparse
import itertools
import json
import re
from pathlib import Path

import pytest

from conftest import ROOT, run_tool, write_test_conf
from twolayer_tools import releases, timeline
from twolayer_tools.results import load_config, suite_benchmarks

MACHINE = "kvm-epyc-2core"
"""The machine whose sweep is committed in releases/."""


def _minor(version):
    return tuple(int(x) for x in version.split(".")[:2])


def test_the_plan_holds_the_last_patch_of_every_minor_line():
    numpy, torch = list(releases.NUMPY_RELEASES), list(releases.TORCH_RELEASES)
    assert [_minor(v) for v in numpy] == [(1, m) for m in range(23, 27)] + [(2, m) for m in range(0, 5)]
    assert [_minor(v) for v in torch] == [(2, m) for m in range(0, 16)]
    for dates in releases.LINES.values():
        assert list(dates.values()) == sorted(dates.values()), "release dates must rise with the version"
    planned = [(line, r) for *_, what, _ in releases.plan() for line, r in what]
    assert sorted(planned) == sorted([("numpy", r) for r in numpy] + [("torch", r) for r in torch])
    shared = [(n, t, b) for n, t, _, b in releases.plan() if len(b) == 2]
    assert shared == [(releases.TORCH_LINE_NUMPYS[0], releases.NUMPY_LINE_TORCH, ["numpy", "torch"])]


def test_the_sweep_selects_the_naive_lines_of_the_varying_backend():
    suite = suite_benchmarks(load_config())
    for backend in ("numpy", "torch"):
        patterns = [re.compile(p) for p in releases.sweep_bench([backend])]
        chosen = [f"{name}({', '.join(combo)})" for name, entry in suite.items()
                  for combo in itertools.product(*(entry.get("params") or [[]]))
                  if any(p.search(f"{name}({', '.join(combo)})") for p in patterns)]
        assert chosen and all(f"'{backend}', 'naive'" in c for c in chosen), chosen[:5]
        ops = {c.split("(")[0] for c in chosen}
        from twolayer.problem import OP_NAMES
        counts = "counts.Instructions.track_instructions"
        assert ops == {f"ops.PerOp.time_{op}" for op in OP_NAMES} | {"loop.Loop.time_train", counts}
        timed = [c for c in chosen if not c.startswith(counts)]
        assert len(timed) == (len(ops) - 1) * 2 * 2      # both dtypes, both thread counts
        assert len(chosen) - len(timed) == (len(OP_NAMES) + 1) * 2   # every op and the step, both dtypes
        two = [re.compile(p) for p in releases.sweep_bench([backend], threads=2)]
        assert [c for c in chosen if any(p.search(c) for p in two)] == [c for c in chosen if c.endswith(", 2)")]


def _args(config, **kw):
    base = dict(config=str(config), machine="sweep-test", commit="HEAD", list=False, only=[], retry=False,
                fresh=False, threads=None, results_dir=releases.RESULTS_DIR)
    base.update(kw)
    return argparse.Namespace(**base)


def test_an_interrupted_sweep_continues_and_a_pair_that_cannot_work_falls_back(tmp_path, monkeypatch, capsys):
    """The control flow with the measuring step replaced (the real one is the committed sweep):
    an interruption keeps what was done, the rerun measures only what is missing, and a torch
    release whose first NumPy fails is measured beside the next one, with the reason kept."""
    config = write_test_conf(tmp_path)
    calls, interrupt_at = [], [2]

    def fake_measure(conf, machine, commit, numpy, torch, backends, threads=None, results_dir=None):
        calls.append((numpy, torch, tuple(backends)))
        if len(calls) == interrupt_at[0]:
            raise KeyboardInterrupt
        if (numpy, torch) == ("2.4.6", "2.0.1"):
            return "excluded", "does not work together: RuntimeError: Numpy is not available"
        return "measured", {"build_s": 1, "run_s": 2, "total_s": 3}

    monkeypatch.setattr(releases, "measure_pair", fake_measure)
    monkeypatch.setattr(releases, "check_rev", lambda conf, rev: None)
    only = ["numpy=1.23.5", "numpy=1.24.4", "torch=2.0.1"]
    with pytest.raises(KeyboardInterrupt):
        releases.run(_args(config, only=only))
    status = releases.load_status(tmp_path / "releases", "sweep-test")
    assert list(status) == ["numpy 1.23.5"] and status["numpy 1.23.5"]["outcome"] == "measured"

    calls.clear()
    interrupt_at[0] = 0
    assert releases.run(_args(config, only=only)) == 0
    assert calls == [("1.24.4", "2.13.0", ("numpy",)), ("2.4.6", "2.0.1", ("torch",)),
                     ("1.26.4", "2.0.1", ("torch",))]
    status = releases.load_status(tmp_path / "releases", "sweep-test")
    torch = status["torch 2.0.1"]
    assert torch["outcome"] == "measured" and torch["numpy"] == "1.26.4"
    assert torch["env_name"] == releases.env_name("1.26.4", "2.0.1")
    assert torch["tried"] == ["numpy 2.4.6: does not work together: RuntimeError: Numpy is not available"]

    calls.clear()
    assert releases.run(_args(config, only=only)) == 0 and calls == []
    assert releases.run(_args(config, only=["numpy=1.23.5"], fresh=True)) == 0
    assert calls == [("1.23.5", "2.13.0", ("numpy",))]
    capsys.readouterr()
    assert releases.run(_args(config, only=only, list=True)) == 0
    listed = capsys.readouterr().out
    assert re.search(r"torch 2\.0\.1 +numpy 1\.26\.4 \+ torch 2\.0\.1 +measured", listed), listed


def test_bad_input_to_the_sweep_is_one_line_and_exit_2(tmp_path):
    for args, fragment in ((["releases", "--only", "torch=9.9"], "unknown release 'torch=9.9'"),
                           (["releases", "--machine", "../x"], "bad machine name"),
                           (["timeline", "--machine", "nowhere"], "no release sweep results for machine")):
        proc = run_tool(args)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and fragment in lines[0], (args, proc.stderr)


# -- the committed sweep ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sweep():
    status = releases.load_status(ROOT / releases.RESULTS_DIR, MACHINE)
    if not status:
        pytest.fail(f"no committed release sweep in {releases.RESULTS_DIR}/{MACHINE}/ (run `make releases`)")
    return status, timeline.build(timeline.releases_conf(), MACHINE)


def test_the_committed_sweep_holds_every_release_or_says_why_not(sweep):
    status, data = sweep
    for line, dates in releases.LINES.items():
        for release in dates:
            entry = status.get(f"{line} {release}")
            assert entry, f"{line} {release} is neither measured nor excluded"
            if entry["outcome"] != "measured":
                assert entry.get("detail"), f"{line} {release}: {entry['outcome']} without a reason"
    measured = {line: [r["release"] for r in rels] for line, rels in data["lines"].items()}
    wanted = {line: [r for r in dates if status[f"{line} {r}"]["outcome"] == "measured"]
              for line, dates in releases.LINES.items()}
    assert measured == wanted


def test_every_measured_release_has_every_op_dtype_and_thread_count(sweep):
    _, data = sweep
    keys = {f"{op['name']}|{d}|{t}" for op in data["ops"] for d in ("float64", "float32") for t in (1, 2)}
    for line, rels in data["lines"].items():
        for r in rels:
            assert set(r["points"]) == keys, (line, r["release"], sorted(keys - set(r["points"]))[:5])
            assert all(p["median"] > 0 for p in r["points"].values())
            assert r["blas"] != "?" and r["openmp"], (line, r["release"])


def test_what_changed_lists_real_steps_between_consecutive_releases_largest_first(sweep):
    _, data = sweep
    steps = data["steps"]
    assert steps, "a sweep over 25 releases with no real step would be a broken comparison"
    assert [not s["claim"] for s in steps] == sorted(not s["claim"] for s in steps), "claims first"
    for group in (True, False):
        sizes = [max(s["ratio"], 1 / s["ratio"]) for s in steps if s["claim"] == group]
        assert sizes == sorted(sizes, reverse=True)
    assert any(s["claim"] for s in steps) and any(not s["claim"] for s in steps)
    for s in steps:
        rels = [r["release"] for r in data["lines"][s["line"]]]
        assert rels.index(s["to"]) == rels.index(s["from"]) + 1, s
        assert s["after"] / s["before"] == pytest.approx(s["ratio"])
        assert max(s["ratio"], 1 / s["ratio"]) >= timeline.STEP_FACTOR
        assert s["slower"] == (s["ratio"] > 1)
        before = data["lines"][s["line"]][rels.index(s["from"])]["points"][f"{s['op']}|{s['dtype']}|{s['threads']}"]
        after = data["lines"][s["line"]][rels.index(s["to"])]["points"][f"{s['op']}|{s['dtype']}|{s['threads']}"]
        assert s["unstable"] == (before["unstable"] or after["unstable"])
        repeated = before["repeat"] is not None and after["repeat"] is not None
        if s["claim"]:      # a claim: both medians stable, and one run is enough at its thread count or it was repeated
            assert not s["unstable"] and (s["threads"] in timeline.SINGLE_RUN_THREADS or repeated), s
        else:
            assert s["why_not"], s


def test_the_published_timeline_is_the_one_the_committed_sweep_gives(tmp_path):
    page = (ROOT / "html" / "timeline" / "index.html")
    assert page.is_file(), "html/timeline/ is missing: run `make publish`"
    written = timeline.write(html_dir=tmp_path)
    assert written.read_text() == page.read_text(), "html/timeline/ is out of date: run `make publish`"
    index = (ROOT / "html" / "index.html").read_text()
    assert 'id="nav-li-timeline"' in index and 'href="timeline/index.html"' in index
    data = json.loads(re.search(r"var TIMELINE = (\{.*?\});</script>", page.read_text(), re.S).group(1))
    assert set(data["lines"]) == {"numpy", "torch"}
