"""The project's asv configuration, and variants of it for one-environment runs (tests, gate, spread).

asv can select environments only by type and Python (``-E``), not by matrix entry, so a run
restricted to one NumPy x torch pair uses a derived config file with a reduced matrix.
"""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The project's root when run from a checkout (twolayer_src/twolayer/ -> root)."""

DEFAULT_ENV = {"numpy": "2.4.6", "torch": "2.13.0"}
"""The one environment quick runs use: current NumPy with the CPU-only torch wheel."""


def load(root=ROOT):
    """The project's asv.conf.json as a dict, read with asv's own loader (it allows // comments)."""
    from asv import util
    return util.load_json(str(Path(root) / "asv.conf.json"), js_comments=True)


def parse_env(text):
    """'numpy=2.4.6,torch=2.13.0' -> {'numpy': '2.4.6', 'torch': '2.13.0'}; ValueError if malformed."""
    pins = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, sep, version = item.partition("=")
        if not sep or not name or not version:
            raise ValueError(f"bad environment {text!r}: expected name=version[,name=version...]")
        pins[name.strip()] = version.strip()
    return pins


def write_variant(path, root=ROOT, env=None, **overrides):
    """Write a config equal to the project's but with absolute paths, `env` as the whole matrix.

    `env` maps requirement names to single versions (others of the matrix keep their first
    value); `overrides` replace any other key (results_dir, html_dir, ...). Returns `path`.
    """
    root = Path(root).resolve()
    conf = load(root)
    for key in ("repo", "benchmark_dir", "env_dir", "results_dir", "html_dir"):
        conf[key] = str((root / conf[key]).resolve())
    if env is not None:
        req = conf["matrix"]["req"]
        unknown = set(env) - set(req)
        if unknown:
            raise ValueError(f"not in the matrix: {', '.join(sorted(unknown))} "
                             f"(the matrix has {', '.join(sorted(req))})")
        conf["matrix"] = {"req": {name: [env.get(name, versions[0])] for name, versions in req.items()}}
    conf.update({k: str(v) if isinstance(v, Path) else v for k, v in overrides.items()})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(conf, indent=2))
    return path
