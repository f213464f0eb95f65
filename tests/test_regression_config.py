"""The Regressions page's configuration, read by asv's own code: which threshold each kind of point
gets, and that no threshold is below what two runs of one unchanged commit differ by here
(docs/noise.md, "False regressions")."""
import itertools
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from conftest import COMMITTED_MACHINE  # noqa: E402
from twolayer_tools.results import load_config  # noqa: E402
from twolayer_tools.spread import label, medians  # noqa: E402

REPEATS = sorted((ROOT / "repeats").glob("run-*"))
"""Further runs (results/ holds the first); those of the commit the thresholds were set from, on the
project's machine, are full-matrix runs of it; others (another machine, counts and ratios only) not."""
LATER = "f12b88d"
"""A later commit of results/ that changed no measured code (a docstring of the suite)."""


@pytest.fixture(scope="module")
def threshold():
    """asv's own threshold lookup (asv.plugins.regressions), as publish calls it for branch main."""
    from asv.plugins.regressions import _GraphDataFilter
    data_filter = _GraphDataFilter.__new__(_GraphDataFilter)
    data_filter.conf = load_config(str(ROOT / "asv.conf.json"))
    graph = SimpleNamespace(params={"branch": "main"})
    return lambda name: data_filter._get_threshold(graph, None, name)


@pytest.mark.parametrize("name, expected", [
    ("loop.Loop.time_train('numpy', 'naive', 'float64', 1)", 0.2),
    ("peak.Peak.track_gflops('torch', 'float32', 1)", 0.2),
    ("loop.LoopMemory.peakmem_train('torch', 'float64')", 2.0),
    ("loop.Loop.time_train('torch', 'naive', 'float32', 2)", 1.75),
    ("scaling.ScalingMatmul.time_h('numpy', '64', '100')", 0.2),
])
def test_each_kind_of_point_gets_its_threshold(threshold, name, expected):
    # The branch suffix ("@main") is part of what asv matches: a pattern ending in "\)$" never
    # matched before it was written "\)(@.*)?$".
    assert threshold(name) == expected


@pytest.fixture(scope="module")
def revisions():
    """{commit hash: revision} of the committed site (html/index.json)."""
    import json
    index = json.loads((ROOT / "html" / "index.json").read_text())
    return {h: int(r) for r, h in index["revision_to_hash"].items()}


@pytest.fixture(scope="module")
def start(revisions):
    """asv's own first revision searched for a point on the committed site (None: not searched)."""
    from asv.plugins.regressions import _GraphDataFilter
    from asv.repo import get_repo
    conf = load_config(str(ROOT / "asv.conf.json"))
    data_filter = _GraphDataFilter(conf, get_repo(conf), revisions)
    graph = SimpleNamespace(params={"branch": "main"})
    return lambda name: data_filter._get_start_revision(graph, None, name)


def test_the_published_site_searches_for_regressions_after_the_first_commit_it_names(start, revisions):
    """asv's own lookup of `regressions_first_commits` over the committed site: the search starts at
    the first measured commit after the one named (it resolves only where that commit has results)."""
    named = load_config(str(ROOT / "asv.conf.json")).regressions_first_commits[".*"]
    assert named in revisions, "the named commit has no results on the published site"
    first = start("loop.Loop.time_train('numpy', 'naive', 'float64', 1)")
    later = sorted(r for r in revisions.values() if r > revisions[named])
    assert first == revisions[named] + 1 and (not later or later[0] >= first), (first, revisions[named])


@pytest.mark.parametrize("op", ["h", "grad_y_pred"])
def test_single_ops_are_searched_through_their_counts_not_their_wall_clock(start, op):
    """Per-op and cause timings are not searched (their medians move up to 13.5x between runs of
    one unchanged workload here: docs/noise.md); the same op's counts and the loop are."""
    for name in (f"ops.PerOp.time_{op}('numpy', 'naive', 'float64', 1)",
                 f"ops.PerOp.time_{op}('torch', 'optimised', 'float32', 2)",
                 "causes.Overhead.time_matmul('torch', 'float64')",
                 "causes.SameArrays.time_h('numpy', 'float64', 1)",
                 "causes.MaskForms.time_grad_h('torch', 'seed', 'float32')"):
        assert start(name) is None, name
    for name in (f"counts.Instructions.track_instructions('numpy', 'naive', 'float64', '{op}')",
                 f"counts.InstructionsByLibrary.track_instructions('torch', 'naive', 'float32', '{op}', 'blas')",
                 "loop.Loop.time_train('numpy', 'naive', 'float64', 1)",
                 f"ratios.TorchOverNumpy.track_ratio('naive', 'float64', 1, '{op}')"):
        assert start(name) is not None and start(name) > 0, name


