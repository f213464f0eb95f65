"""twolayer-bench report on real asv results: the per-op table, the facts, the derived sentences, the HTML."""
import json
import re
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
    # (or, where a median or a cause benchmark is unstable, say so instead): check which against the data
    h = next(line for line in md.splitlines() if line.startswith("- `h`: "))
    op_unstable, causes_unstable = _h_stability(conf)
    if op_unstable:   # a mark, not a veto: the claim rests on asv's test (or the pairs) and says the spread
        assert "median is unstable (IQR" in h and ("faster than" in h or "not claimed" in h
                                                    or "no difference" in h), h
    elif ", not claimed" in h or "no difference the pairs" in h:   # no claimed gap: nothing to split, the sentence stops at the speeds
        assert "GFLOP/s" in h and "split" not in h and "Mostly" not in h, h
    elif causes_unstable:
        assert "not split" in h and "unstable" in h, h
    else:
        # the largest part leads its sentence (capitalised); which part is largest depends on the measurement
        assert "he BLAS (torch's MKL 2024.2 vs numpy's OpenBLAS" in h, h
        assert "er-call overhead (matmul)" in h and "GFLOP/s" in h, h
    grad_h = next(line for line in md.splitlines() if line.startswith("- `grad_h`: "))
    if _h_stability(conf, "grad_h")[0]:
        assert "median is unstable (IQR" in grad_h, grad_h
    elif ", not claimed" in grad_h or "no difference the pairs" in grad_h:   # as for h: stops at the speeds
        assert "GB/s" in grad_h and "mask forms" not in grad_h, grad_h
    else:
        assert "Fastest mask forms measured: numpy " in grad_h and "GB/s" in grad_h, grad_h
    assert digest(tmp / "results") == before


def _h_stability(conf, op="h"):
    """(is ops.PerOp.time_<op> unstable for either backend, is any cause benchmark of h's split) in
    the fast environment at naive, float64, 1 thread, read from the results with the tools' loader."""
    from twolayer_tools.results import load_config, load_result_set
    rs = load_result_set(load_config(str(conf)), TEST_MACHINE)
    env = next(e for e in rs.env_names if e.endswith(ENV_FAST))
    want = {"variant": "naive", "dtype": "float64", "threads": 1}
    recs = [r for r in rs.records(env, rf"^(ops\.PerOp\.time_{op}|causes\.SameArrays\.time_h|causes\.Overhead\.time_matmul)$")
            if all(r.params.get(k, v) == v for k, v in want.items()) and r.ok]
    name = f"ops.PerOp.time_{op}"
    return any(r.unstable for r in recs if r.name == name), any(r.unstable for r in recs if r.name != name)


def _page(path):
    """(ids, hrefs, srcs, open details, folded details) of an HTML page, parsed."""
    from html.parser import HTMLParser

    class Page(HTMLParser):
        def __init__(self):
            super().__init__()
            self.ids, self.hrefs, self.srcs, self.opened, self.folded = set(), [], [], 0, 0

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if "id" in a:
                assert a["id"] not in self.ids, f"duplicate id {a['id']}"
                self.ids.add(a["id"])
            if tag == "a" and "href" in a:
                self.hrefs.append(a["href"])
            if tag in ("img", "script", "link"):
                self.srcs.append(a.get("src") or a.get("href"))
            if tag == "details":
                if "open" in a:
                    self.opened += 1
                else:
                    self.folded += 1

    p = Page()
    p.feed(path.read_text())
    return p


def test_html_page_and_plots(mini, tmp_path):
    tmp, conf = mini
    out = tmp_path / "site" / "report"
    proc = report(conf, "--html-dir", str(out), "-o", str(tmp_path / "report.md"))
    assert proc.returncode == 0, proc.stderr
    page = (out / "index.html").read_text()
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert any(p.startswith("ratio_") for p in pngs) and sum(p.startswith("bars_") for p in pngs) == 2, pngs
    parsed = _page(out / "index.html")
    for png in pngs:
        assert png in parsed.srcs, png
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for src in parsed.srcs:                      # every image, script and stylesheet is there
        assert (out / src).is_file(), src
    assert "<h4>Why, op by op</h4>" in page and "<li><code>h</code>: " in page
    assert "Scaling with size" not in page and "scaling.png" not in pngs   # no sweep in these results
    (out / "scaling.png").write_bytes(b"stale")       # a plot from an earlier report: not left unlinked
    assert report(conf, "--html-dir", str(out), "-o", str(tmp_path / "report.md")).returncode == 0
    assert not (out / "scaling.png").exists()
    assert (tmp_path / "report.md").read_text().startswith("# NumPy vs PyTorch, op by op")


