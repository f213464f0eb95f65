"""The files asv's pages load from CDNs, served from ``html/vendor/`` instead.

asv 0.6's ``index.html`` loads jQuery, flot, flot-orderbars, stupidtable, blueimp-md5 and
Bootstrap from public CDNs; offline the page only shows asv's "Can not determine continental
origin of swallow" error. The replacements were taken once from the npm registry (tarball
integrity checked against the registry's ``dist.integrity``), are committed in ``site_vendor/``
with their sha512 in ``site_vendor/manifest.json``, and are checked against it on every publish.
Nothing is fetched when publishing or when viewing the site; ``vendor`` (maintainers only)
refetches them with ``npm pack``.
"""
import base64
import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from .atomic import write_text
from .errors import BadInput
from .results import checkout, config_path
from .site_offline import TAG_RE, attr, external_loads, is_external, loaded_url, localize_page

HTML_VENDOR = "vendor"      # html/<this>/...: where the vendored files are served from

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


def vendor_dir_of(vendor_dir, conf_path=None):
    """`vendor_dir`, else the site_vendor/ of the checkout of `conf_path` (else of the current one)."""
    if vendor_dir is not None:
        return Path(vendor_dir)
    return checkout(config_path(conf_path)) / "site_vendor"


# -- hashes and the manifest --------------------------------------------------------------------

def sri(data, algo="sha512"):
    """Subresource-integrity form of a hash: 'sha512-<base64>'."""
    return f"{algo}-" + base64.b64encode(hashlib.new(algo, data).digest()).decode()


def load_manifest(vendor_dir=None):
    """site_vendor/manifest.json, checked to list exactly the files VENDOR_SPEC names."""
    path = vendor_dir_of(vendor_dir) / "manifest.json"
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
        raise SiteError(f"{path} does not list the files twolayer_tools.site_vendor.VENDOR_SPEC names; "
                        "run `twolayer-bench vendor`")
    return manifest


def verified_vendor_files(vendor_dir=None):
    """[(manifest entry, bytes)] for every vendored file, each checked against its sha512."""
    vendor_dir = vendor_dir_of(vendor_dir)
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


def localize(html_dir, vendor_dir=None):
    """Make a built site self-contained: vendored files into html/vendor/, every page's CDN loads
    pointed at them; SiteError if anything would still load from another host."""
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
    left = external_loads(html_dir)
    if left:
        raise SiteError(f"{html_dir} still loads from other hosts: {'; '.join(left)} "
                        "(add the file to twolayer_tools.site_vendor.VENDOR_SPEC, or make that page self-contained)")


# -- vendor: the one-time fetch (maintainers only; the result is committed) --------------------

def _asv_cdn_integrity():
    """{CDN address: the integrity asv's own index.html gives it}."""
    import asv
    text = (Path(asv.__file__).parent / "www" / "index.html").read_text()
    out = {}
    for m in TAG_RE.finditer(text):
        url = loaded_url(m.group(0))
        if url and is_external(url):
            out[url] = attr(m.group(0), "integrity")
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
    vendor_dir = vendor_dir_of(vendor_dir)
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
