"""The answer page (answer_model, answer_page, `twolayer-bench answer`): on the committed results
and on a copy of them under another machine's name (a newcomer), checked against the claims
module, asv's published graphs and a real browser (Debian's chromium, headless, no network)."""
import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import COMMITTED_MACHINE, ROOT, TB

from twolayer.problem import OP_NAMES
from twolayer_tools import answer_model, answer_page, causes, claims
from twolayer_tools.compare import compare_records
from twolayer_tools.fmt import fmt_time
from twolayer_tools.results import load_config, load_result_set

CONF = ROOT / "asv.conf.json"
NEWCOMER = "newcomer-box"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
VIEWPORT = {"width": 1280, "height": 800}


# -- helpers ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def committed():
    conf = load_config(CONF)
    return conf, answer_model.build(conf)


def measured(answer):
    found = [m for m in answer.machines if not m.missing]
    assert found, "no machine with results"
    return found


class Rows(HTMLParser):
    """Each table row of the page: its panel, classes and cells (text, class, link)."""

    def __init__(self):
        super().__init__()
        self.rows, self.panel, self.cell, self.links = [], -1, None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and a.get("class") == "panel":
            self.panel += 1
        elif tag == "tr":
            self.rows.append({"panel": self.panel, "class": a.get("class") or "", "cells": []})
        elif tag == "td":
            self.cell = {"class": a.get("class") or "", "text": "", "href": []}
            self.rows[-1]["cells"].append(self.cell)
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
            if self.cell is not None:
                self.cell["href"].append(a["href"])

    def handle_endtag(self, tag):
        if tag == "td":
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data


def parse(page):
    p = Rows()
    p.feed(Path(page).read_text(encoding="utf-8"))
    return p


def record(rs, env, bench, **params):
    hits = [r for r in rs.records(env, "^" + bench.replace(".", r"\.") + "$") if r.params == params]
    assert len(hits) <= 1, hits
    return hits[0] if hits else None


def expected_claim(rs, env, line, want, torch_env=None):
    """The claim the claims module gives this row, found from the results without answer_model."""
    numpy = record(rs, env, line.bench, backend="numpy", **want)
    torch = record(rs, torch_env or env, line.bench, backend="torch", **want)
    if want["threads"] == 1 and torch_env is None:
        op = causes.STEP if line.op == answer_model.LOOP else line.op
        paired = claims.paired_claim(record(rs, env, causes.PAIRED, op=op, **want))
        if paired is not None:
            return paired
    (v,) = compare_records([(line.op, numpy, torch)], factor=1.0)
    shaky = [b for b, r in (("numpy", numpy), ("torch", torch)) if r is not None and r.unstable]
    return claims.sample_claim(numpy, torch, v.mark in "+-", shaky)


def check_links(page, html_dir, machines):
    """Every graph link of `page` names a benchmark of html/index.json, valid parameter values,
    one environment of one of `machines` and a graph file asv published; returns the links checked."""
    from asv.graph import Graph
    index = json.loads((Path(html_dir) / "index.json").read_text())
    links = [h for h in parse(page).links if h.startswith("../index.html#")]
    assert links
    for href in links:
        frag = urlsplit(href).fragment
        bench, _, query = frag.partition("?")
        assert bench in index["benchmarks"], href
        info = index["benchmarks"][bench]
        chosen, env = {}, {}
        for part in query.split("&"):
            key, value = (unquote(x) for x in part.split("="))
            value = None if value == "[none]" else value
            if key.startswith("p-"):
                name = key[2:]
                assert name in info["param_names"], href
                assert value in info["params"][info["param_names"].index(name)], (href, value)
                chosen.setdefault(name, []).append(value)
            else:
                assert key in index["params"] and value in index["params"][key], (href, key, value)
                assert key not in env, href
                env[key] = value
        assert set(chosen) == set(info["param_names"]), href        # every parameter chosen:
        assert 1 <= len(chosen["backend"]) <= 2 and all(len(v) == 1 for k, v in chosen.items() if k != "backend")
        assert env["machine"] in machines, (href, machines)
        entries = [e for e in index["graph_param_list"]
                   if all(e.get(k) == v for k, v in env.items())]
        assert len(entries) == 1, (href, entries)
        assert (Path(html_dir) / (Graph.get_file_path(entries[0], bench) + ".json")).is_file(), href
    return links


