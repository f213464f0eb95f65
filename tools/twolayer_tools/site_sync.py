"""Is the committed html/ in sync with results/ and benchmarks/? Every benchmark recorded as in
benchmarks/, every result graphed, and a fresh publish into a scratch folder equal to html/ less
what changes on every publish (asv's timestamps and its unordered regression lists)."""
import json
import re
import tempfile
from pathlib import Path

from .results import load_config, suite_benchmarks
from .site_inputs import check_inputs, conf_folder, read_config, recorded_benchmarks
from .site_publish import build_site, coverage
from .site_vendor import vendor_dir_of


def normalized(rel, data):
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
    conf_path, conf = read_config(config)
    results_dir = check_inputs(conf_path, conf)
    html_dir = conf_folder(conf_path, conf, "html_dir", "html")
    recorded = recorded_benchmarks(results_dir)
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

    # publishing again changes nothing that matters (kept pages are copied as they are)
    with tempfile.TemporaryDirectory(prefix="site-sync-") as tmp:
        fresh = Path(tmp) / "html"
        fresh.mkdir()
        build_site(conf_path, fresh, html_dir, vendor_dir_of(vendor_dir, conf_path), quiet=True)
        old, new = _tree(html_dir), _tree(fresh)
        for rel in sorted(set(new) - set(old)):
            problems.append(f"html/{rel} is missing (run `make publish`)")
        for rel in sorted(set(old) - set(new)):
            problems.append(f"html/{rel} would no longer be published (run `make publish`)")
        for rel in sorted(set(old) & set(new)):
            if normalized(rel, old[rel].read_bytes()) != normalized(rel, new[rel].read_bytes()):
                problems.append(f"html/{rel} differs from a fresh publish (run `make publish`)")
    return problems
