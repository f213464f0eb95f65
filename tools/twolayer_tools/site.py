"""The published site: `asv publish`, then made self-contained so it works with no network.

asv 0.6's ``index.html`` loads jQuery, flot, flot-orderbars, stupidtable, blueimp-md5 and
Bootstrap from public CDNs; offline the page only shows asv's "Can not determine continental
origin of swallow" error. This module publishes the site and then serves every script,
stylesheet and font from ``html/vendor/`` instead, copied from ``site_vendor/``: files taken once
from the npm registry (tarball integrity checked against the registry's ``dist.integrity``),
committed to the repository with their sha512 in ``site_vendor/manifest.json``, and checked
against it on every publish. Nothing is fetched when publishing or when viewing the site.

    twolayer-bench publish [--config asv.conf.json] [--html-dir DIR]
        `asv publish` (every machine of results/), then make the site self-contained and link
        the report (html/report/).
    twolayer-bench check-offline [HTML_DIR]
        List every script, stylesheet, image or font the site would load from another host.
    twolayer-bench check-sync [--config asv.conf.json]
        Is the committed html/ in sync with results/ and benchmarks/? (exit 1 when not)
    twolayer-bench vendor
        Maintainers only: fetch the files below with `npm pack` and rewrite site_vendor/.

Bad input (a missing config or directory, a vendored file that fails its hash): one line on
stderr and exit status 2.
"""
import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .atomic import checkpoint, staged_folder, write_text
from .errors import FINDING, BadInput
from .results import check_results_readable, checkout, config_path, load_config, suite_benchmarks

HTML_VENDOR = "vendor"      # html/<this>/...: where the vendored files are served from
KEEP = ("report",)          # folders of html/ that are not asv's: kept across `asv publish`
REPORT_INDEX = "report/index.html"
TIMELINE_INDEX = "timeline/index.html"   # written by timeline.py on every publish

# What asv 0.6.6's www/index.html loads from CDNs, and the npm file that replaces each.
# (npm package, version, path in its tarball, path under site_vendor/files and html/vendor,
#  the tail of the CDN address asv's page loads it from, or None for a file it loads itself.)
# Two are not byte-identical to asv's CDN copies (the manifest says so per file):
# - flot 0.8.3: the CDN serves its own minification; npm ships the same release unminified.
# - stupidtable 1.0.1 is not on the npm registry (neither under `stupidtable` nor under the
#   plugin's own package name, `stupid-table-plugin`, whose only release there is 1.1.3). 1.1.3
#   keeps the API asv uses: .stupidtable(sort_fns), th.stupidsort(dir), 'aftertablesort'
#   with {column, direction}.
VENDOR_SPEC = [
    ("jquery", "3.3.1", "dist/jquery.min.js", "jquery-3.3.1/jquery.min.js", "/jquery-3.3.1.min.js"),
    ("flot", "0.8.3", "jquery.flot.js", "flot-0.8.3/jquery.flot.js",
     "/flot/0.8.3/jquery.flot.min.js"),
    ("flot", "0.8.3", "jquery.flot.time.js", "flot-0.8.3/jquery.flot.time.js",
     "/flot/0.8.3/jquery.flot.time.min.js"),
    ("flot", "0.8.3", "jquery.flot.selection.js", "flot-0.8.3/jquery.flot.selection.js",
     "/flot/0.8.3/jquery.flot.selection.min.js"),
    ("flot", "0.8.3", "jquery.flot.categories.js", "flot-0.8.3/jquery.flot.categories.js",
     "/flot/0.8.3/jquery.flot.categories.min.js"),
    ("flot-orderbars", "1.0.0", "js/jquery.flot.orderBars.js",
     "flot-orderbars-1.0.0/jquery.flot.orderBars.js",
     "/flot-orderbars@1.0.0/js/jquery.flot.orderBars.js"),
    ("stupid-table-plugin", "1.1.3", "stupidtable.min.js", "stupid-table-plugin-1.1.3/stupidtable.min.js",
     "/stupidtable/1.0.1/stupidtable.min.js"),
    ("blueimp-md5", "2.19.0", "js/md5.min.js", "blueimp-md5-2.19.0/md5.min.js",
     "/blueimp-md5/2.19.0/js/md5.min.js"),
    ("bootstrap", "3.1.1", "dist/js/bootstrap.min.js", "bootstrap-3.1.1/js/bootstrap.min.js",
     "/bootstrap@3.1.1/dist/js/bootstrap.min.js"),
    ("bootstrap", "3.1.1", "dist/css/bootstrap.min.css", "bootstrap-3.1.1/css/bootstrap.min.css",
     "/bootstrap@3.1.1/dist/css/bootstrap.min.css"),
] + [
    # bootstrap.min.css loads its glyphicons from ../fonts/: served beside it.
    ("bootstrap", "3.1.1", f"dist/fonts/glyphicons-halflings-regular.{ext}",
     f"bootstrap-3.1.1/fonts/glyphicons-halflings-regular.{ext}", None)
    for ext in ("eot", "svg", "ttf", "woff")
]


