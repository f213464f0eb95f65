"""The release sweep (``twolayer-bench releases``) and the timeline page built from its results."""
import argparse
import itertools
import json
import re
from pathlib import Path

import pytest

from conftest import ROOT, run_tool, write_test_conf
from twolayer_tools import release_lines, releases, timeline, timeline_model
from twolayer_tools.results import load_config, suite_benchmarks

MACHINE = "kvm-epyc-2core"
"""The machine whose sweep is committed in releases/."""


def _minor(version):
    return tuple(int(x) for x in version.split(".")[:2])


def test_the_plan_holds_the_last_patch_of_every_minor_line():
    numpy, torch = list(release_lines.NUMPY_RELEASES), list(release_lines.TORCH_RELEASES)
    assert [_minor(v) for v in numpy] == [(1, m) for m in range(23, 27)] + [(2, m) for m in range(0, 5)]
    assert [_minor(v) for v in torch] == [(2, m) for m in range(0, 16)]
    for dates in release_lines.LINES.values():
        assert list(dates.values()) == sorted(dates.values()), "release dates must rise with the version"
    planned = [(line, r) for *_, what, _ in releases.plan() for line, r in what]
    assert sorted(planned) == sorted([("numpy", r) for r in numpy] + [("torch", r) for r in torch])
    shared = [(n, t, b) for n, t, _, b in releases.plan() if len(b) == 2]
    assert shared == [(release_lines.TORCH_LINE_NUMPYS[0], release_lines.NUMPY_LINE_TORCH, ["numpy", "torch"])]


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
    status = release_lines.load_status(ROOT / release_lines.RESULTS_DIR, MACHINE)
    if not status:
        pytest.fail(f"no committed release sweep in {release_lines.RESULTS_DIR}/{MACHINE}/ (run `make releases`)")
    return status, timeline_model.build(timeline_model.releases_conf(), MACHINE)


def test_the_committed_sweep_holds_every_release_or_says_why_not(sweep):
    status, data = sweep
    for line, dates in release_lines.LINES.items():
        for release in dates:
            entry = status.get(f"{line} {release}")
            assert entry, f"{line} {release} is neither measured nor excluded"
            if entry["outcome"] != "measured":
                assert entry.get("detail"), f"{line} {release}: {entry['outcome']} without a reason"
    measured = {line: [r["release"] for r in rels] for line, rels in data["lines"].items()}
    wanted = {line: [r for r in dates if status[f"{line} {r}"]["outcome"] == "measured"]
              for line, dates in release_lines.LINES.items()}
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
        assert max(s["ratio"], 1 / s["ratio"]) >= timeline_model.STEP_FACTOR
        assert s["slower"] == (s["ratio"] > 1)
        before = data["lines"][s["line"]][rels.index(s["from"])]["points"][f"{s['op']}|{s['dtype']}|{s['threads']}"]
        after = data["lines"][s["line"]][rels.index(s["to"])]["points"][f"{s['op']}|{s['dtype']}|{s['threads']}"]
        assert s["unstable"] == (before["unstable"] or after["unstable"])
        repeated = before["repeat"] is not None and after["repeat"] is not None
        if s["claim"]:      # a claim: both medians stable, and one run is enough at its thread count or it was repeated
            assert not s["unstable"] and (s["threads"] in timeline_model.SINGLE_RUN_THREADS or repeated), s
        else:
            assert s["why_not"], s


def _page_data(text):
    return json.loads(re.search(r'<script type="application/json" id="timeline-data">(.*?)</script>',
                                text, re.S).group(1))


def test_the_published_timeline_is_the_one_the_committed_sweep_gives(tmp_path):
    folder = ROOT / "html" / "timeline"
    assert (folder / "index.html").is_file(), "html/timeline/ is missing: run `make publish`"
    written = timeline.write(html_dir=tmp_path)
    for name in ("index.html", timeline.SCRIPT):
        assert (written.parent / name).read_text() == (folder / name).read_text(), \
            f"html/timeline/{name} is out of date: run `make publish`"
    assert sorted(p.name for p in written.parent.iterdir()) == sorted(["index.html", timeline.SCRIPT])
    index = (ROOT / "html" / "index.html").read_text()
    assert 'id="nav-li-timeline"' in index and 'href="timeline/index.html"' in index
    page = (folder / "index.html").read_text()
    data = _page_data(page)
    assert set(data["lines"]) == {"numpy", "torch"}
    assert "function fmt" not in (folder / timeline.SCRIPT).read_text(), "times come formatted from Python"
    assert "<script>" not in page, "the page's script is static/timeline.js, not inline"


