"""The published site's commands. The work is in the modules below (a page is one entry of
``pages.PAGES``):

    site_offline  what a page loads (tags read, CDN loads pointed at html/vendor/)
    site_vendor   the vendored files: manifest, sha512 checks, copying, the npm refetch
    site_inputs   what publishing reads, checked before anything is written
    pages         the page registry and asv's navigation bar
    site_docs     docs/*.md rendered to html/docs/
    site_notes    sentences on asv's empty panels and the Regressions page
    site_publish  asv publish + pages + notes, built beside html/ and swapped in
    site_sync     is html/ in sync with results/ and benchmarks/?

    twolayer-bench publish [--config asv.conf.json] [--html-dir DIR]
        `asv publish` (every machine of results/), the project's pages (report kept, timeline,
        docs), notes on asv's empty panels, everything self-contained and linked.
    twolayer-bench check-offline [HTML_DIR]
        List every script, stylesheet, image or font the site would load from another host.
    twolayer-bench check-sync [--config asv.conf.json]
        Is the committed html/ in sync with results/ and benchmarks/? (exit 1 when not)
    twolayer-bench vendor
        Maintainers only: fetch the vendored files with `npm pack` and rewrite site_vendor/.

Bad input (a missing config or directory, a vendored file that fails its hash): one line on
stderr and exit status 2.
"""
import sys
from pathlib import Path

from .errors import FINDING
from .pages import PAGES
from .site_inputs import check_release_inputs  # noqa: F401  (the timeline's check, re-exported)
from .site_offline import external_loads
from .site_publish import publish
from .site_sync import check_sync
from .site_vendor import HTML_VENDOR, SiteError, vendor, vendor_dir_of, verified_vendor_files  # noqa: F401


def __getattr__(name):
    """``VENDOR_DIR``, ``MANIFEST``: the current checkout's site_vendor/ (see results.ROOT)."""
    if name == "VENDOR_DIR":
        return Path.cwd() / "site_vendor"
    if name == "MANIFEST":
        return Path.cwd() / "site_vendor" / "manifest.json"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def configure_publish(p):
    p.add_argument("--config", metavar="PATH",
                   help="asv configuration (default: asv.conf.json in the current directory)")
    p.add_argument("--html-dir", default=None, help="default: html_dir of the config")


def run_publish(args):
    html = publish(args.config, args.html_dir)
    linked = [p.label for p in PAGES if (html / p.href).is_file()]
    print(f"published {html} (self-contained: scripts, styles and fonts from {HTML_VENDOR}/; "
          f"pages linked: {', '.join(linked) or 'none'})")
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
    print(f"wrote {vendor_dir_of(None) / 'manifest.json'}: {len(manifest['files'])} files from "
          f"{len(manifest['packages'])} packages")
    return 0


COMMANDS = [
    ("publish", "asv publish (every machine in results/), then the project's pages, all "
                "self-contained and linked", configure_publish, run_publish),
    ("check-offline", "list what the published site would load from other hosts (exit 1 if any)",
     configure_offline, run_offline),
    ("check-sync", "is html/ in sync with results/ and benchmarks/? (exit 1 if not)", configure_sync, run_sync),
    ("vendor", "(maintainers) refetch site_vendor/ from the npm registry", lambda p: None, run_vendor),
]