def test_html_reads_top_down_contents_headline_then_folded_sections(mini, tmp_path):
    """Contents first, then the headline matrix (an environment per row, a configuration per column,
    each cell the step's verdict linking to its section), then every section folded in <details>."""
    tmp, conf = mini
    out = tmp_path / "report"
    assert report(conf, "--html-dir", str(out), "-o", str(tmp_path / "r.md")).returncode == 0
    page = (out / "index.html").read_text()
    parsed = _page(out / "index.html")
    contents, headline = page.index('<nav id="contents"'), page.index('<section id="headline">')
    first_section = page.index('<details id="env')
    assert contents < headline < first_section, (contents, headline, first_section)
    # every section is folded, and every headline cell links to one that exists
    md = (tmp_path / "r.md").read_text()
    n_groups = md.count("\n### ")
    assert page.count('<details id="env') == n_groups and parsed.opened == 0, (parsed.folded, n_groups)
    matrix = page[headline:page.index("</section>", headline)]
    cell_links = [h for h in parsed.hrefs if h.startswith("#env") and f'href="{h}"' in matrix]
    assert len(cell_links) == n_groups, cell_links
    for href in parsed.hrefs:
        if href.startswith("#"):
            assert href[1:] in parsed.ids, href
    # the verdict in each cell: a winner and a factor, or "not claimed" with the reason in a few words
    cells = re.findall(r'<span class="verdict">([^<]*)</span><br><span class="basis">([^<]*)</span>', matrix)
    assert len(cells) == n_groups
    for verdict, basis in cells:
        if verdict == "—":
            assert basis.startswith("not claimed"), basis
        else:
            assert re.fullmatch(r"(numpy|torch) \d+\.\d\d× faster", verdict) and basis in (
                "paired ratio", "asv's test"), (verdict, basis)
    # the seed's configuration is the first column
    assert re.search(r'<th colspan="\d+">variant naive</th>', matrix) and "float64" in matrix.split("float32")[0]
    assert 'report.js' in parsed.srcs and (out / "report.js").read_text().count("details") >= 1


def test_docs_cited_once_where_the_site_publishes_them(mini, tmp_path):
    """The HTML report links each doc it cites at ../docs/<name>.html#<section>, once, in a footnote;
    the Markdown at docs/<name>.md#<section>; every cited section is a heading of that doc, its id as
    python-markdown's toc extension makes it."""
    from markdown.extensions.toc import slugify
    tmp, conf = mini
    out = tmp_path / "report"
    assert report(conf, "--html-dir", str(out), "-o", str(tmp_path / "r.md")).returncode == 0
    hrefs = _page(out / "index.html").hrefs
    docs = [h for h in hrefs if "docs/" in h]
    assert docs and all(re.fullmatch(r"\.\./docs/[a-z-]+\.html#[a-z0-9-]+", h) for h in docs), docs
    assert len(docs) == len(set(docs)) <= 8, docs
    md = (tmp_path / "r.md").read_text()
    md_docs = re.findall(r"\]\((docs/[^)]*)\)", md)
    assert md_docs and all(re.fullmatch(r"docs/[a-z-]+\.md#[a-z0-9-]+", d) for d in md_docs), md_docs
    assert len(md_docs) == len(docs)
    for h in docs:
        name, anchor = re.fullmatch(r"\.\./docs/(.*)\.html#(.*)", h).groups()
        headings = [line.lstrip("#").strip() for line in (ROOT / "docs" / f"{name}.md").read_text().splitlines()
                    if line.startswith("#")]
        assert anchor in [slugify(x, "-") for x in headings], (h, headings)


def test_markdown_opens_with_contents_and_the_headline(mini):
    tmp, conf = mini
    md = report(conf).stdout
    contents, headline = md.index("## Contents"), md.index("## Headline: the measured step")
    first_env = md.index("## virtualenv-")
    assert contents < headline < first_env
    # every link of the contents and the headline leads to a heading (GitHub's ids)
    from twolayer_tools.report_md import Anchors
    anchor = Anchors()
    ids = {anchor(line.lstrip("#").strip()) for line in md.splitlines() if line.startswith("#")}
    links = re.findall(r"\]\(#([^)]+)\)", md)
    assert links and all(link in ids for link in links), [x for x in links if x not in ids]
    table = md[headline:first_env]
    n_groups = md.count("\n### ")
    assert table.count("\n| ") == n_groups + 1, table    # a row per environment x configuration
    assert table.split("\n| ")[2].startswith("variant=naive, float64, threads=1 |"), table   # the seed's first
    for row in table.split("\n| ")[2:]:
        faster, by, basis = [c.strip() for c in row.split("|")[2:5]]
        assert (faster in ("**numpy**", "**torch**") and by.endswith("×") and basis.startswith(("paired", "asv's"))) \
            or (faster == "—" and basis.startswith("not claimed")), row