def test_the_page_states_the_commit_of_every_point(sweep):
    """Per thread count, each commit the points come from and how many; each point names its own."""
    _, data = sweep
    page = timeline.render(data)
    stated = re.search(r'<ul id="commit-list">(.*?)</ul>', page, re.S).group(1)
    for threads in (1, 2):
        used = {}
        for rels in data["lines"].values():
            for r in rels:
                for key, p in r["points"].items():
                    if key.endswith(f"|{threads}"):
                        used[p["commit"]] = used.get(p["commit"], 0) + 1
        assert used
        label = "1 thread" if threads == 1 else f"{threads} threads"
        line = re.search(rf"<li>{label}: (.*?)</li>", stated).group(1)
        assert line == ", ".join(f"{c[:8]} ({n} points)" for c, n in sorted(used.items(), key=lambda x: -x[1]))
    payload = _page_data(page)
    assert all(len(p["commit"]) == 40 for rels in payload["lines"].values() for r in rels
               for p in r["points"].values())


def test_the_axis_is_logarithmic_and_spans_the_stable_points(sweep):
    """What the page's plot gets: a log axis per selection whose range holds every stable point;
    only an unstable point is ever drawn at the edge (marked), and no claim has an unstable side."""
    _, data = sweep
    for key, axis in data["axes"].items():
        points = [r["points"][key] for rels in data["lines"].values() for r in rels if key in r["points"]]
        assert 0 < axis["min"] < axis["max"]
        values = [v for v, _ in axis["ticks"]]
        assert len(values) >= 2 and all(axis["min"] <= v <= axis["max"] for v in values), (key, axis)
        assert [label for _, label in axis["ticks"]] == [timeline_model.fmt_time(v) for v in values]
        for p in points:
            if not p["unstable"]:
                assert axis["min"] <= p["median"] <= axis["max"] and not p["clipped"] and p["y"] == p["median"]
            elif p["clipped"]:
                assert p["y"] == (axis["max"] if p["clipped"] == "above" else axis["min"])
                assert (p["median"] > axis["max"]) == (p["clipped"] == "above")
    page = timeline.render(data)
    changed = re.search(r'<ol id="changed">(.*?)</ol>', page, re.S).group(1)
    assert "class=\"unstable\"" not in changed and "not claimed" not in changed


def test_an_unstable_outlier_is_clipped_and_a_near_one_widens_the_axis():
    def point(median, unstable):
        return {"median": median, "unstable": unstable}
    k = "h|float64|2"
    lines = {"numpy": [{"points": {k: point(10e-6, False)}}, {"points": {k: point(12e-6, False)}}],
             "torch": [{"points": {k: point(30e-6, True)}}, {"points": {k: point(3.2e-3, True)}},
                       {"points": {k: point(1e-6, True)}}]}
    axis = timeline_model.axes(lines)[k]
    near, tick, low = (lines["torch"][i]["points"][k] for i in range(3))
    assert axis["min"] == pytest.approx(10e-6 / timeline_model.AXIS_PAD)
    assert axis["max"] == pytest.approx(30e-6 * timeline_model.AXIS_PAD)
    assert near["clipped"] == "" and near["y"] == 30e-6
    assert tick["clipped"] == "above" and tick["y"] == axis["max"]
    assert low["clipped"] == "below" and low["y"] == axis["min"]
    assert [label for _, label in axis["ticks"]] == ["9 µs", "10 µs", "20 µs", "30 µs"]   # 1..9 per decade: 1-2-5 gives two


def test_count_steps_list_changes_of_work_past_the_threshold_at_one_commit():
    """Instructions per call between consecutive releases: a change past COUNT_STEP at one commit is
    listed (largest first), a smaller one is not, nor one whose sides were counted at two commits."""
    def rel(release, **counts):
        return {"release": release, "counts": {k.replace("__", "|"): {"count": c, "commit": commit}
                                               for k, (c, commit) in counts.items()}}
    a, b = "a" * 40, "b" * 40
    lines = {"numpy": [rel("1.0", h__float64=(100_000, a), loss__float64=(10_000, a), step__float64=(1e6, a)),
                       rel("1.1", h__float64=(150_000, a), loss__float64=(10_100, a), step__float64=(2e6, b))],
             "torch": [rel("2.0", y_pred__float32=(40_000, a)), rel("2.1", y_pred__float32=(20_000, a))]}
    steps = timeline_model.count_steps(lines)
    assert [(s["line"], s["op"], s["dtype"]) for s in steps] == [("torch", "y_pred", "float32"),
                                                               ("numpy", "h", "float64")]
    assert steps[0]["ratio"] == 0.5 and steps[1]["ratio"] == 1.5
    assert "1.50× more" in timeline.count_step_text(steps[1]) and "2.00× fewer" in timeline.count_step_text(steps[0])


def test_the_page_lists_the_counted_steps_or_says_there_are_none(sweep):
    _, sweep = sweep
    page = timeline.render(sweep)
    counted = any(r["counts"] for rels in sweep["lines"].values() for r in rels)
    assert ("<ol id=\"counted\">" in page) == counted
    assert counted or "No instruction counts in this sweep" in page
    for s in sweep["count_steps"][:40]:
        assert timeline.count_step_text(s) in page.replace("&gt;", ">"), s


