"""Publishing the site: `asv publish` into a folder beside html/, the project's pages kept or built
(the page registry, ``pages.PAGES``), the notes on asv's pages, everything made self-contained,
then swapped in only when complete and checked."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import pages, site_notes
from .atomic import checkpoint, staged_folder
from .site_inputs import check_inputs, conf_folder, read_config, recorded_benchmarks
from .site_vendor import SiteError, localize, vendor_dir_of, verified_vendor_files


def run_to_end(cmd, cwd):
    """(exit status, output) of `cmd`; on Ctrl-C or any error its whole process group is killed
    and waited for, so nothing it would still write lands after the caller has cleaned up.

    Its own group (a new session): `asv publish` writes the graphs from a multiprocessing pool,
    and workers that outlived a killed leader went on writing into the stage after it had been
    removed (a Ctrl-C test found the stage back, once in a few hundred runs)."""
    proc = subprocess.Popen(cmd, cwd=cwd, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        output, _ = proc.communicate()
    except BaseException:
        _kill_group(proc)
        raise
    return proc.returncode, output


def _kill_group(proc, wait=10.0):
    """SIGKILL to `proc`'s process group, then wait until the leader is reaped and no member is left."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)


def build_site(conf_path, out, current, vendor_dir, quiet=False, registry=pages.PAGES):
    """The whole site in the empty folder `out`: `asv publish`, every registered page kept from
    the published site `current` or built, the notes, everything self-contained and linked."""
    cmd = [sys.executable, "-m", "asv", "--config", str(conf_path), "publish", "--no-pull",
           "--html-dir", str(out)]
    returncode, output = run_to_end(cmd, conf_path.parent)
    if not quiet or returncode:
        sys.stdout.write(output)
    if returncode:
        raise SiteError(f"asv publish exited {returncode} (its output is above)")
    pages.keep_pages(current, out, registry)
    checkpoint("asv-published")
    pages.build_pages(conf_path, out, registry)
    checkpoint("timeline-written")
    site_notes.write(conf_path, out)
    localize(out, vendor_dir)
    pages.link_pages(Path(out) / "index.html", pages.produced(out, registry))
    checkpoint("localized")


def publish(config=None, html_dir=None, vendor_dir=None, quiet=False):
    """`asv publish` and the project's pages, built beside html/ and swapped in only when complete
    and checked. Returns the html directory."""
    conf_path, conf = read_config(config)
    vendor_dir = vendor_dir_of(vendor_dir, conf_path)
    verified_vendor_files(vendor_dir)       # fail before touching html/
    results_dir = check_inputs(conf_path, conf)
    html = Path(html_dir).absolute() if html_dir else conf_folder(conf_path, conf, "html_dir", "html")
    recorded = recorded_benchmarks(results_dir)
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