def _medians(results_dir, commit):
    """{(benchmark, params..., environment): median} of one commit on the project's machine."""
    return medians(results_dir, COMMITTED_MACHINE, commit, with_env=True)


def test_runs_of_one_unchanged_commit_list_no_regression(threshold, start):
    """Any run read as the later commit of any other: no point moves by more than its threshold.
    (The thresholds were chosen from these runs, so this guards the configuration against an edit
    that would list noise; how they fare on a run they were not chosen from: docs/noise.md.)"""
    conf = load_config(str(ROOT / "asv.conf.json"))
    commit = conf.regressions_first_commits[".*"]
    runs = ([_medians(ROOT / "results", commit), _medians(ROOT / "results", LATER)]
            + [_medians(path, commit) for path in REPEATS
               if any((path / COMMITTED_MACHINE).glob(f"{commit[:8]}-*.json"))])
    assert len(runs) >= 4, "repeats/ should hold two more runs of the commit"
    for first, second in itertools.combinations(runs, 2):
        common = set(first) & set(second)
        assert len(common) > 1000, "a committed run does not cover the matrix"
        over = [(label(key), first[key], second[key]) for key in common
                if start(label(key)) is not None
                and max(first[key], second[key]) / min(first[key], second[key]) > 1 + threshold(label(key))]
        assert not over, over[:5]


@pytest.mark.parametrize("name, expected", [
    ("counts.Instructions.track_instructions('numpy', 'naive', 'float64', 'h')", 0.05),
    ("counts.InstructionsByLibrary.track_instructions('torch', 'naive', 'float32', 'y_pred', 'blas')", 0.05),
    ("counts.InstructionsByLibrary.track_instructions('numpy', 'naive', 'float32', 'update_w2', 'allocator')", 1.0),
    ("counts.InstructionsByLibrary.track_instructions('torch', 'naive', 'float64', 'h', 'libc')", 1.0),
    ("ratios.TorchOverNumpy.track_ratio('naive', 'float64', 1, 'h')", 0.35),
    ("ratios.TorchOverNumpy.track_ratio('naive', 'float64', 2, 'step')", 0.5),
])
def test_counts_and_ratios_get_their_own_thresholds(threshold, name, expected):
    assert threshold(name + "@main") == expected


def test_two_runs_of_the_counts_and_ratios_list_no_regression(threshold):
    """The host-proof points of the newest commit with a repeat of them, measured twice (results/
    and a repeat of the counts and ratios): no point moves by its threshold, and the counts do not
    move at all."""
    from twolayer_tools.asvcmd import measured_commits
    pattern = [r"^(counts|ratios)\."]
    order = {c[:8]: i for i, c in enumerate(measured_commits(load_config(str(ROOT / "asv.conf.json"))))}
    repeats = []
    for path in REPEATS:
        commits = {f.name.split("-")[0] for f in (path / COMMITTED_MACHINE).glob("*-virtualenv-*.json")}
        if len(commits) == 1 and medians(path, COMMITTED_MACHINE, bench=[r"^counts\."]):
            repeats.append((order.get(next(iter(commits)), -1), path, next(iter(commits))))
    assert repeats, "repeats/ should hold a run of the counts and ratios"
    _, path, commit = max(repeats)
    first = medians(ROOT / "results", COMMITTED_MACHINE, commit, with_env=True, bench=pattern)
    second = medians(path, COMMITTED_MACHINE, commit, with_env=True, bench=pattern)
    common = set(first) & set(second)
    assert len(common) > 3000, "the two runs should hold every count and ratio of the matrix"
    over = [(label(key), first[key], second[key]) for key in common
            if max(first[key], second[key]) / min(first[key], second[key]) > 1 + threshold(label(key) + "@main")]
    assert not over, over[:5]
    assert all(first[k] == second[k] for k in common if k[0].startswith("counts."))