# -- a re-sweep: two commits in one environment ------------------------------------------------------

NEW = "6eef1980" + "0" * 32
ENVS = {"numpy 1.23.5": "virtualenv-py3.11-numpy1.23.5-threadpoolctl3.8.0-torch2.13.0",
        "numpy 1.24.4": "virtualenv-py3.11-numpy1.24.4-threadpoolctl3.8.0-torch2.13.0"}


def _resweep(tmp_path, partial=()):
    """A copy of two releases of the committed sweep, with a newer commit's results (every time
    doubled) for numpy 1.23.5 beside the old ones, less the benchmarks in `partial`; numpy 1.24.4
    only at the old commit."""
    import shutil
    config = write_test_conf(tmp_path)
    src, dest = ROOT / "releases" / MACHINE, tmp_path / "releases" / MACHINE
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "releases" / "benchmarks.json", tmp_path / "releases")
    shutil.copy(src / "machine.json", dest)
    status = json.loads((src / release_lines.STATUS_FILE).read_text())
    (dest / release_lines.STATUS_FILE).write_text(json.dumps({k: status[k] for k in ENVS}))
    for env in ENVS.values():
        (old,) = src.glob(f"*-{env}.json")
        shutil.copy(old, dest)
    (old,) = src.glob(f"*-{ENVS['numpy 1.23.5']}.json")
    raw = json.loads(old.read_text())
    cols = raw["result_columns"]
    day = 86_400_000
    raw.update(commit_hash=NEW, date=raw["date"] + day)
    for name in list(raw["results"]):
        if name in partial:
            del raw["results"][name]
            continue
        row = raw["results"][name]
        for col in ("result", "stats_ci_99_a", "stats_ci_99_b", "stats_q_25", "stats_q_75"):
            i = cols.index(col)
            if i < len(row) and row[i] is not None:     # asv drops a row's empty trailing columns
                row[i] = [None if v is None else 2 * v for v in row[i]]
        row[cols.index("started_at")] += day
    (dest / f"{NEW[:8]}-{ENVS['numpy 1.23.5']}.json").write_text(json.dumps(raw))
    return config, old


def test_each_point_takes_the_newest_commit_that_measured_it(tmp_path):
    config, _ = _resweep(tmp_path, partial=("loop.Loop.time_train",))
    rconf = timeline_model.releases_conf(config)
    old = timeline_model.build(timeline_model.releases_conf(), MACHINE)
    data = timeline_model.build(rconf, MACHINE, config)
    first, second = data["lines"]["numpy"]
    before = {r["release"]: r for r in old["lines"]["numpy"]}
    assert (first["release"], second["release"]) == ("1.23.5", "1.24.4")
    for key, p in first["points"].items():
        was = before["1.23.5"]["points"][key]
        if key.startswith("loop|"):     # the newer commit has no number for it: the older one stands
            assert p["commit"] == was["commit"] and p["median"] == was["median"] and p["older"] == []
        else:
            assert p["commit"] == NEW and p["median"] == pytest.approx(2 * was["median"])
            assert p["older"] == [was["commit"]]
    assert {p["commit"] for p in second["points"].values()} == {before["1.24.4"]["points"]["h|float64|1"]["commit"]}
    stated = {(c["threads"], c["commit"]) for c in data["commits"]}
    assert stated == {(t, c) for t in (1, 2) for c in (NEW, old["lines"]["numpy"][0]["points"]["h|float64|1"]["commit"])}
    for s in data["steps"]:
        a = first["points"][f"{s['op']}|{s['dtype']}|{s['threads']}"]
        b = second["points"][f"{s['op']}|{s['dtype']}|{s['threads']}"]
        if a["commit"] != b["commit"]:
            assert not s["claim"]
            assert s["unstable"] or s["why_not"].startswith("measured at different commits"), s
    page = timeline.render(data)
    assert 'id="mixed"' in page and f"{NEW[:8]} (" in page


def test_a_finished_resweep_shows_only_the_new_commit(tmp_path):
    config, old = _resweep(tmp_path)
    (tmp_path / "releases" / MACHINE / old.name).unlink()       # the old commit of numpy 1.23.5 gone:
    status_file = tmp_path / "releases" / MACHINE / release_lines.STATUS_FILE
    status = json.loads(status_file.read_text())
    del status["numpy 1.24.4"]                                   # one release, one commit
    status_file.write_text(json.dumps(status))
    data = timeline_model.build(timeline_model.releases_conf(config), MACHINE, config)
    assert {(c["threads"], c["commit"]) for c in data["commits"]} == {(1, NEW), (2, NEW)}
    page = timeline.render(data)
    assert 'id="mixed"' not in page
    assert re.search(rf"<li>1 thread: {NEW[:8]} \(\d+ points\)</li>", page)
