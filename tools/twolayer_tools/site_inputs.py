"""What publishing reads, checked before anything is written: the asv configuration, results/ as
strictly as the loader reads it, and the release sweep's folders (one line, exit status 2)."""
import json
from pathlib import Path

from .release_lines import check_release_inputs
from .results import check_results_readable, config_path
from .site_vendor import SiteError


def read_config(path):
    """(path, the asv configuration as a dict), or SiteError naming what is wrong."""
    path = config_path(path)
    if not path.is_file():
        raise SiteError(f"asv config not found: {path}")
    from asv import util
    try:
        conf = util.load_json(str(path), js_comments=True)
    except Exception as exc:        # asv raises its own UserError for malformed JSON
        raise SiteError(f"cannot read asv config {path}: {exc}".splitlines()[0])
    return path, conf


def conf_folder(conf_path, conf, key, default):
    """The configuration's folder `key`, absolute (relative ones are relative to the config)."""
    value = Path(conf.get(key, default))
    return value if value.is_absolute() else conf_path.parent / value


def check_inputs(conf_path, conf):
    """Everything publishing reads, checked before anything is written (BadInput, one line):
    results/ as strictly as the loader reads it, and the release sweep's folders. Returns results/."""
    results_dir = conf_folder(conf_path, conf, "results_dir", "results")
    check_results_readable(str(results_dir), require_benchmarks=True)
    check_release_inputs(conf_path)
    return results_dir


def recorded_benchmarks(results_dir):
    """results/benchmarks.json less its version: {name: asv's record of the benchmark}."""
    recorded = json.loads((Path(results_dir) / "benchmarks.json").read_text())
    recorded.pop("version", None)
    return recorded