# Why a vendored file is not byte-identical to the CDN copy asv's page names (see above).
NOT_SAME_BYTES = {
    "flot": "the CDN serves its own minification of flot 0.8.3; npm ships the release unminified",
    "stupid-table-plugin": "stupidtable 1.0.1 is not on the npm registry; 1.1.3 (the only release "
                           "there) keeps the API asv uses",
}


class SiteError(BadInput):
    """Bad input or a failed check of the site: reported as one line, exit status 2."""


def __getattr__(name):
    """``VENDOR_DIR``, ``MANIFEST``: the current checkout's site_vendor/ (see results.ROOT)."""
    if name == "VENDOR_DIR":
        return Path.cwd() / "site_vendor"
    if name == "MANIFEST":
        return Path.cwd() / "site_vendor" / "manifest.json"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _vendor_dir(vendor_dir, conf_path=None):
    """`vendor_dir`, else the site_vendor/ of the checkout of `conf_path` (else of the current one)."""
    if vendor_dir is not None:
        return Path(vendor_dir)
    return checkout(config_path(conf_path)) / "site_vendor"


# ---------------------------------------------------------------------------------------------
# hashes and the manifest

def sri(data, algo="sha512"):
    """Subresource-integrity form of a hash: 'sha512-<base64>'."""
    return f"{algo}-" + base64.b64encode(hashlib.new(algo, data).digest()).decode()


def load_manifest(vendor_dir=None):
    path = _vendor_dir(vendor_dir) / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise SiteError(f"{path} is missing; restore site_vendor/ from git "
                        "(or run `twolayer-bench vendor` with access to the npm registry)")
    except ValueError as exc:
        raise SiteError(f"{path} is not valid JSON ({exc}); restore it from git")
    listed = {(f["package"], f["version"], f["path"], f["dest"], f["replaces"])
              for f in manifest.get("files", [])}
    if listed != set(VENDOR_SPEC):
        raise SiteError(f"{path} does not list the files twolayer_tools.site.VENDOR_SPEC names; "
                        "run `twolayer-bench vendor`")
    return manifest


def verified_vendor_files(vendor_dir=None):
    """[(manifest entry, bytes)] for every vendored file, each checked against its sha512."""
    vendor_dir = _vendor_dir(vendor_dir)
    manifest = load_manifest(vendor_dir)
    out = []
    for entry in manifest["files"]:
        path = Path(vendor_dir) / "files" / entry["dest"]
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise SiteError(f"{path} is missing; restore site_vendor/ from git")
        if sri(data) != entry["sha512"]:
            raise SiteError(f"{path} does not match its sha512 in {vendor_dir}/manifest.json; "
                            "restore it from git")
        out.append((entry, data))
    return out


# ---------------------------------------------------------------------------------------------
# rewriting the pages

TAG_RE = re.compile(r"<(script|link|img|iframe|source|audio|video|embed)\b[^>]*>", re.IGNORECASE)
ATTR_RE = r"""(?<![\w-]){name}\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))"""
# <link rel=...> values that make the browser fetch the target.
LOADING_RELS = {"stylesheet", "icon", "preload", "prefetch", "modulepreload", "manifest",
                "apple-touch-icon", "preconnect", "dns-prefetch", "prerender"}
