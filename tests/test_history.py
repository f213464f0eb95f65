"""The published history: only commits that changed the workload or the suite, and the current
suite runs against the oldest of them (the suite's rule, docs/writing-a-benchmark.md)."""
import json

from conftest import ROOT, TEST_MACHINE, missing_numbers, run_asv, write_test_conf
from test_asv_suite import expected_skip
from twolayer_tools.asvcmd import FIRST_COMMIT, measured_commits
from twolayer_tools.results import load_config


def test_history_holds_only_commits_that_change_what_is_measured():
    commits = [c[:7] for c in measured_commits(load_config(ROOT / "asv.conf.json"))]
    assert commits[0] == FIRST_COMMIT
    # tool-only and docs-only commits of the old layout are not points of the history
    for tools_only in ("7b56a0e", "e525d59", "8588104", "888d7f2", "932a831", "1a20f27"):
        assert tools_only not in commits
    # commits that changed the suite are
    for suite in ("b3df599", "c55df79", "3867cd5"):
        assert suite in commits


def test_current_suite_runs_against_the_oldest_published_commit(tmp_path, asv_home):
    conf = write_test_conf(tmp_path)
    proc = run_asv(["--config", str(conf), "run", "--quick", "--show-stderr", "--machine", TEST_MACHINE,
                    f"{FIRST_COMMIT}^!"], asv_home)
    assert "failed" not in proc.stdout, proc.stdout[-6000:]
    from asv.results import iter_results_for_machine
    (res,) = list(iter_results_for_machine(str(tmp_path / "results"), TEST_MACHINE))
    assert res.commit_hash.startswith(FIRST_COMMIT)
    benchmarks = json.loads((tmp_path / "results" / "benchmarks.json").read_text())
    assert not missing_numbers(res, benchmarks, expected_skip)
