"""Every page and every link of the committed site (html/), walked in Debian's chromium with no
network: the project's pages (each HTML file), asv's views (grid, list, regressions) and every
benchmark's graph page. It fails on a request that fails or answers 4xx/5xx, a console error, a
link inside the site that does not resolve (a file, an #anchor of a project page, or an asv route
that names a benchmark of index.json with parameters it has), and an empty panel without the
sentence that says why (a tile or graph with no point or one; the Regressions page)."""
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from conftest import ROOT
from test_site_browser import ARTIFACTS, offline_browser, serve

HTML = ROOT / "html"
ASV_VIEWS = ("", "summarylist", "regressions")    # asv's own routes: index.html#/<view>
ASV_STATE_KEYS = {"commits", "x-axis", "y-axis-scale", "x-axis-scale", "time", "idx"}
SETTLE_MS = 300          # no request in flight for this long: the page has loaded what it loads
SETTLE_LIMIT_MS = 60_000


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("id", "name") and v:
                self.ids.add(v)


_ids_cache = {}


def file_ids(path):
    """The ids (and anchor names) of the HTML file at `path`."""
    if path not in _ids_cache:
        parser = _Ids()
        parser.feed(path.read_text(errors="replace"))
        _ids_cache[path] = parser.ids
    return _ids_cache[path]


def measured_revisions(name):
    """Revisions with a measured value in any of the benchmark's graphs (what its pages draw)."""
    revs = set()
    for path in (HTML / "graphs").rglob(f"{name}.json"):
        if "summary" in path.relative_to(HTML / "graphs").parts[:1]:
            continue
        for rev, value in json.loads(path.read_text()):
            if (any(v is not None for v in value) if isinstance(value, list) else value is not None):
                revs.add(rev)
    return revs


def summary_points(name):
    path = HTML / "graphs" / "summary" / f"{name}.json"
    return [p for p in json.loads(path.read_text()) if p[1] is not None] if path.is_file() else []


class Walk:
    """What the walk saw: pages, links, requests, and every failure as one line."""

    def __init__(self, base, index):
        self.base, self.index = base, index
        self.pages, self.links, self.requests = 0, set(), 0
        self.failed = []
        self.inflight = 0
        self.external = set()
        self.noted = {"tiles": 0, "graphs": 0}

    # -- requests and console ------------------------------------------------------------------
    def attach(self, context):
        def started(request):
            self.requests += 1
            self.inflight += 1

        def ended(request):
            self.inflight -= 1

        def failed(request):
            self.inflight -= 1
            self.failed.append(f"request failed: {request.url} ({request.failure})")

        def response(resp):
            if resp.status >= 400:
                self.failed.append(f"HTTP {resp.status}: {resp.url}")
        context.on("request", started)
        context.on("requestfinished", ended)
        context.on("requestfailed", failed)
        context.on("response", response)

    def watch(self, page, where):
        page.on("console", lambda m: m.type == "error" and self.failed.append(
            f"console error on {where()}: {m.text}"))
        page.on("pageerror", lambda exc: self.failed.append(f"page error on {where()}: {exc}"))

    def settle(self, page):
        """Wait until no request has been in flight for SETTLE_MS (asv loads graphs on demand)."""
        quiet, waited = 0, 0
        while quiet < SETTLE_MS and waited < SETTLE_LIMIT_MS:
            page.wait_for_timeout(50)
            waited += 50
            quiet = quiet + 50 if self.inflight <= 0 else 0

    # -- links ---------------------------------------------------------------------------------
    def check_link(self, page_url, href, live_ids=()):
        url = urlsplit(href)
        if url.scheme not in ("http", "https") or url.hostname != urlsplit(self.base).hostname \
                or url.port != urlsplit(self.base).port:
            if url.scheme in ("http", "https"):
                self.external.add(href)
            return
        self.links.add(href)
        rel = unquote(url.path)[1:]
        target = HTML / rel
        if rel == "" or target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            self.failed.append(f"dead link on {page_url}: {href} (no file html/{rel})")
            return
        if not url.fragment:
            return
        if target == HTML / "index.html":
            self.check_route(page_url, href, url.fragment)
            return
        frag = unquote(url.fragment)
        same_page = urlsplit(page_url).path == url.path
        if frag not in file_ids(target) and not (same_page and frag in live_ids):
            self.failed.append(f"dead anchor on {page_url}: {href} (no id {frag!r} in html/{rel})")

    def check_route(self, page_url, href, fragment):
        """An asv route (index.html#<route>?<state>): a view of asv's, or a benchmark of
        index.json with parameters it has."""
        route, _, query = fragment.lstrip("/").partition("?")
        route = unquote(route)
        if route in ASV_VIEWS:
            return
        bench = self.index["benchmarks"].get(route)
        if bench is None:
            self.failed.append(f"dead route on {page_url}: {href} (no benchmark {route!r} in index.json)")
            return
        for key, values in parse_qs(query).items():
            if key.startswith("p-"):
                names = bench.get("param_names", [])
                if key[2:] not in names:
                    self.failed.append(f"bad route on {page_url}: {href} ({route} has no parameter {key[2:]!r})")
                    continue
                allowed = {str(v).strip("'\"") for v in bench["params"][names.index(key[2:])]}
                for v in values:
                    if v.strip("'\"") not in allowed:
                        self.failed.append(f"bad route on {page_url}: {href} ({key[2:]}={v!r} is not one of {sorted(allowed)})")
            elif key not in ASV_STATE_KEYS and key not in self.index["params"]:
                self.failed.append(f"bad route on {page_url}: {href} (asv knows no selection {key!r})")

    def check_page_links(self, page):
        found = page.evaluate("""() => ({
            links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
            ids: Array.from(document.querySelectorAll('[id],[name]')).map(e => e.id || e.getAttribute('name'))})""")
        for href in found["links"]:
            self.check_link(page.url, href, set(found["ids"]))