def newcomer_results(tmp_path):
    """results/ copied with kvm-epyc-2core's results renamed to a machine the site never saw (its
    facts kept, naming their own machine, as a copy would), and a configuration reading them. No
    other machine's results come along (a newcomer's checkout holds its own after `make bench`)."""
    from asv import util
    src = Path(load_config(CONF).results_dir)
    results = tmp_path / "results"
    results.mkdir()
    shutil.copy(src / "benchmarks.json", results / "benchmarks.json")
    for d in src.iterdir():
        if d.is_dir() and d.name != COMMITTED_MACHINE and not any(d.glob("*-*.json")):
            shutil.copytree(d, results / d.name)
    new = results / NEWCOMER
    shutil.copytree(src / COMMITTED_MACHINE, new)
    for path in new.glob("*.json"):
        doc = json.loads(path.read_text())
        (doc.get("params") or doc)["machine"] = NEWCOMER
        path.write_text(json.dumps(doc))
    raw = util.load_json(str(CONF), js_comments=True)
    raw.update(repo=str(ROOT), benchmark_dir=str(ROOT / raw["benchmark_dir"]), results_dir=str(results),
               html_dir=str(tmp_path / "html"), env_dir=str(ROOT / raw["env_dir"]))
    conf = tmp_path / "asv.conf.json"
    conf.write_text(json.dumps(raw, indent=2))
    return conf


def tool(*args):
    return subprocess.run([TB, *args], cwd=ROOT, text=True, capture_output=True, timeout=600)


# -- the model and the page on the committed results ---------------------------------------------

def test_every_machine_and_every_line(committed):
    conf, answer = committed
    folders = sorted(d.name for d in Path(conf.results_dir).iterdir() if (d / "machine.json").is_file())
    assert sorted(m.name for m in answer.machines) == folders
    for m in answer.machines:
        if m.missing:       # listed, saying why there is no answer
            assert not m.settings and "no results yet" in answer_model.sentence(m)
            continue
        assert m.settings[0].is_seed and m.settings[0].params == answer_model.SEED
        for s in m.settings:
            assert [ln.op for ln in s.lines] == [answer_model.LOOP, *OP_NAMES]
            assert all(ln.numpy is not None and ln.numpy.ok and ln.torch.ok for ln in s.lines)
        commits = load_result_set(conf, m.name).commits     # newest first
        for newer in commits[:commits.index(m.main.commit)]:   # none newer measured its per-op lines
            res = load_result_set(conf, m.name, newer).results.get(m.main.env)
            assert res is None or not any(k.startswith("ops.PerOp.") for k in res.get_all_result_keys())


def assert_claims(conf, answer):
    """Each row's claims are those the claims module gives on the results, found without the model."""
    for m in measured(answer):
        rs = load_result_set(conf, m.name, m.main.commit)
        for s in m.settings:
            for ln in s.lines:
                want = dict(s.params)
                c = expected_claim(rs, m.main.env, ln, want)
                assert (ln.claim.basis, ln.claim.claimed) == (c.basis, c.claimed), (s.params, ln.op)
                assert ln.claim.ratio == pytest.approx(c.ratio, nan_ok=True)
                factor = max(c.ratio, 1 / c.ratio) if c.claimed else None
                assert ln.factor == pytest.approx(factor) if factor else ln.factor is None
                assert ln.claim.faster == ({True: "numpy", False: "torch"}[c.ratio > 1] if c.claimed else None)
                if m.mkl is not None:
                    mrs = load_result_set(conf, m.name, m.mkl.commit)
                    mc = expected_claim(mrs, m.mkl.env, ln, want, torch_env=m.mkl_torch.env)
                    assert (ln.mkl_claim.ratio, ln.mkl_claim.claimed) == (pytest.approx(mc.ratio), mc.claimed)


