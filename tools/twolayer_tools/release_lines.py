"""The release sweep's plan as data and its folder: the last patch of every NumPy and torch minor
line with its date, which partner each release is measured beside, and the sweep's status file
(``releases/<machine>/sweep.status``: what was measured, excluded or failed, and at which commit).

Analysis layer: the measuring command (``releases``) and the timeline page both read this; it
starts no process.
"""
import json
from pathlib import Path

from .atomic import write_text
from .errors import BadInput
from .results import check_results_readable

NUMPY_RELEASES = {
    "1.23.5": "2022-11-20", "1.24.4": "2023-06-26", "1.25.2": "2023-07-31", "1.26.4": "2024-02-05",
    "2.0.2": "2024-08-26", "2.1.3": "2024-11-02", "2.2.6": "2025-05-17", "2.3.5": "2025-11-16",
    "2.4.6": "2026-05-18",
}
"""The last patch of every NumPy minor line from 1.23 on, with the day its first file reached the
package index (the index's upload-time)."""
TORCH_RELEASES = {
    "2.0.1": "2023-05-08", "2.1.2": "2023-12-14", "2.2.2": "2024-03-27", "2.3.1": "2024-06-05",
    "2.4.1": "2024-09-04", "2.5.1": "2024-10-29", "2.6.0": "2025-01-29", "2.7.1": "2025-06-04",
    "2.8.0": "2025-08-06", "2.9.1": "2025-11-12", "2.10.0": "2026-01-21", "2.11.0": "2026-03-23",
    "2.12.1": "2026-06-17", "2.13.0": "2026-07-08", "2.14.1": "2026-09-30", "2.15.0": "2026-10-28",
}
"""The last patch of every torch minor line from 2.0 on, dated as NUMPY_RELEASES."""
NUMPY_LINE_TORCH = "2.13.0"
"""The torch beside every NumPy release: the CPU wheel where pip has it (the matrix's own)."""
TORCH_LINE_NUMPYS = ("2.4.6", "1.26.4")
"""NumPy releases tried, in order, beside each torch release (torch before 2.3 was built against
NumPy 1.x; which pairs work is found by trying)."""
THREADPOOLCTL = "3.8.0"
LINES = {"numpy": NUMPY_RELEASES, "torch": TORCH_RELEASES}
RESULTS_DIR = "releases"
REPEAT_DIR = "releases-repeat"
"""A second, later pass over some points (``--threads 2 --results-dir releases-repeat``): where a
point has one, the timeline marks it unstable when the two medians differ by more than 10 %."""
STATUS_FILE = "sweep.status"   # not .json: asv reads every *.json of a machine folder as results


def env_name(numpy, torch):
    """asv's name for the environment of a pair (the same as the matrix's)."""
    return f"virtualenv-py3.11-numpy{numpy}-threadpoolctl{THREADPOOLCTL}-torch{torch}"


# -- status ----------------------------------------------------------------------------------------

def status_path(results_dir, machine):
    return Path(results_dir) / machine / STATUS_FILE


def load_status(results_dir, machine):
    """{'numpy 1.23.5': {...}, 'torch 2.0.1': {...}}: what the sweep did for each release, from
    the sweep's results folder (``releases/``)."""
    path = status_path(results_dir, machine)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError:
        raise BadInput(f"corrupt sweep status {path}: remove it to start the sweep over") from None


def save_status(results_dir, machine, status):
    """Write the sweep's status atomically (an interrupted sweep keeps the previous one whole)."""
    path = status_path(results_dir, machine)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, json.dumps(status, indent=1, sort_keys=True) + "\n")


def check_release_inputs(conf_path):
    """BadInput for a damaged file of the release sweep (releases/, releases-repeat/ beside the
    configuration at `conf_path`): a results or facts file, or a sweep status that is not a table
    of releases. Called before anything is written (publish, the timeline)."""
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
                raise BadInput(f"corrupt sweep status {path}: {str(exc).splitlines()[0]}") from None
            if not (isinstance(status, dict) and all(isinstance(v, dict) for v in status.values())):
                raise BadInput(f"corrupt sweep status {path}: not a table of releases")
