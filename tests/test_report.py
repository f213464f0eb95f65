"""twolayer-bench report on real asv results: the per-op table, the facts, the derived sentences, the HTML."""
import json
import subprocess
import sys

import pytest

from asv_mini import ENV_FAST, make_mini_run
from conftest import ROOT, TEST_MACHINE, run_tool
from test_compare import digest, one_line_error
from twolayer.problem import OP_NAMES


@pytest.fixture(scope="module")
def mini(tmp_path_factory, asv_home):
    return make_mini_run(tmp_path_factory, asv_home)


def report(conf, *args):
    return run_tool(["report", "--config", str(conf), *args], timeout=300)


def test_markdown_has_the_seed_table_facts_and_a_sentence_per_op(mini):
    tmp, conf = mini
    before = digest(tmp / "results")
    proc = report(conf, "-E", ENV_FAST)
    assert proc.returncode == 0, proc.stderr
    md = proc.stdout
    assert f"## virtualenv-py3.11-numpy2.4.6-threadpoolctl3.8.0-torch2.13.0-{ENV_FAST}" in md
    assert "### variant=naive, float64, threads=1" in md
    for op in OP_NAMES:
        assert f"| `{op}` |" in md, op
        assert f"- `{op}`: " in md, op          # one sentence per op
    for row in ("| **Σ ops** |", "| **measured step** |", "| **step − Σ ops** |"):
        assert row in md
    # the facts, recorded in the environment by `twolayer-bench facts`
    assert "numpy 2.4.6: BLAS OpenBLAS" in md and "torch 2.13.0" in md and "BLAS MKL" in md
    assert "set_threads(1) → " in md and "CPU: " in md and "SIMD" in md
    # the sentences come from the cause benchmarks: the matmuls are split into BLAS / overhead / rest
    h = next(line for line in md.splitlines() if line.startswith("- `h`: "))
    # the largest part leads its sentence (capitalised) and which part is largest depends on the measurement
    assert "he BLAS (torch's MKL 2024.2 vs numpy's OpenBLAS" in h, h
    assert "er-call overhead (matmul)" in h and "GFLOP/s" in h, h
    grad_h = next(line for line in md.splitlines() if line.startswith("- `grad_h`: "))
    assert "Fastest mask forms measured: numpy " in grad_h and "GB/s" in grad_h, grad_h
    assert digest(tmp / "results") == before


def test_html_page_and_plots(mini, tmp_path):
    tmp, conf = mini
    out = tmp_path / "site" / "report"
    proc = report(conf, "--html-dir", str(out), "-o", str(tmp_path / "report.md"))
    assert proc.returncode == 0, proc.stderr
    page = (out / "index.html").read_text()
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert any(p.startswith("ratio_") for p in pngs) and sum(p.startswith("bars_") for p in pngs) == 2, pngs
    for png in pngs:
        assert f"src='{png}'" in page
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<table>" in page and "he BLAS (torch&#x27;s MKL" in page
    assert "Scaling with size" not in page and "scaling.png" not in pngs   # no sweep in these results
    assert (tmp_path / "report.md").read_text().startswith("# NumPy vs PyTorch, op by op")


def test_html_shows_the_size_sweep_where_results_hold_one(tmp_path):
    """The committed results hold a sweep (TWOLAYER_BENCH_SLOW=1 asv run -b scaling at 3867cd5): the
    report plots it beside the per-op pages, with its environment and commit."""
    out = tmp_path / "report"
    proc = run_tool(["report", "--machine", "kvm-epyc-2core", "--commit", "3867cd5", "-E", "numpy2.4.6,torch2.13.0",
                     "--html-dir", str(out), "-o", str(tmp_path / "r.md")], timeout=300)
    assert proc.returncode == 0, proc.stderr
    page = (out / "index.html").read_text()
    assert "<h2 id='scaling'>Scaling with size</h2>" in page and "<img src='scaling.png'" in page
    assert "commit <code>3867cd5c</code>" in page
    png = (out / "scaling.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000


def test_report_refuses_to_write_into_results(mini):
    tmp, conf = mini
    one_line_error(report(conf, "-o", str(tmp / "results" / "x.md")), "refusing to write")
    assert not (tmp / "results" / "x.md").exists()


def test_report_bad_input(mini):
    tmp, conf = mini
    one_line_error(report(conf, "-E", "numpy0.1"), "unknown environment 'numpy0.1'", ENV_FAST)
    one_line_error(report(conf, "--machine", "elsewhere"), "no results for machine 'elsewhere'", TEST_MACHINE)
    one_line_error(report(conf, "--commit", "0000000"), "unknown commit '0000000'")


def _index(values):
    """An Index over synthetic records {(name, backend): seconds} at float64 / 1 thread."""
    from twolayer_tools.results import Record
    from twolayer_tools.report import Index
    recs = []
    for (name, backend), t in values.items():
        params = {"backend": backend, "dtype": "float64"}
        if not name.startswith("causes.Overhead"):
            params["threads"] = 1
        recs.append(Record(name, params, (), t, None, None, "v", "seconds", "env"))
    return Index(recs)


@pytest.mark.parametrize("blas_gap, ovh_gap, expect", [
    (-100e-6, -1e-6, "Mostly the BLAS"),        # torch's BLAS faster on the same arrays
    (0.0, 30e-6, "Mostly per-call overhead"),    # same BLAS speed, torch's calls cost more
])
def test_sentences_follow_the_numbers(blas_gap, ovh_gap, expect):
    """The same op gets a different explanation when the cause benchmarks say something else."""
    from twolayer_tools.report import Group, OpRow, explain
    tn = 300e-6
    tt = tn + blas_gap + ovh_gap
    idx = _index({("causes.SameArrays.time_h", "numpy"): tn, ("causes.SameArrays.time_h", "torch"): tn + blas_gap + ovh_gap,
                  ("causes.Overhead.time_matmul", "numpy"): 1e-6, ("causes.Overhead.time_matmul", "torch"): 1e-6 + ovh_gap})
    from twolayer_tools.results import Record
    rec = {b: Record("ops.PerOp.time_h", {"backend": b, "dtype": "float64", "threads": 1}, (), t, None, None, "v",
                     "seconds", "env") for b, t in (("numpy", tn), ("torch", tt))}
    row = OpRow("h", rec["numpy"], rec["torch"], tt / tn, True)
    group = Group("env", (("dtype", "float64"), ("threads", 1)), [row], {"numpy": None, "torch": None})
    sentence = explain(row, group, idx, None)
    assert expect in sentence, sentence
    assert ("torch is" if tt < tn else "numpy is") in sentence


def test_facts_probe_in_this_python():
    from twolayer_tools.facts import PROBE
    proc = subprocess.run([sys.executable, str(PROBE)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    facts = json.loads(proc.stdout)
    assert facts["numpy"]["version"] and facts["torch"]["blas"]["name"] == "mkl"
    assert any(p["owner"] == "numpy" and p["user_api"] == "blas" for p in facts["threadpools"])
    assert facts["threads"]["1"]["torch"] == 1
    assert facts["cpu"]["simd_level"] != "" and facts["cpu"]["logical_cores"] >= 1