def test_each_row_is_the_claims_modules_claim(committed):
    assert_claims(*committed)


def test_the_page_shows_each_claim(committed, tmp_path):
    conf, answer = committed
    page = answer_page.write(CONF, tmp_path)
    rows = [r for r in parse(page).rows if r["cells"]]
    panels = [s for m in answer.machines for s in m.settings]
    assert len(rows) == sum(len(s.lines) for s in panels)
    for r, ln in zip(rows, [ln for s in panels for ln in s.lines]):
        cells = {c["class"].split()[0] if c["class"] else "": c for c in r["cells"]}
        assert cells["op"]["text"] == ln.op
        assert cells["win"]["text"] == (ln.claim.faster or "—")
        assert cells["by"]["text"] == (f"{ln.factor:.2f}×" if ln.factor else "—")
        assert ln.factor or cells["basis"]["text"].startswith(("not claimed", "paired"))
        assert cells["basis"]["text"] == ln.claim.basis_cell()
    html = Path(page).read_text(encoding="utf-8")
    for m in answer.machines:
        assert answer_model.sentence(m).replace("'", "&#39;") in html
        if m.main:
            assert m.main.commit[:8] in html        # which commit the figures come from


def test_links_open_published_graphs(committed, tmp_path):
    _, answer = committed
    page = answer_page.write(CONF, tmp_path)
    links = check_links(page, ROOT / "html", {m.name for m in measured(answer)})
    # one graph link per line, two where the machine has NumPy+MKL beside it
    assert len(links) == sum(len(s.lines) * (2 if m.mkl else 1) for m in answer.machines for s in m.settings)


def test_the_sentence_names_the_largest_claimed_gap(committed):
    _, answer = committed
    for m in measured(answer):
        text, seed = answer_model.sentence(m), m.seed
        claimed = [(max(ln.claim.ratio, 1 / ln.claim.ratio), ln) for ln in seed.ops if ln.claim.claimed]
        if claimed:
            factor, top = max(claimed, key=lambda x: x[0])
            assert f"largest gap: {top.op}, {top.claim.faster} {factor:.2f}× faster" in text, text
        else:
            assert "no line's gap is claimed" in text
        assert answer_model.versus(seed.loop.claim) in text
        for b in ("numpy", "torch"):
            n = sum(ln.claim.faster == b for ln in seed.ops)
            assert (f"{b} on {n} of {len(OP_NAMES)}" in text) == bool(n), text


def test_the_forums_answer_is_tested_from_the_numbers(committed):
    """Where NumPy+MKL is measured, the forum's two claims are each answered yes/no from the loop's
    claims (torch/NumPy+OpenBLAS, torch/NumPy+MKL), with the two large matmuls' three times."""
    _, answer = committed
    tested = [m for m in measured(answer) if m.mkl is not None and m.seed.loop.mkl_claim is not None]
    assert tested, "the committed results hold a NumPy+MKL run (make bench-blas)"
    for m in tested:
        text, loop = answer_model.forum_verdict(m), m.seed.loop
        ob, mk = loop.claim, loop.mkl_claim
        slower = ob.claimed and ob.ratio < 1
        close = not mk.claimed or max(mk.ratio, 1 / mk.ratio) <= answer_model.CLOSE
        assert f"NumPy+MKL close to torch: {'yes' if close else 'no'}" in text, text
        assert f"NumPy+OpenBLAS slower than torch: {'yes' if slower else 'no'}" in text, text
        held = "holds" if close and slower else "does not hold" if not (close or slower) else "half holds"
        assert f") {held} on {m.name}" in text, text
        for op in answer_model.LARGE_MATMULS:
            assert f"{op}: OpenBLAS " in text and ", MKL " in text, text
        # where the gap sits: the large matmuls' sums per column, then the other nine lines'
        where = answer_model.where_the_gap_is(m.seed)
        assert where and where in text, text
        for column in ("mkl_numpy", "mkl", "mkl_torch"):
            big = sum(getattr(ln, column).value for ln in m.seed.ops if ln.op in answer_model.LARGE_MATMULS)
            rest = sum(getattr(ln, column).value for ln in m.seed.ops if ln.op not in answer_model.LARGE_MATMULS)
            assert fmt_time(big) in where.split("The other")[0] and fmt_time(rest) in where.split("The other")[1], where
    for m in measured(answer):
        if m.mkl is None:
            assert answer_model.forum_verdict(m) == ""