def test_html_shows_the_size_sweep_where_results_hold_one(tmp_path):
    """The committed results hold a sweep (TWOLAYER_BENCH_SLOW=1 asv run -b scaling at 3867cd5): the
    report plots it beside the per-op pages, with its environment and commit, shown and linked from
    the contents."""
    out = tmp_path / "report"
    proc = run_tool(["report", "--machine", "kvm-epyc-2core", "--commit", "3867cd5", "-E", "numpy2.4.6,torch2.13.0",
                     "--html-dir", str(out), "-o", str(tmp_path / "r.md")], timeout=300)
    assert proc.returncode == 0, proc.stderr
    page = (out / "index.html").read_text()
    parsed = _page(out / "index.html")
    assert '<section id="scaling">' in page and "<h2>Scaling with size</h2>" in page
    assert "scaling.png" in parsed.srcs and "scaling.png" in parsed.hrefs and "#scaling" in parsed.hrefs
    assert page.index('href="#scaling"') < page.index('<section id="headline">')   # linked from the contents
    assert "commit <code>3867cd5c</code>." in page     # the report's own commit: no word on another
    png = (out / "scaling.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000


def test_the_newest_sweep_is_shown_where_the_reports_commit_has_none(tmp_path):
    """6eef198 ran no sweep: the report shows the newest one before it (3867cd5) and says so, and no
    plot is left on the page's folder unlinked."""
    out = tmp_path / "report"
    proc = run_tool(["report", "--machine", "kvm-epyc-2core", "--commit", "6eef198", "-E", "numpy2.4.6,torch2.13.0",
                     "--html-dir", str(out), "-o", str(tmp_path / "r.md")], timeout=300)
    assert proc.returncode == 0, proc.stderr
    page = (out / "index.html").read_text()
    assert "commit <code>3867cd5c</code> (the newest sweep on this machine: none ran at <code>6eef1983</code>" in page
    assert "scaling.png" in _page(out / "index.html").srcs and (out / "scaling.png").is_file()


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
    from twolayer_tools.report_model import Index
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
    from twolayer_tools.report_model import Group, OpRow, explain
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


def _rec(name, backend, t, iqr=0.0, threads=1):
    """A synthetic per-op or cause Record at float64 whose samples' IQR is `iqr` × its median."""
    from twolayer_tools.results import Record
    params = {"backend": backend, "dtype": "float64"}
    if not name.startswith("causes.Overhead"):
        params["threads"] = threads
    stats = {"q_25": t * (1 - iqr / 2), "q_75": t * (1 + iqr / 2)}
    return Record(name, params, (), t, stats, None, "v", "seconds", "env")


def _explain_h(tn, tt, iqr_torch=0.0, causes_iqr=0.0, same=None, mm=(1e-6, 1e-6)):
    """The sentence for op `h` with the given per-op medians and cause benchmarks."""
    from twolayer_tools.report_model import Group, Index, OpRow, explain
    same = same or (tn, tt)
    recs = [_rec("causes.SameArrays.time_h", "numpy", same[0]),
            _rec("causes.SameArrays.time_h", "torch", same[1], causes_iqr),
            _rec("causes.Overhead.time_matmul", "numpy", mm[0]),
            _rec("causes.Overhead.time_matmul", "torch", mm[1])]
    row = OpRow("h", _rec("ops.PerOp.time_h", "numpy", tn), _rec("ops.PerOp.time_h", "torch", tt, iqr_torch),
                tt / tn, True)
    group = Group("env", (("dtype", "float64"), ("threads", 1)), [row], {"numpy": None, "torch": None})
    return row, explain(row, group, Index(recs), None)


def test_record_is_unstable_above_ten_percent_iqr():
    from twolayer_tools.results import UNSTABLE_SPREAD
    assert UNSTABLE_SPREAD == 0.10
    assert not _rec("ops.PerOp.time_h", "numpy", 1e-5, iqr=0.09).unstable
    assert _rec("ops.PerOp.time_h", "numpy", 1e-5, iqr=0.11).unstable
    assert _rec("ops.PerOp.time_h", "numpy", 1e-5, iqr=0.11).spread == pytest.approx(0.11)


def test_an_unstable_op_is_claimed_on_asvs_test_with_its_mark():
    """The IQR mark is no veto: a 13x gap that asv's test calls real is claimed, the spread said."""
    row, sentence = _explain_h(300e-6, 4e-3, iqr_torch=0.8)
    assert row.unstable == ["torch"]
    assert row.claim.claimed and row.claim.basis == "asv's test", row.claim
    assert "numpy is 13.33× faster than torch" in sentence and "torch IQR 80%" in sentence, sentence
    assert "torch's median is unstable (IQR 80% of it)" in sentence, sentence
    from twolayer_tools.report_md import table_rows
    from twolayer_tools.report_model import Group
    group = Group("env", (("dtype", "float64"), ("threads", 1)), [row], {"numpy": None, "torch": None})
    first = table_rows(group)[0]
    assert first[6] == "13.33" and first[7].startswith("asv's test") and first[4].endswith("?"), first


def test_a_gap_asv_does_not_call_real_is_not_claimed():
    from twolayer_tools.report_md import table_rows
    from twolayer_tools.report_model import Group, OpRow, explain
    row = OpRow("h", _rec("ops.PerOp.time_h", "numpy", 300e-6), _rec("ops.PerOp.time_h", "torch", 310e-6, 0.5),
                310 / 300, False)
    assert not row.claim.claimed
    group = Group("env", (("dtype", "float64"), ("threads", 1)), [row], {"numpy": None, "torch": None})
    sentence = explain(row, group, _index({}), None)
    assert "not claimed" in sentence and "faster than" not in sentence and "Mostly" not in sentence, sentence
    first = table_rows(group)[0]
    assert first[6] == "~1.03" and first[7].startswith("not claimed"), first


def test_a_paired_ratio_outranks_the_medians():
    """The ratio the report states is the paired one, claimed only when its 99 % interval excludes 1."""
    from twolayer_tools.claims import PAIRED, claim
    from twolayer_tools.results import Record
    paired = Record("ratios.TorchOverNumpy.track_ratio", {}, (), 1.24,
                    {"ci_99_a": 1.2, "ci_99_b": 1.3, "q_25": 1.22, "q_75": 1.27}, None, "v", "ratio", "env")
    c = claim(paired, _rec("ops.PerOp.time_h", "numpy", 300e-6), _rec("ops.PerOp.time_h", "torch", 200e-6), True)
    assert (c.basis, c.claimed, c.faster, c.cell()) == (PAIRED, True, "numpy", "1.24"), c
    assert "numpy is 1.24× faster than torch (paired ratio 1.24, IQR 1.22–1.27)" == c.phrase()
    paired.stats = {"ci_99_a": 0.97, "ci_99_b": 1.05, "q_25": 0.99, "q_75": 1.02}
    c = claim(paired, None, None, False)
    assert not c.claimed and c.cell() == "~1.24" and "no difference the pairs can tell" in c.phrase()


def test_an_unstable_cause_benchmark_leaves_the_gap_unsplit():
    _, sentence = _explain_h(300e-6, 200e-6, causes_iqr=0.5)
    assert "numpy is" not in sentence and "torch is 1.50× faster" in sentence, sentence
    assert "not split" in sentence and "causes.SameArrays.time_h" in sentence, sentence


def test_a_remainder_against_the_gap_is_said_not_silently_negative():
    # torch is 100 µs faster per call, 120 µs faster on the same arrays: the rest, +20 µs, runs against it
    _, sentence = _explain_h(300e-6, 200e-6, same=(300e-6, 180e-6))
    assert "overshoot" in sentence, sentence


def test_compare_table_marks_unstable_sides_and_says_what_the_mark_means():
    from twolayer_tools.compare import compare_records, format_table
    steady, shaky = _rec("ops.PerOp.time_h", "numpy", 1e-5), _rec("ops.PerOp.time_h", "torch", 3e-5, 0.4)
    rows = compare_records([("a", steady, steady), ("b", steady, shaky)], use_stats=False)
    assert [r.unstable for r in rows] == [False, True]
    table = format_table(rows, "x", "y")
    line_b = next(line for line in table.splitlines() if line.rstrip(" |").endswith("b"))
    assert " ?" in line_b and "3.00?" in line_b, table
    assert "? unstable" in table


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


def _group(times, threads=1):
    """A Group at float64 whose ops `h` and `loss` take `times` {(op, backend): seconds}."""
    from twolayer_tools.report_model import Group, OpRow
    rows = []
    for op in ("h", "loss"):
        n, t = (_rec(f"ops.PerOp.time_{op}", b, times[(op, b)], threads=threads) for b in ("numpy", "torch"))
        rows.append(OpRow(op, n, t, t.value / n.value, True))
    return Group("env", (("variant", "naive"), ("dtype", "float64"), ("threads", threads)), rows,
                 {"numpy": 1e-3, "torch": 2e-3})


def test_axis_labels_read_as_ratios_and_times():
    """Log axes labelled '4×', '1/2×', '25 µs', never matplotlib's '4×10⁰' or '$10^{-5}$'."""
    from twolayer_tools.report_model import EnvReport
    from twolayer_tools.report_plots import bars_figure, ratio_figure, ratio_label, ratio_ticks, tick_labels
    assert [ratio_label(r) for r in (4, 1, 0.5, 1.5, 1 / 1.5, 1024, 1 / 256)] == \
        ["4×", "1×", "1/2×", "1.5×", "1/1.5×", "1024×", "1/256×"]
    ticks, (lo, hi) = ratio_ticks(0.3, 5)
    assert ticks == [0.25, 0.5, 1, 2, 4, 8] and lo < 0.3 and hi > 5
    assert 1 in ratio_ticks(0.9, 1.1)[0] and 1.5 in ratio_ticks(0.9, 1.1)[0]
    assert len(ratio_ticks(1 / 3000, 3000)[0]) <= 10
    g1 = _group({("h", "numpy"): 300e-6, ("h", "torch"): 150e-6, ("loss", "numpy"): 3e-6, ("loss", "torch"): 12e-6})
    g2 = _group({("h", "numpy"): 300e-6, ("h", "torch"): 600e-6, ("loss", "numpy"): 3e-6, ("loss", "torch"): 3.3e-6})
    envs = [EnvReport("virtualenv-numpy1.26.4-torch2.13.0", None, [g1]),
            EnvReport("virtualenv-numpy2.4.6-torch2.13.0", None, [g2])]
    (ratio_axis,) = tick_labels(ratio_figure(envs, g1.key))
    assert "1×" in ratio_axis and "1/2×" in ratio_axis and "4×" in ratio_axis, ratio_axis
    (time_axis,) = tick_labels(bars_figure(g1, "t"))
    assert time_axis == ["1 µs", "10 µs", "100 µs", "1 ms"], time_axis
    for label in ratio_axis + time_axis:
        assert "10^" not in label and "$" not in label and "e+" not in label, label


def test_headline_says_what_a_step_verdict_rests_on():
    from twolayer_tools.claims import Claim, PAIRED
    from twolayer_tools.report_model import step_headline
    g = _group({("h", "numpy"): 1e-4, ("h", "torch"): 1e-4, ("loss", "numpy"): 1e-6, ("loss", "torch"): 1e-6})
    g.step_claim = Claim(1.27, PAIRED, True, 1.09, 1.51)
    h = step_headline(0, g)
    assert (h.verdict, h.basis, h.short) == ("numpy 1.27× faster", "paired ratio, IQR 1.09–1.51", "paired ratio")
    g.step_claim = Claim(0.8, "not claimed", False, reason="torch IQR 40%")
    h = step_headline(0, g)
    assert (h.verdict, h.short) == ("not claimed", "not claimed: unstable") and "torch IQR 40%" in h.basis
    g.step_claim = None
    h = step_headline(0, g)
    assert h.faster is None and "no paired ratio" in h.basis and "numpy faster" in h.basis


def test_templates_and_static_files_ship_with_the_package():
    import tomllib
    from twolayer_tools import report_html
    pkg = ROOT / "tools" / "twolayer_tools"
    data = tomllib.loads((ROOT / "tools" / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["twolayer_tools"]
    files = ["templates/report.html"] + [f"static/{n}" for n in report_html.STATIC_FILES]
    for f in files:
        assert (ROOT / "tools" / "twolayer_tools" / f).is_file(), f
        shipped = {q.relative_to(pkg).as_posix() for p in patterns for q in pkg.glob(p)}   # setuptools' globs
        assert f in shipped, (f, patterns)
