"""The site's own pages beside asv's: one registry entry per page (its folder, its label in asv's
navigation bar, how it is built or kept), and the navigation links to every page a build produced.

A new page is one entry in ``PAGES``; publishing builds it, keeps it or skips it, and links it.
"""
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from .site_assets import templates
from .site_vendor import SiteError


def _timeline(conf_path, out):
    """html/timeline/: time against NumPy and torch release, from the sweep's results."""
    from . import timeline
    timeline.write(conf_path, out)      # from releases/ (nothing when this checkout has no sweep)


def _answer(conf_path, out):
    """html/answer/: NumPy or torch per machine, line by line, from results/."""
    from . import answer_page
    answer_page.write(conf_path, out)


def _docs(conf_path, out):
    """html/docs/: docs/*.md rendered."""
    from . import site_docs
    site_docs.write(conf_path, out)


@dataclass(frozen=True)
class Page:
    """One of the project's pages: html/<folder>/<index>, linked as `label` once it exists."""
    folder: str
    label: str
    title: str
    build: Optional[Callable] = None
    """build(conf_path, site_dir) writes html/<folder>/; None: the page is kept from the published
    site as it is (another command writes it, as `report` writes html/report/)."""
    first: bool = False
    """Linked before asv's own items (the landing view's neighbour), else after 'Regressions'."""
    index: str = "index.html"

    @property
    def href(self):
        return f"{self.folder}/{self.index}"


PAGES = (
    Page("answer", "Answer", "NumPy or torch, which is faster here, on which lines, by how much", _answer,
         first=True),
    Page("report", "Report", "The per-op report: NumPy vs PyTorch per environment"),
    Page("timeline", "Timeline", "Every op and the loop against NumPy and torch release", _timeline),
    Page("docs", "Docs", "The project's documentation (docs/*.md)", _docs),
)
"""Every page of the project, in navigation order."""


def keep_pages(current, out, pages=PAGES):
    """Copy each kept page's folder from the published site `current` into the new site `out`."""
    for page in pages:
        if page.build is None and (Path(current) / page.folder).is_dir():
            shutil.copytree(Path(current) / page.folder, Path(out) / page.folder, symlinks=True)


def build_pages(conf_path, out, pages=PAGES):
    """Build every page that is built (in registry order, so a later page may link an earlier)."""
    for page in pages:
        if page.build is not None:
            page.build(conf_path, out)


def produced(out, pages=PAGES):
    """The registered pages the build at `out` holds."""
    return [page for page in pages if (Path(out) / page.href).is_file()]


def link_pages(index_html, pages):
    """Link every page of `pages` from the navigation bar of asv's index.html: the `first` ones
    before asv's own items, in order, the others after 'Regressions', in order."""
    index_html = Path(index_html)
    text = index_html.read_text()
    if not re.search(r'<li id="nav-li-regressions">.*?</li>', text, re.S):
        raise SiteError(f"{index_html}: asv's navigation bar has no 'Regressions' item to put "
                        "the project's pages beside (a different asv version?)")
    item = templates().get_template("site/nav_item.html")
    items = {page.folder: item.render(page=page).rstrip("\n") for page in pages
             if f'id="nav-li-{page.folder}"' not in text}
    before = "".join(items[p.folder] + "\n\t" for p in pages if p.first and p.folder in items)
    after = "".join("\n\t" + items[p.folder] for p in pages if not p.first and p.folder in items)
    if before:
        m = re.search(r'<li id="nav-li-"[^>]*>', text)
        if m is None:
            raise SiteError(f"{index_html}: asv's navigation bar has no first item ('Benchmark "
                            "grid') to put the project's first pages before")
        text = text[:m.start()] + before + text[m.start():]
    if after:
        end = re.search(r'<li id="nav-li-regressions">.*?</li>', text, re.S).end()
        text = text[:end] + after + text[end:]
    index_html.write_text(text)