def test_the_page_is_the_same_bytes_twice(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    answer_page.write(CONF, a)
    answer_page.write(CONF, b)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert [str(f) for f in files] == ["answer/answer.css", "answer/index.html"]
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def test_the_command_prints_the_answer_as_markdown(committed):
    _, answer = committed
    proc = tool("answer")
    assert proc.returncode == 0, proc.stderr
    for m in answer.machines:
        assert answer_model.sentence(m) in proc.stdout
    for op in OP_NAMES:
        assert f"| `{op}` |" in proc.stdout


# -- a newcomer: the same results under a machine the site never saw -----------------------------

def test_a_newcomer_machine(tmp_path):
    conf_path = newcomer_results(tmp_path)
    conf = load_config(conf_path)
    answer = answer_model.build(conf)
    (m,) = measured(answer)
    assert m.name == NEWCOMER and m.main.graph["machine"] == NEWCOMER
    assert [ln.op for ln in m.seed.lines] == [answer_model.LOOP, *OP_NAMES]
    # the facts in its folder name kvm-epyc-2core: not this machine's, so not shown as its BLAS
    assert all("not recorded" in name for _, name in m.blas), m.blas
    assert NEWCOMER in answer_model.sentence(m)
    html = tmp_path / "html"
    run = subprocess.run([str(Path(TB).with_name("python")), "-m", "asv", "--config", str(conf_path), "publish",
                          "--no-pull", "--html-dir", str(html)], cwd=ROOT, text=True, capture_output=True)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    page = answer_page.write(conf_path, html)
    check_links(page, html, {NEWCOMER})
    proc = tool("answer", "--config", str(conf_path), "-m", NEWCOMER)
    assert proc.returncode == 0 and answer_model.sentence(m) in proc.stdout, proc.stderr


def test_a_machine_with_fewer_results(tmp_path):
    """Only the default environment at one commit, without the loop, the paired ratios or the
    counts (a partial `asv run -b ops`): every line still answered, on asv's test alone."""
    conf_path = newcomer_results(tmp_path)
    folder = tmp_path / "results" / NEWCOMER
    conf = load_config(conf_path)
    newest = load_result_set(conf, NEWCOMER)
    keep = newest.results[next(n for n in newest.env_names if n.endswith("numpy2.4.6-threadpoolctl3.8.0-torch2.13.0"))]
    for path in folder.glob("*-*.json"):
        doc = json.loads(path.read_text())
        if doc["commit_hash"] != newest.commit or doc["env_name"] != keep.env_name:
            path.unlink()
            continue
        doc["results"] = {k: v for k, v in doc["results"].items() if k.startswith("ops.PerOp.")}
        path.write_text(json.dumps(doc))
    shutil.rmtree(folder / "facts")
    answer = answer_model.build(conf)
    (m,) = measured(answer)
    assert m.mkl is None and m.main.commit == newest.commit
    assert [ln.op for ln in m.seed.lines] == [answer_model.LOOP, *OP_NAMES]
    assert m.seed.loop.numpy is None and not m.seed.loop.claim.claimed
    assert all(ln.claim.basis != claims.PAIRED for s in m.settings for ln in s.lines)
    assert_claims(conf, answer)
    text = answer_model.sentence(m)
    assert "the whole loop: not measured on both sides" in text and "NumPy+MKL" not in text
    page = Path(answer_page.write(conf_path, tmp_path / "html")).read_text(encoding="utf-8")
    assert "NumPy+MKL: not measured on this machine" in page and "not recorded" in page


def test_a_machine_without_the_default_environment(tmp_path):
    """Results, but none of numpy 2.4.6 x torch 2.13.0: listed, saying so, with no table."""
    conf_path = newcomer_results(tmp_path)
    for path in (tmp_path / "results" / NEWCOMER).glob("*-*.json"):
        if "numpy1.26.4" not in path.name:
            path.unlink()
    answer = answer_model.build(load_config(conf_path))
    m = next(m for m in answer.machines if m.name == NEWCOMER)
    assert m.missing.startswith("no per-op results of the default environment") and not m.settings
    assert "so no answer yet" in answer_model.sentence(m)
    page = Path(answer_page.write(conf_path, tmp_path / "html")).read_text(encoding="utf-8")
    assert "<table" not in page and m.missing in page


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    conf_path = newcomer_results(tmp_path)
    broken = next((tmp_path / "results" / NEWCOMER).glob("*-*.json"))
    cases = [(["answer", "-m", "no-such-machine"], "unknown machine 'no-such-machine'"),
             (["answer", "--config", str(tmp_path / "nope.json")], "no asv configuration"),
             (["answer", "--config", str(conf_path), "--html-dir", str(tmp_path / "results")],
              "inside the results folder"),
             (["answer", "--bogus"], "unrecognized arguments")]
    for args, fragment in cases:
        proc = tool(*args)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and fragment in lines[0], (args, proc.stderr)
        assert proc.stdout == "" and "Traceback" not in proc.stderr
    broken.write_text(broken.read_text()[:200])
    proc = tool("answer", "--config", str(conf_path), "--html-dir", str(tmp_path / "html"))
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and "corrupt results file" in lines[0], proc.stderr
    assert not (tmp_path / "html" / "answer").exists()      # nothing half-written


# -- in a browser ------------------------------------------------------------------------------------

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_page_in_chromium(committed, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: run tools/ensure-chromium")
    from playwright.sync_api import expect, sync_playwright
    _, answer = committed
    m = measured(answer)[0]
    site = tmp_path / "html"
    shutil.copytree(ROOT / "html", site, ignore=shutil.ignore_patterns("answer"))
    answer_page.write(CONF, site)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = Path(os.environ.get("ANSWER_SHOT") or ARTIFACTS / "answer.png")
    failed, errors = [], []
    with serve(site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"])
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(60_000)
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.goto(base + "answer/index.html")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(shot))
            # the headline fits one screen: the title, the sentence and the seed's whole table
            first = page.locator("section.machine").first
            expect(first.locator("p.answer")).to_have_text(answer_model.sentence(m))
            seed_panel = first.locator(".panel").first
            expect(seed_panel).to_be_visible()
            assert seed_panel.locator("tbody tr").count() == 1 + len(OP_NAMES)
            assert seed_panel.bounding_box()["y"] + seed_panel.bounding_box()["height"] <= VIEWPORT["height"]
            assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
            # the switch shows another setting, and only it
            other = next((i, s) for i, s in enumerate(m.settings) if s.params["threads"] != 1)
            first.locator("label", has_text=other[1].title).click()
            expect(first.locator(".panel").nth(other[0])).to_be_visible()
            expect(seed_panel).to_be_hidden()
            assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
            first.locator("label", has_text="(the seed)").click()
            # a row's graph link opens asv's graph on that selection: two lines, numpy and torch
            seed_panel.locator("tbody tr").nth(1).locator("a.graph").click()
            expect(page.locator("#graph-display canvas.flot-base").first).to_be_visible()
            page.wait_for_load_state("networkidle")
            expect(page.locator("#error-message")).to_be_hidden()
            nav = page.locator("#graphdisplay-navigation")
            for param, on, off in (("backend", ["numpy", "torch"], []), ("variant", ["naive"], ["optimised"]),
                                   ("dtype", ["float64"], ["float32"]), ("threads", ["1"], ["2"])):
                panel = nav.locator("div.panel").filter(has=page.locator("div.panel-heading", has_text=param))
                for value, active in [(v, True) for v in on] + [(v, False) for v in off]:
                    button = panel.locator("a.btn").filter(has_text=value)
                    expect(button).to_have_count(1)
                    cls = button.get_attribute("class") or ""
                    assert ("active" in cls.split()) == active, (param, value, cls)
        finally:
            browser.close()
    assert failed == [] and errors == [], (failed, errors)
