"""What a page of the site loads, read from its tags: the CDN loads of asv's pages pointed at the
vendored copies, and a list of whatever would still be fetched from another host."""
import re
from pathlib import Path

TAG_RE = re.compile(r"<(script|link|img|iframe|source|audio|video|embed)\b[^>]*>", re.IGNORECASE)
ATTR_RE = r"""(?<![\w-]){name}\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))"""
# <link rel=...> values that make the browser fetch the target.
LOADING_RELS = {"stylesheet", "icon", "preload", "prefetch", "modulepreload", "manifest",
                "apple-touch-icon", "preconnect", "dns-prefetch", "prerender"}
CSS_URL_RE = re.compile(r"""url\(\s*['"]?([^'")]+)|@import\s+['"]([^'"]+)""", re.IGNORECASE)


def attr(tag, name):
    """The value of attribute `name` in the tag's text, or None."""
    m = re.search(ATTR_RE.format(name=name), tag, re.IGNORECASE)
    return None if m is None else next((g for g in m.groups() if g is not None), "")


def is_external(url):
    """Does `url` name another host (a scheme or a protocol-relative //host)?"""
    return bool(re.match(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", url, re.IGNORECASE))


def loaded_url(tag):
    """The address a tag makes the browser load, or None."""
    kind = tag[1:].split(None, 1)[0].rstrip(">").lower()
    if kind == "link":
        rels = set((attr(tag, "rel") or "").lower().split())
        return attr(tag, "href") if rels & LOADING_RELS else None
    return attr(tag, "src")


def _rewrite_tag(tag, local_url, integrity):
    url_attr = "href" if tag[1:5].lower() == "link" else "src"
    tag = re.sub(ATTR_RE.format(name=url_attr), f'{url_attr}="{local_url}"', tag, count=1,
                 flags=re.IGNORECASE)
    for name in ("crossorigin", "referrerpolicy"):
        tag = re.sub(r"\s+" + ATTR_RE.format(name=name), "", tag, flags=re.IGNORECASE)
    if attr(tag, "integrity") is not None:
        tag = re.sub(ATTR_RE.format(name="integrity"), f'integrity="{integrity}"', tag,
                     flags=re.IGNORECASE)
    else:
        tag = re.sub(r"^<(\w+)", rf'<\1 integrity="{integrity}"', tag)
    return tag


def localize_page(text, vendor_prefix, entries):
    """Point every CDN load of an asv page at html/vendor/; the integrity becomes our sha512."""
    def repl(m):
        tag = m.group(0)
        url = loaded_url(tag)
        if url is None or not is_external(url):
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
            urls = [loaded_url(m.group(0)) for m in TAG_RE.finditer(text)]
            urls += [a or b for a, b in CSS_URL_RE.findall(
                " ".join(re.findall(r"<style\b[^>]*>(.*?)</style>", text, re.S | re.I)))]
        elif path.suffix.lower() == ".css":
            urls = [a or b for a, b in CSS_URL_RE.findall(path.read_text(errors="replace"))]
        else:
            continue
        found += [f"{rel}: {u}" for u in urls if u and is_external(u)]
    return found
