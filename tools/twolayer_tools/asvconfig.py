"""asv's configuration, read with asv's own loader (absolute folders), the matrix's environments,
a configuration restricted to some of them, and the machine name a run uses here.

Part of the tools' one loader (``results`` re-exports every name): nothing here writes into
``results/``; bad input raises ``BadInput`` with a one-line message naming what exists.
"""
import json
import os
import re
from pathlib import Path

from .errors import BadInput, first_line
from .atomic import write_text
from .selection import select_names

DEFAULT_ENV = "numpy2.4.6,torch2.13.0"
"""The one environment quick runs (gate, spread, tests) use: current NumPy, the CPU torch wheel."""


# -- configuration ---------------------------------------------------------------------------------

def config_path(path=None):
    """The asv configuration to use: `path`, else asv.conf.json in the current directory (asv's
    default: the checkout is where the command runs, not where the tools were installed from)."""
    try:
        return Path(path).resolve() if path else Path.cwd() / "asv.conf.json"
    except OSError as exc:
        raise BadInput(f"cannot resolve the configuration path: {exc.strerror or first_line(exc)}") from None


def checkout(conf_path):
    """The project checkout of the configuration at `conf_path`: its folder when it holds the
    project (site_vendor/), else its local ``repo`` (a configuration written elsewhere)."""
    conf_path = Path(conf_path)
    if (conf_path.parent / "site_vendor").is_dir():
        return conf_path.parent
    try:
        from asv import util
        repo = util.load_json(str(conf_path), js_comments=True).get("repo", ".")
    except Exception:  # an unreadable configuration is reported where it is loaded
        return conf_path.parent
    repo = Path(repo) if "://" not in str(repo) else Path(".")
    return repo if repo.is_absolute() else conf_path.parent / repo


def load_config(path=None):
    """The asv configuration at `path` through asv's own loader, with absolute folders."""
    from asv import util
    from asv.config import Config
    path = config_path(path)
    if not path.is_file():
        raise BadInput(f"no asv configuration at {str(path)!r}; pass --config PATH to an asv.conf.json")
    try:
        conf = Config.load(str(path))
    except (util.UserError, ValueError, OSError) as exc:
        raise BadInput(f"cannot read the asv configuration {str(path)!r}: {first_line(exc)}") from None
    base = str(path.parent)
    for key in ("results_dir", "html_dir", "env_dir", "benchmark_dir"):
        setattr(conf, key, os.path.join(base, getattr(conf, key)))  # asv reads them from the config's folder
    if "://" not in conf.repo:
        conf.repo = os.path.join(base, conf.repo)
    conf.path = str(path)
    return conf


def matrix_envs(conf):
    """The environments of the configuration's matrix (asv's objects; nothing is built)."""
    from asv.environment import get_environments
    return list(get_environments(conf, None, verbose=False))


def derived_config(conf, out, selectors=(), **overrides):
    """Write a copy of the configuration `conf` to `out` with absolute folders, restricted to the
    matrix environments that match `selectors` (the others excluded by asv's own ``exclude``
    rules, so environment names stay the same), with `overrides` for any other key.

    BadInput when a selector matches no environment of the matrix. Returns `out`."""
    from asv import util
    raw = util.load_json(conf.path, js_comments=True)
    for key in ("repo", "benchmark_dir", "env_dir", "results_dir", "html_dir"):
        raw[key] = getattr(conf, key)
    envs = matrix_envs(conf)
    chosen = select_names([e.name for e in envs], selectors, "of the matrix in " + conf.path)
    excluded = []
    for env in envs:
        if env.name not in chosen:
            rule = {"python": re.escape(env.python),
                    "req": {k: re.escape(v) for k, v in env.requirements.items() if v}}
            excluded.append(rule)
    if excluded:
        matrix = dict(raw.get("matrix", {}))
        raw["exclude"] = list(raw.get("exclude", [])) + excluded
        raw["matrix"] = matrix
    raw.update({k: str(v) if isinstance(v, Path) else v for k, v in overrides.items()})
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(out, json.dumps(raw, indent=2))
    return out

# -- machines --------------------------------------------------------------------------------------

def asv_machine_name(explicit=None):
    """The machine name `asv run` uses here: `explicit`, else the entry of ~/.asv-machine.json for
    this host, else its only entry, else the host name (asv's own rule, read without writing)."""
    if explicit:
        check_machine_name(explicit)
        return explicit
    from asv import util
    from asv.machine import Machine, MachineCollection
    host = Machine.get_unique_machine_name()
    try:
        known = util.load_json(MachineCollection.get_machine_file_path(), MachineCollection.api_version)
    except (util.UserError, OSError, ValueError):
        known = {}
    known = {k: v for k, v in known.items() if k != "version"}
    if host in known:
        return known[host].get("machine", host)
    if len(known) == 1:
        return next(iter(known.values())).get("machine", host)
    return host


def check_machine_name(name):
    """BadInput unless `name` can name a results folder (asv writes results/<name>/)."""
    if not name or name.startswith(".") or not re.fullmatch(r"[A-Za-z0-9._+-]+", name):
        raise BadInput(f"bad machine name {name!r}: use letters, digits and . _ + - "
                       "(it names the folder results/<machine>/)")