@pytest.fixture(scope="module")
def committed_site():
    if not (HTML / "index.html").is_file():
        pytest.skip("html/ is not published in this checkout")
    index = json.loads((HTML / "index.json").read_text())
    with serve(HTML) as base:
        yield base, index


def test_walk_every_page_and_link(committed_site):
    from playwright.sync_api import expect
    base, index = committed_site
    walk = Walk(base, index)
    files = sorted(p for p in HTML.rglob("*.html") if p.relative_to(HTML).parts[0] != "vendor")
    benchmarks = sorted(index["benchmarks"])
    current = {"where": ""}

    ARTIFACTS.mkdir(exist_ok=True)
    with offline_browser() as (context, requests, foreign):
        walk.attach(context)
        page = context.new_page()
        walk.watch(page, lambda: current["where"])

        # The project's pages (and asv's, as files): every HTML file of the site.
        for path in files:
            rel = path.relative_to(HTML).as_posix()
            current["where"] = rel
            page.goto(base + rel)
            walk.settle(page)
            walk.pages += 1
            walk.check_page_links(page)

        # asv's views: the grid (scrolled through, so every tile loads its summary graph), the
        # list and the regressions page.
        current["where"] = "index.html#/"
        page.goto(base + "index.html#/")
        expect(page.locator("#summarygrid-display a.benchmark-container")).to_have_count(len(benchmarks))
        height = page.evaluate("document.body.scrollHeight")
        for y in range(0, height + 900, 600):
            page.evaluate(f"window.scrollTo(0, {y})")
            walk.settle(page)
        walk.pages += 1
        walk.check_page_links(page)
        for name in benchmarks:
            tile = page.locator(f'#summarygrid-display a.benchmark-container[href="#{name}"]')
            if len(summary_points(name)) < 2:
                expect(tile.locator(".site-note"), f"the tile of {name} draws no line").to_have_count(1)
                assert tile.locator(".site-note").inner_text().strip(), name
                walk.noted["tiles"] += 1
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(ARTIFACTS / "site-walk-grid.png"))

        for view, shown in (("summarylist", "#summarylist-body table"),
                            ("regressions", "#regressions-body")):
            current["where"] = f"index.html#/{view}"
            page.evaluate(f"window.location.hash = '#/{view}'")
            expect(page.locator(shown).first).to_be_visible()
            walk.settle(page)
            walk.pages += 1
            walk.check_page_links(page)
        note = page.locator("#site-note-regressions")
        expect(note).to_be_visible()
        text = note.inner_text()
        from asv import util
        conf = util.load_json(str(ROOT / "asv.conf.json"), js_comments=True)
        for pattern in conf["regressions_thresholds"]:
            assert pattern in note.inner_html().replace("&#39;", "'"), pattern
        for commit in conf.get("regressions_first_commits", {}).values():
            assert commit is None or commit[:8] in text, commit
        listed = json.loads((HTML / "regressions.json").read_text())["regressions"]
        assert ("It lists none" in text) == (not listed), text[:300]
        page.screenshot(path=str(ARTIFACTS / "site-walk-regressions.png"))

        # Every benchmark's graph page.
        for name in benchmarks:
            current["where"] = f"index.html#{name}"
            page.evaluate("name => { window.location.hash = '#' + name; }", name)
            expect(page.locator("#graphdisplay-navigation")).to_be_visible()
            walk.settle(page)
            walk.pages += 1
            if len(measured_revisions(name)) < 2:
                expect(page.locator("#site-note-graph"), f"{name}'s graph is empty").to_be_visible()
                expect(page.locator("#site-note-graph")).to_contain_text(name)
                if walk.noted["graphs"] == 0:
                    page.screenshot(path=str(ARTIFACTS / "site-walk-empty-graph.png"))
                walk.noted["graphs"] += 1
            else:
                expect(page.locator("#main-graph canvas.flot-base").first).to_be_visible()
                expect(page.locator("#site-note-graph")).to_have_count(0)
            walk.check_page_links(page)
            expect(page.locator("#error-message")).to_be_hidden()

    print(f"\nwalked {walk.pages} pages ({len(files)} files, {len(ASV_VIEWS)} asv views, "
          f"{len(benchmarks)} graph pages), {len(walk.links)} distinct links inside the site "
          f"({len(walk.external)} outside it, not followed), {walk.requests} requests, "
          f"failed: {len(walk.failed)}; empty panels with their sentence: {walk.noted['tiles']} "
          f"tiles, {walk.noted['graphs']} graph pages")
    (ARTIFACTS / "site-walk-failures.txt").write_text("".join(f"{line}\n" for line in sorted(set(walk.failed))))
    assert foreign == [], f"{len(foreign)} requests left 127.0.0.1: {foreign[:5]}"
    assert not walk.failed, f"{len(walk.failed)} failures:\n" + "\n".join(sorted(set(walk.failed))[:400])


def test_the_walk_catches_dead_links_anchors_and_routes():
    """The control: each kind of dead link the walk looks for is reported (no browser needed)."""
    index = json.loads((HTML / "index.json").read_text())
    name = next(n for n, b in index["benchmarks"].items() if b.get("param_names"))
    param = index["benchmarks"][name]["param_names"][0]
    base = "http://127.0.0.1:8000/"
    walk = Walk(base, index)
    good = [base + "index.html", base + "docs/noise.html#the-reliability-mark",
            base + f"index.html#{name}", base + "index.html#/regressions", "https://example.org/x"]
    bad = [base + "docs/nope.html", base + "docs/noise.html#no-such-heading",
           base + "index.html#no.such.benchmark", base + f"index.html#{name}?p-nope=1",
           base + f"index.html#{name}?p-{param}=not-a-value", base + f"index.html#{name}?nope=1"]
    for href in good:
        walk.check_link(base + "index.html", href)
    assert walk.failed == []
    for href in bad:
        walk.check_link(base + "index.html", href)
    assert len(walk.failed) == len(bad), walk.failed