CSS_URL_RE = re.compile(r"""url\(\s*['"]?([^'")]+)|@import\s+['"]([^'"]+)""", re.IGNORECASE)


def _attr(tag, name):
    m = re.search(ATTR_RE.format(name=name), tag, re.IGNORECASE)
    return None if m is None else next((g for g in m.groups() if g is not None), "")


def _is_external(url):
    return bool(re.match(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", url, re.IGNORECASE))


def _loaded_url(tag):
    """The address a tag makes the browser load, or None."""
    kind = tag[1:].split(None, 1)[0].rstrip(">").lower()
    if kind == "link":
        rels = set((_attr(tag, "rel") or "").lower().split())
        return _attr(tag, "href") if rels & LOADING_RELS else None
    return _attr(tag, "src")


def _rewrite_tag(tag, local_url, integrity):
    url_attr = "href" if tag[1:5].lower() == "link" else "src"
    tag = re.sub(ATTR_RE.format(name=url_attr), f'{url_attr}="{local_url}"', tag, count=1,
                 flags=re.IGNORECASE)
    for name in ("crossorigin", "referrerpolicy"):
        tag = re.sub(r"\s+" + ATTR_RE.format(name=name), "", tag, flags=re.IGNORECASE)
    if _attr(tag, "integrity") is not None:
        tag = re.sub(ATTR_RE.format(name="integrity"), f'integrity="{integrity}"', tag,
                     flags=re.IGNORECASE)
    else:
        tag = re.sub(r"^<(\w+)", rf'<\1 integrity="{integrity}"', tag)
    return tag


def localize_page(text, vendor_prefix, entries):
    """Point every CDN load of an asv page at html/vendor/; the integrity becomes our sha512."""
    def repl(m):
        tag = m.group(0)
        url = _loaded_url(tag)
        if url is None or not _is_external(url):
            return tag
        path = url.split("?", 1)[0].split("#", 1)[0]
        for entry in entries:
            if entry["replaces"] and path.endswith(entry["replaces"]):
                return _rewrite_tag(tag, f"{vendor_prefix}{entry['dest']}", entry["sha512"])
        return tag      # left for check_offline to report
    return TAG_RE.sub(repl, text)


def external_loads(html_dir):
    """['page: address'] for everything under html_dir that would load from another host."""
    html_dir = Path(html_dir)
    found = []
    for path in sorted(html_dir.rglob("*")):
        rel = path.relative_to(html_dir).as_posix()
        if path.suffix.lower() in (".html", ".htm"):
            text = path.read_text(errors="replace")
            urls = [_loaded_url(m.group(0)) for m in TAG_RE.finditer(text)]
            urls += [a or b for a, b in CSS_URL_RE.findall(
                " ".join(re.findall(r"<style\b[^>]*>(.*?)</style>", text, re.S | re.I)))]
        elif path.suffix.lower() == ".css":
            urls = [a or b for a, b in CSS_URL_RE.findall(path.read_text(errors="replace"))]
        else:
            continue
        found += [f"{rel}: {u}" for u in urls if u and _is_external(u)]
    return found


NAV_PAGES = (
    ("report", REPORT_INDEX, "The per-op report: NumPy vs PyTorch per environment", "Report"),
    ("timeline", TIMELINE_INDEX, "Every op and the loop against NumPy and torch release", "Timeline"),
)
"""The project's own pages, linked from asv's navigation bar after 'Regressions' when published."""


def link_page(index_html, key, href, title, label):
    """Add `label` (linking `href`) to the navigation bar of asv's index.html once, at its end."""
    text = index_html.read_text()
    if f'id="nav-li-{key}"' in text:
        return
    keys = "|".join(["regressions"] + [k for k, *_ in NAV_PAGES])
    items = list(re.finditer(rf'<li id="nav-li-(?:{keys})">.*?</li>', text, re.S))
    if not any(m.group(0).startswith('<li id="nav-li-regressions"') for m in items):
        raise SiteError(f"{index_html}: asv's navigation bar has no 'Regressions' item to put "
                        f"the {key}'s link beside (a different asv version?)")
    end = items[-1].end()
    item = f'\n\t<li id="nav-li-{key}"><a href="{href}" title="{title}">{label}</a></li>'
    index_html.write_text(text[:end] + item + text[end:])


def localize(html_dir, vendor_dir=None):
    """Make an asv site self-contained: vendored files into html/vendor/, pages rewritten."""
    html_dir = Path(html_dir)
    if not (html_dir / "index.html").is_file():
        raise SiteError(f"{html_dir} holds no index.html: not a published asv site")
    files = verified_vendor_files(vendor_dir)
    entries = [e for e, _ in files]
    for entry, data in files:
        dest = html_dir / HTML_VENDOR / entry["dest"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    for page in sorted(html_dir.rglob("*.htm*")):
        rel = page.relative_to(html_dir)
        if rel.parts[0] == HTML_VENDOR:
            continue
        prefix = "../" * (len(rel.parts) - 1) + HTML_VENDOR + "/"
        text = page.read_text()
        new = localize_page(text, prefix, entries)
        if new != text:
            page.write_text(new)
    for key, href, title, label in NAV_PAGES:
        if (html_dir / href).is_file():
            link_page(html_dir / "index.html", key, href, title, label)
    left = external_loads(html_dir)
    if left:
        raise SiteError(f"{html_dir} still loads from other hosts: {'; '.join(left)} "
                        "(add the file to twolayer_tools.site.VENDOR_SPEC, or make that page self-contained)")


# ---------------------------------------------------------------------------------------------
# publish

def _config(path):
    path = config_path(path)
    if not path.is_file():
        raise SiteError(f"asv config not found: {path}")
    from asv import util
    try:
        conf = util.load_json(str(path), js_comments=True)
    except Exception as exc:        # asv raises its own UserError for malformed JSON
        raise SiteError(f"cannot read asv config {path}: {exc}".splitlines()[0])
    return path, conf


def _conf_path(conf_path, conf, key, default):
    value = Path(conf.get(key, default))
    return value if value.is_absolute() else conf_path.parent / value


def check_inputs(conf_path, conf):
    """Everything publishing reads, checked before anything is written (BadInput, one line):
    results/ as strictly as the loader reads it, and the release sweep's folders. Returns results/."""
    results_dir = _conf_path(conf_path, conf, "results_dir", "results")
    check_results_readable(str(results_dir), require_benchmarks=True)
    check_release_inputs(conf_path)
    return results_dir


def check_release_inputs(conf_path):
    """BadInput for a damaged file of the release sweep (releases/, releases-repeat/): a results
    or facts file, or a sweep status that is not a table of releases."""
    from .releases import REPEAT_DIR, RESULTS_DIR, status_path
    root = Path(conf_path).parent
    for folder in (root / RESULTS_DIR, root / REPEAT_DIR):
        if not folder.is_dir():
            continue
        check_results_readable(str(folder))
        for machine_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            path = status_path(str(folder), machine_dir.name)
            if not Path(path).exists():
                continue
            try:
                status = json.loads(Path(path).read_text(encoding="utf-8"))
            except (ValueError, OSError, UnicodeDecodeError) as exc:
                raise SiteError(f"corrupt sweep status {path}: {str(exc).splitlines()[0]}") from None
            if not (isinstance(status, dict) and all(isinstance(v, dict) for v in status.values())):
                raise SiteError(f"corrupt sweep status {path}: not a table of releases")


def run_to_end(cmd, cwd):
    """(exit status, output) of `cmd`; on Ctrl-C or any error it is killed and waited for, so
    nothing it would still write lands after the caller has cleaned up."""
    proc = subprocess.Popen(cmd, cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output, _ = proc.communicate()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc.returncode, output


def build_site(conf_path, out, current, vendor_dir, quiet=False):
    """The whole site in the empty folder `out`: `asv publish`, the report kept from the
    published site `current`, the timeline, everything made self-contained."""
    cmd = [sys.executable, "-m", "asv", "--config", str(conf_path), "publish", "--no-pull",
           "--html-dir", str(out)]
    returncode, output = run_to_end(cmd, conf_path.parent)
    if not quiet or returncode:
        sys.stdout.write(output)
    if returncode:
        raise SiteError(f"asv publish exited {returncode} (its output is above)")
    for name in KEEP:
        if (Path(current) / name).is_dir():
            shutil.copytree(Path(current) / name, Path(out) / name, symlinks=True)
    checkpoint("asv-published")
    from . import timeline
    timeline.write(conf_path, out)     # from releases/ (nothing when this checkout has no sweep)
    from . import answer_page
    answer_page.write(conf_path, out)  # html/answer/: the answer, from results/
    checkpoint("timeline-written")
    localize(out, vendor_dir)
    checkpoint("localized")


def publish(config=None, html_dir=None, vendor_dir=None, quiet=False):
    """`asv publish`, keeping html/report/, then `localize`, all built beside the site and
    swapped in only when complete and checked. Returns the html directory."""
    conf_path, conf = _config(config)
    vendor_dir = _vendor_dir(vendor_dir, conf_path)
    verified_vendor_files(vendor_dir)       # fail before touching html/
    results_dir = check_inputs(conf_path, conf)
    html = Path(html_dir).absolute() if html_dir else _conf_path(conf_path, conf, "html_dir", "html")
    recorded = json.loads((results_dir / "benchmarks.json").read_text())
    recorded.pop("version", None)
    checkpoint("validated")
    with staged_folder(html) as stage:
        build_site(conf_path, stage, html, vendor_dir, quiet)
        missing = coverage(results_dir, stage, recorded)
        if missing:
            raise SiteError(f"the site built from {results_dir} is incomplete, not published: {missing[0]}"
                            + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    return html


def coverage(results_dir, html_dir, recorded):
    """Problems (one line each) where the site at `html_dir` lacks a benchmark of `results_dir`:
    a result without its graph, a recorded benchmark missing from index.json."""
    from asv.results import iter_results
    html_dir = Path(html_dir)
    if not (html_dir / "index.json").is_file():
        return [f"{html_dir}/index.json is missing: run `make publish`"]
    problems = []
    with_results = set()
    for res in iter_results(str(results_dir)):
        with_results.update(k for k in res.get_all_result_keys() if k in recorded)
    graphs = {p.stem for p in (html_dir / "graphs").rglob("*.json")}
    for name in sorted(with_results - graphs):
        problems.append(f"{name} has results but no graph in html/graphs (run `make publish`)")
    index = json.loads((html_dir / "index.json").read_text())
    for name in sorted(set(recorded) - set(index.get("benchmarks", {}))):
        problems.append(f"{name} is missing from html/index.json (run `make publish`)")
    return problems


# ---------------------------------------------------------------------------------------------
# is html/ in sync with results/ and benchmarks/?

def _normalized(rel, data):
    """A published file's bytes less what changes on every publish of the same results."""
    if rel == "info.json":          # {"asv-version": ..., "timestamp": <now>}
        info = json.loads(data)
        info.pop("timestamp", None)
        return json.dumps(info, sort_keys=True).encode()
    if rel == "regressions.json":   # asv lists the regressions in no fixed order
        doc = json.loads(data)
        doc["regressions"] = sorted(doc.get("regressions", []), key=lambda r: json.dumps(r, sort_keys=True))
        return json.dumps(doc, sort_keys=True).encode()
    if rel == "regressions.xml":    # the feed's own <updated> is the time of publishing; entries unordered
        data = re.sub(rb"<updated>[^<]*</updated>", b"", data, count=1)
        entries = re.findall(rb"<entry>.*?</entry>", data, flags=re.S)
        return re.sub(rb"<entry>.*?</entry>", b"", data, flags=re.S) + b"".join(sorted(entries))
    return data


def _tree(d):
    d = Path(d)
    return {p.relative_to(d).as_posix(): p for p in d.rglob("*") if p.is_file()}


def check_sync(config=None, vendor_dir=None):
    """Problems (one line each) that make html/ out of date with results/ and benchmarks/."""
    conf_path, conf = _config(config)
    results_dir = check_inputs(conf_path, conf)
    html_dir = _conf_path(conf_path, conf, "html_dir", "html")
    recorded = json.loads((results_dir / "benchmarks.json").read_text())
    recorded.pop("version", None)
    if not (html_dir / "index.json").is_file():
        return [f"{html_dir}/index.json is missing: run `make publish`"]

    # benchmarks/ against results/benchmarks.json
    problems = []
    found = {name: entry.get("version") for name, entry in suite_benchmarks(load_config(conf_path)).items()}
    for name in sorted(set(found) - set(recorded)):
        problems.append(f"{name} is in benchmarks/ but not in results/ (run `make bench`)")
    for name in sorted(set(recorded) - set(found)):
        problems.append(f"{name} is in results/benchmarks.json but no longer in benchmarks/")
    for name in sorted(set(found) & set(recorded)):
        if found[name] != recorded[name].get("version"):
            problems.append(f"{name} changed in benchmarks/ since its results were taken "
                            "(its version differs; run `make bench`)")

    # every benchmark with a result has its graph in html/
    problems += coverage(results_dir, html_dir, recorded)

    # publishing again changes nothing that matters
    with tempfile.TemporaryDirectory(prefix="site-sync-") as tmp:
        fresh = Path(tmp) / "html"      # the report is not asv's: build_site keeps it as it is
        fresh.mkdir()
        build_site(conf_path, fresh, html_dir, _vendor_dir(vendor_dir, conf_path), quiet=True)
        old, new = _tree(html_dir), _tree(fresh)
        for rel in sorted(set(new) - set(old)):
            problems.append(f"html/{rel} is missing (run `make publish`)")
        for rel in sorted(set(old) - set(new)):
            problems.append(f"html/{rel} would no longer be published (run `make publish`)")
        for rel in sorted(set(old) & set(new)):
            if _normalized(rel, old[rel].read_bytes()) != _normalized(rel, new[rel].read_bytes()):
                problems.append(f"html/{rel} differs from a fresh publish (run `make publish`)")
    return problems


# ---------------------------------------------------------------------------------------------
# vendor: the one-time fetch (maintainers only; the result is committed)

def _asv_cdn_integrity():
    """{CDN address: the integrity asv's own index.html gives it}."""
    import asv
    text = (Path(asv.__file__).parent / "www" / "index.html").read_text()
    out = {}
    for m in TAG_RE.finditer(text):
        url = _loaded_url(m.group(0))
        if url and _is_external(url):
            out[url] = _attr(m.group(0), "integrity")
    return out


def _npm(*args):
    proc = subprocess.run(["npm", *args], text=True, capture_output=True)
    if proc.returncode:
        raise SiteError(f"npm {' '.join(args)} failed: "
                        f"{(proc.stderr.strip().splitlines() or ['?'])[-1]}")
    return proc.stdout


def vendor(vendor_dir=None):
    """Fetch VENDOR_SPEC's packages with `npm pack`, check each tarball's sha512 against the
    registry's dist.integrity (and against the manifest's, when one exists), extract the files
    and write site_vendor/files/ and site_vendor/manifest.json."""
    import asv
    if shutil.which("npm") is None:
        raise SiteError("npm is not installed (it is needed only to refresh site_vendor/)")
    vendor_dir = _vendor_dir(vendor_dir)
    try:
        pinned = {(p["name"], p["version"]): p["integrity"]
                  for p in json.loads((vendor_dir / "manifest.json").read_text())["packages"]}
    except (FileNotFoundError, ValueError, KeyError):
        pinned = {}
    cdn = _asv_cdn_integrity()
    packages, files = [], []
    with tempfile.TemporaryDirectory(prefix="site-vendor-") as tmp:
        for name, version in dict.fromkeys((s[0], s[1]) for s in VENDOR_SPEC):
            spec = f"{name}@{version}"
            integrity = json.loads(_npm("view", spec, "dist.integrity", "--json"))
            packed = json.loads(_npm("pack", spec, "--json", "--pack-destination", tmp))[0]
            tgz = Path(tmp) / packed["filename"]
            got = sri(tgz.read_bytes())
            if got != integrity:
                raise SiteError(f"{spec}: the tarball's sha512 {got} is not the registry's "
                                f"dist.integrity {integrity}")
            if pinned.get((name, version), integrity) != integrity:
                raise SiteError(f"{spec}: the registry's integrity {integrity} differs from the "
                                f"one pinned in {vendor_dir}/manifest.json")
            packages.append({"name": name, "version": version, "integrity": integrity})
            with tarfile.open(tgz) as tar:
                for pkg, ver, path, dest, replaces in VENDOR_SPEC:
                    if (pkg, ver) != (name, version):
                        continue
                    data = tar.extractfile(f"package/{path}").read()
                    out = vendor_dir / "files" / dest
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(data)
                    entry = {"package": pkg, "version": ver, "path": path, "dest": dest,
                             "replaces": replaces, "sha512": sri(data), "bytes": len(data)}
                    urls = [u for u in cdn if replaces and u.split("?")[0].endswith(replaces)]
                    if urls:
                        algo = (cdn[urls[0]] or "sha512-").split("-", 1)[0]
                        entry["asv_integrity"] = cdn[urls[0]]
                        entry["same_bytes_as_asv_cdn"] = cdn[urls[0]] == sri(data, algo)
                        if not entry["same_bytes_as_asv_cdn"]:
                            entry["note"] = NOT_SAME_BYTES.get(pkg, "")
                    files.append(entry)
    missing = [u for u in cdn if not any(f["replaces"] and u.split("?")[0].endswith(f["replaces"])
                                         for f in files)]
    if missing:
        raise SiteError(f"asv {asv.__version__}'s index.html loads {missing}, which VENDOR_SPEC "
                        "does not replace")
    manifest = {
        "about": ("Files that asv's index.html would load from CDNs, served from html/vendor/ "
                  "instead. Fetched once with `twolayer-bench vendor` (npm pack; each "
                  "tarball's sha512 checked against the registry's dist.integrity); "
                  "`twolayer-bench publish` checks every file against its sha512 here."),
        "asv": asv.__version__,
        "packages": packages,
        "files": files,
    }
    write_text(vendor_dir / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest


# ---------------------------------------------------------------------------------------------

def configure_publish(p):
    p.add_argument("--config", metavar="PATH",
                   help="asv configuration (default: asv.conf.json in the current directory)")
    p.add_argument("--html-dir", default=None, help="default: html_dir of the config")


def run_publish(args):
    html = publish(args.config, args.html_dir)
    print(f"published {html} (self-contained: scripts, styles and fonts from "
          f"{HTML_VENDOR}/; report linked: {(html / REPORT_INDEX).is_file()})")
    return 0


def configure_offline(p):
    p.add_argument("html_dir", nargs="?", default="html", help="a published site (default: html/)")


def run_offline(args):
    if not Path(args.html_dir, "index.html").is_file():
        raise SiteError(f"{args.html_dir} holds no index.html: not a published asv site")
    left = external_loads(args.html_dir)
    for line in left:
        print(line)
    print(f"{len(left)} loads from other hosts", file=sys.stderr)
    return FINDING if left else 0


def configure_sync(p):
    p.add_argument("--config", metavar="PATH",
                   help="asv configuration (default: asv.conf.json in the current directory)")


def run_sync(args):
    problems = check_sync(args.config)
    for line in problems:
        print(line)
    print("html/ is in sync with results/ and benchmarks/" if not problems
          else f"{len(problems)} problems", file=sys.stderr)
    return FINDING if problems else 0


def run_vendor(args):
    manifest = vendor()
    print(f"wrote {_vendor_dir(None) / 'manifest.json'}: {len(manifest['files'])} files from {len(manifest['packages'])} packages")
    return 0


COMMANDS = [
    ("publish", "asv publish (every machine in results/), then make html/ self-contained and link "
                "the report", configure_publish, run_publish),
    ("check-offline", "list what the published site would load from other hosts (exit 1 if any)",
     configure_offline, run_offline),
    ("check-sync", "is html/ in sync with results/ and benchmarks/? (exit 1 if not)", configure_sync, run_sync),
    ("vendor", "(maintainers) refetch site_vendor/ from the npm registry", lambda p: None, run_vendor),
]
