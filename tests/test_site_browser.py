"""The published site, opened in a real browser with no network: Debian's chromium, headless,
driven by playwright (never a browser of its own), as asv's own test/test_web.py does with
selenium. Plus: the committed html/ is in sync with results/ and benchmarks/.
"""
import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import ROOT, TB, asv_env

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
LOCAL_HOST = "127.0.0.1"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--no-first-run", "--disable-domain-reliability", "--metrics-recording-only",
    # Belt and braces: any name but 127.0.0.1 fails to resolve, as with the network cut.
    f"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE {LOCAL_HOST}",
]
TIMEOUT_MS = 60_000     # two shared cores: generous waits, never sleeps in the success path
REPORT_STUB = "<!doctype html><title>report stand-in</title><p>the per-op report</p>\n"


def site_command(*args, env=None):
    return subprocess.run([TB, *args], cwd=ROOT, env=env,
                          text=True, capture_output=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass        # a browser closing a connection early is not a failure of the site


@contextlib.contextmanager
def serve(directory):
    """Serve `directory` on 127.0.0.1 (an ephemeral port) from a thread; yield the base URL."""
    server = _QuietServer((LOCAL_HOST, 0), functools.partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOCAL_HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def offline_browser():
    """A headless Debian chromium context in which every request is recorded and any request to
    a host other than 127.0.0.1 is refused, as with the network cut. Yields (context, requests,
    foreign): all requested URLs, and those that went to another host."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: run tools/ensure-chromium (`make test` does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    requests, foreign = [], []

    def record(request):
        requests.append(request.url)
        if urlsplit(request.url).hostname != LOCAL_HOST:
            foreign.append(request.url)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.set_default_timeout(TIMEOUT_MS)
            context.on("request", record)
            context.route(lambda url: urlsplit(url).hostname != LOCAL_HOST,
                          lambda route: route.abort())
            yield context, requests, foreign
        finally:
            browser.close()


@pytest.fixture(scope="module")
def served_site(quick_run, asv_home):
    """The quick run published by the project's command into tmp/html, served on 127.0.0.1.

    A stand-in html/report/ is put there first: publishing must keep it and link it.
    """
    tmp, _ = quick_run
    html = tmp / "html"
    (html / "report").mkdir(parents=True, exist_ok=True)
    (html / "report" / "index.html").write_text(REPORT_STUB)
    proc = site_command("publish", "--config", str(tmp / "asv.conf.json"), env=asv_env(asv_home))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    with serve(html) as base:
        yield tmp, html, base


def test_published_site_is_self_contained(served_site):
    _, html, _ = served_site
    index = (html / "index.html").read_text()
    loads = [re.search(r'(?:src|href)="([^"]*)"', tag).group(1)
             for tag in re.findall(r"<(?:script|link)\b[^>]*(?:src|href)=[^>]*>", index)]
    assert len(loads) >= 15, loads
    assert [u for u in loads if re.match(r"^(?:[a-z]+:)?//", u)] == []
    assert sum(u.startswith("vendor/") for u in loads) == 10, loads
    assert (html / "report" / "index.html").read_text() == REPORT_STUB, "publish lost html/report/"
    assert 'href="report/index.html"' in index
    proc = site_command("check-offline", str(html))
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr


def test_site_in_headless_chromium_with_no_network(served_site):
    tmp, html, base = served_site
    from playwright.sync_api import expect

    benchmarks = json.loads((tmp / "results" / "benchmarks.json").read_text())
    project = json.loads((tmp / "asv.conf.json").read_text())["project"]
    names = sorted(n for n in benchmarks if n != "version")
    clicked = "loop.Loop.time_train"
    assert clicked in names and {"backend", "dtype"} <= set(benchmarks[clicked]["param_names"])

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "site-graph.png"
    page_errors = []
    t0 = time.monotonic()
    with offline_browser() as (context, requests, foreign):
        page = context.new_page()
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        page.goto(base + "index.html")

        # asv sets the title once index.json has loaded (a failed script sends it to error.html).
        expect(page).to_have_title(f"airspeed velocity of an unladen {project}")
        assert not page.url.endswith("error.html")

        # The grid lists every benchmark of benchmarks.json.
        grid = page.locator("#summarygrid-display")
        expect(grid.locator("div.benchmark-text")).to_have_count(len(names))
        for name in names:
            expect(grid.locator(f'a[href="#{name}"] div.benchmark-text')).to_have_count(1)

        # Clicking one renders a graph.
        grid.locator(f'a[href="#{clicked}"]').click()
        expect(page.locator("#graph-display canvas.flot-base").first).to_be_visible()

        # The backend and dtype parameter buttons toggle.
        nav = page.locator("#graphdisplay-navigation")
        for param, value in (("backend", "torch"), ("dtype", "float32")):
            panel = nav.locator("div.panel").filter(
                has=page.locator("div.panel-heading", has_text=re.compile(rf"^\s*{param}\s*$")))
            button = panel.locator("a.btn", has_text=re.compile(rf"^\s*'?{value}'?\s*$"))
            expect(button).to_have_count(1)
            expect(button).to_have_class(re.compile(r"\bactive\b"))
            button.click()
            expect(button).not_to_have_class(re.compile(r"\bactive\b"))
            button.click()
            expect(button).to_have_class(re.compile(r"\bactive\b"))
        expect(page.locator("#graph-display canvas.flot-base").first).to_be_visible()

        # No error box (asv shows it when a graph fails to load); let late loads finish first.
        page.wait_for_load_state("networkidle")
        expect(page.locator("#error-message")).to_be_hidden()
        page.screenshot(path=str(shot))

        # The report is linked from the navigation bar and opens.
        page.locator("#nav-li-report a").click()
        expect(page.locator("body")).to_contain_text("the per-op report")
    print(f"\nscreenshot: {shot}  ({len(requests)} requests, {time.monotonic() - t0:.1f} s)")

    assert not page_errors, page_errors
    assert foreign == [], f"{len(foreign)} requests left 127.0.0.1: {foreign}"
    assert any("/vendor/flot-0.8.3/" in u for u in requests), requests


def test_unpatched_asv_page_fails_offline_here(quick_run, asv_home):
    """The control: asv's own page, as `asv publish` writes it, fails in this harness (its CDN
    requests are seen and refused), so the test above would catch a leak."""
    tmp, _ = quick_run
    raw = tmp / "html-asv-only"
    run = subprocess.run([sys.executable, "-m", "asv", "--config", str(tmp / "asv.conf.json"),
                          "publish", "--no-pull", "--html-dir", str(raw)],
                         env=asv_env(asv_home), text=True, capture_output=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    with serve(raw) as base, offline_browser() as (context, requests, foreign):
        page = context.new_page()
        page.goto(base + "index.html")
        page.wait_for_url("**/error.html")
    assert len(foreign) >= 10, requests


def test_site_command_bad_input_is_one_line_exit_2(tmp_path):
    for args, fragment in (
        (["publish", "--config", str(tmp_path / "nope.json")], "asv config not found"),
        (["check-offline", str(tmp_path)], "not a published asv site"),
    ):
        proc = site_command(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in proc.stderr, lines


def test_publish_refuses_a_tampered_vendored_file(tmp_path):
    from twolayer_tools import site
    vendor = tmp_path / "site_vendor"
    shutil.copytree(site.VENDOR_DIR, vendor)
    target = vendor / "files" / "jquery-3.3.1" / "jquery.min.js"
    target.write_bytes(target.read_bytes() + b"\n// tampered\n")
    with pytest.raises(site.SiteError, match="does not match its sha512"):
        site.verified_vendor_files(vendor)


def _committed(*paths):
    proc = subprocess.run(["git", "ls-files", "--", *paths], cwd=ROOT, text=True,
                          capture_output=True)
    if proc.returncode:        # not a git checkout: whatever is on disk counts as committed
        return [p.relative_to(ROOT).as_posix() for d in paths for p in (ROOT / d).rglob("*")
                if p.is_file()]
    return proc.stdout.split()


def test_committed_html_is_in_sync_with_results_and_benchmarks():
    results = [p for p in _committed("results")
               if p.endswith(".json") and Path(p).name not in ("machine.json", "benchmarks.json")]
    if not results:
        pytest.skip("no results are committed yet (results/<machine>/*.json): nothing to check "
                    "html/ against")
    assert _committed("html/index.html"), \
        f"{len(results)} result files are committed but html/ is not: run `make publish` and commit html/"
    proc = site_command("check-sync")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


def test_timeline_in_headless_chromium_with_no_network():
    """The committed site's timeline page: linked from asv's navigation bar, drawn with the
    vendored flot, the op/dtype/threads selectors redraw it, hovering a point reads its value."""
    from playwright.sync_api import expect
    html = ROOT / "html"
    page_file = html / "timeline" / "index.html"
    assert page_file.is_file(), "html/timeline/ is missing: run `make releases`, then `make publish`"
    data = json.loads(re.search(r'<script type="application/json" id="timeline-data">(.*?)</script>',
                                page_file.read_text(), re.S).group(1))
    key = "y_pred|float32|2"
    shown = sum(key in r["points"] for rels in data["lines"].values() for r in rels)

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "site-timeline.png"
    page_errors = []
    with serve(html) as base, offline_browser() as (context, requests, foreign):
        page = context.new_page()
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        page.goto(base + "index.html")
        expect(page.locator("#nav-li-timeline a")).to_have_text("Timeline")
        page.locator("#nav-li-timeline a").click()
        expect(page).to_have_title("twolayer-bench: time against release")
        expect(page.locator("#plot canvas.flot-base")).to_be_visible()
        expect(page.locator("#changed li").first).to_be_visible()

        page.select_option("#op", "y_pred")
        page.select_option("#dtype", "float32")
        page.select_option("#threads", "2")
        expect(page.locator("#line-text")).to_have_text("y_pred = h_relu.dot(w2)")
        expect(page.locator("#points tr")).to_have_count(1 + shown)

        # Hover the oldest stable NumPy point: the tooltip names its release, BLAS and commit.
        x, y, release = page.evaluate("""() => {
            var plot = window.timelinePlot, s = plot.getData()[0];
            var pt = plot.pointOffset({x: s.data[0][0], y: s.data[0][1]}), off = $('#plot').offset();
            return [pt.left + off.left, pt.top + off.top, s.meta[0].r.release]; }""")
        first = next(r for r in data["lines"]["numpy"] if r["release"] == release)
        page.mouse.move(x, y)
        tip = page.locator("#tip")
        expect(tip).to_be_visible()
        expect(tip).to_contain_text(f"numpy {release}")
        expect(tip).to_contain_text(first["blas"])
        expect(tip).to_contain_text(first["points"][key]["commit"][:8])
        page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot: {shot}  ({len(requests)} requests)")
    assert not page_errors, page_errors
    assert foreign == [], f"{len(foreign)} requests left 127.0.0.1: {foreign}"
    assert any("/vendor/flot-0.8.3/jquery.flot.time.js" in u for u in requests), requests


def test_page_registry_links_first_pages_before_asv_and_others_after_regressions(tmp_path):
    """One registry entry per page: a `first` page is linked before asv's 'Benchmark grid', the
    others after 'Regressions', in registry order, once, and only the pages a build produced."""
    from twolayer_tools import pages
    asv_index = Path(__import__("asv").__file__).parent / "www" / "index.html"
    index = tmp_path / "index.html"
    index.write_text(asv_index.read_text())
    registry = (pages.Page("answer", "Answer", "the answer", first=True),
                pages.Page("report", "Report", "the report"),
                pages.Page("docs", "Docs", "the docs"))
    (tmp_path / "answer").mkdir()
    (tmp_path / "answer" / "index.html").write_text("answer")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.html").write_text("docs")
    built = pages.produced(tmp_path, registry)
    assert [p.folder for p in built] == ["answer", "docs"]
    pages.link_pages(index, built)
    pages.link_pages(index, built)      # idempotent
    order = re.findall(r'<li id="nav-li-([\w-]*)"', index.read_text())
    assert order[:5] == ["answer", "", "summarylist", "regressions", "docs"], order
    assert order.count("answer") == 1 and "report" not in order


def test_docs_links_resolve_on_the_site_or_in_the_repository(tmp_path):
    """docs/*.md -> html/docs/*.html: links between docs become .html, a repository file goes to
    project_url, a file this checkout lacks becomes plain code; heading ids are GitHub's."""
    from twolayer_tools import site_docs
    from twolayer_tools.results import load_config
    conf = load_config(str(ROOT / "asv.conf.json"))
    body = site_docs._render("# A title\n\n## The tick: NumPy's threads\n\n"
                             "[a](noise.md#x) [b](../Makefile) [c](../no/such.py) [d](#the-tick-numpys-threads) "
                             "[e](https://example.org)\n")
    out = site_docs.rewrite_links(body, ROOT / "docs", ROOT, conf)
    assert 'id="the-tick-numpys-threads"' in out
    assert 'href="noise.html#x"' in out
    assert f'href="{conf.project_url}/blob/main/Makefile"' in out
    assert "<code>c</code>" in out and "no/such.py" not in out
    assert 'href="#the-tick-numpys-threads"' in out and 'href="https://example.org"' in out
    written = site_docs.write(ROOT / "asv.conf.json", tmp_path)
    assert "noise" in written and (tmp_path / "docs" / "noise.html").is_file()
    assert sorted(p.stem for p in (tmp_path / "docs").glob("*.html")) == sorted(written + ["index"])
