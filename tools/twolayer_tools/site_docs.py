"""The project's docs on the site: every ``docs/*.md`` rendered to ``html/docs/<name>.html``, with
an index, so the pages that cite a doc (the report cites docs/noise.md) link a page that exists.

Links between docs become links between the rendered pages (``x.md#a`` -> ``x.html#a``); a link
to another file of the repository goes to it in the project's repository (asv.conf.json
``project_url``), and one to a file this checkout lacks is shown as plain code, so every link of
a rendered doc resolves. Heading ids are GitHub's, so the anchors the docs use work on both.
"""
import html
import re
from pathlib import Path

import markdown

from .site_assets import static_file, templates
from .results import checkout, load_config

DOCS = "docs"               # docs/*.md of the checkout -> html/<this>/<name>.html
EXTENSIONS = ("tables", "fenced_code", "toc")
LINK_RE = re.compile(r'<a href="([^"]*)"([^>]*)>(.*?)</a>', re.S)


def github_slug(value, separator="-"):
    """A heading's id as GitHub makes it: lower case, punctuation dropped, each space a hyphen."""
    value = re.sub(r"[^\w\- ]", "", value.strip().lower(), flags=re.UNICODE)
    return value.replace(" ", separator)


def _render(text):
    md = markdown.Markdown(extensions=list(EXTENSIONS),
                           extension_configs={"toc": {"slugify": github_slug, "separator": "-"}})
    return md.convert(text)


def _title(text, name):
    m = re.search(r"^#\s+(.+?)\s*#*\s*$", text, re.M)
    return m.group(1).replace("`", "") if m else name


def repository_url(conf, rel, is_dir=False):
    """The address of the checkout's file `rel` in the project's repository (project_url)."""
    base = conf.project_url.rstrip("/")
    branch = (conf.branches or ["main"])[0] or "main"
    return f"{base}/{'tree' if is_dir else 'blob'}/{branch}/{rel}"


def rewrite_links(body, docs_dir, root, conf):
    """Point every relative link of a rendered doc at a page of the site, the project's
    repository, or nothing (plain code) where the target is not in the checkout."""
    def repl(m):
        href, rest, inner = html.unescape(m.group(1)), m.group(2), m.group(3)
        if re.match(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", href, re.I):
            return m.group(0)
        path, _, frag = href.partition("#")
        frag = f"#{frag}" if frag else ""
        target = (docs_dir / path).resolve()
        if target.parent == docs_dir.resolve() and target.suffix == ".md" and target.is_file():
            new = f"{target.stem}.html{frag}"
        elif target.exists() and target.is_relative_to(root.resolve()):
            new = repository_url(conf, target.relative_to(root.resolve()).as_posix(),
                                 target.is_dir()) + frag
        else:
            return inner if inner.startswith("<code>") else f"<code>{inner}</code>"
        return f'<a href="{html.escape(new)}"{rest}>{inner}</a>'
    return LINK_RE.sub(repl, body)


def write(conf_path, out):
    """Render docs/*.md of the checkout of `conf_path` into `out`/docs/, with index.html.
    Returns the names rendered (nothing is written when the checkout has no docs/)."""
    root = checkout(conf_path)
    docs_dir = root / DOCS
    sources = sorted(docs_dir.glob("*.md")) if docs_dir.is_dir() else []
    if not sources:
        return []
    conf = load_config(conf_path)
    dest = Path(out) / DOCS
    dest.mkdir(parents=True, exist_ok=True)
    env = templates()
    page = env.get_template("site/doc_page.html")
    docs = []
    for src in sources:
        text = src.read_text(encoding="utf-8")
        docs.append({"name": src.stem, "title": _title(text, src.stem), "file": f"{src.stem}.html"})
        body = rewrite_links(_render(text), docs_dir, root, conf)
        (dest / f"{src.stem}.html").write_text(
            page.render(title=docs[-1]["title"], body=body, source=f"{DOCS}/{src.name}",
                        source_url=repository_url(conf, f"{DOCS}/{src.name}")), encoding="utf-8")
    (dest / "index.html").write_text(
        env.get_template("site/docs_index.html").render(docs=docs), encoding="utf-8")
    (dest / "docs.css").write_bytes(static_file("site/docs.css"))
    return [d["name"] for d in docs]
