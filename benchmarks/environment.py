"""Checks on the environment itself: the matrix pins asv asked for are the versions installed."""
import os
import re

PINNED = ("numpy", "torch")


def _installed_version(name):
    """The installed version of `name` without a local suffix ('2.13.0+cpu' -> '2.13.0'), or None."""
    try:
        module = __import__(name)
    except ImportError:
        return None
    return module.__version__.split("+")[0]


class MatrixPins:
    """Fails if a matrix pin was silently replaced (for example by a dependency's reinstall)."""

    def setup(self):
        self.env_name = os.environ.get("ASV_ENV_NAME", "")
        self.wanted = {name: m.group(1) for name in PINNED
                       if (m := re.search(rf"-{name}([0-9][^-]*)", self.env_name))}
        if not self.wanted:  # an existing environment (asv check, --python=same): nothing pinned
            raise NotImplementedError(f"environment {self.env_name!r} pins neither numpy nor torch")

    def track_pins_verified(self):
        env_name, wanted = self.env_name, self.wanted
        wrong = {n: (v, _installed_version(n)) for n, v in wanted.items() if _installed_version(n) != v}
        if wrong:
            raise RuntimeError("matrix pins replaced in " + env_name + ": " + ", ".join(
                f"{n} {want} wanted, {got} installed" for n, (want, got) in wrong.items()))
        return len(wanted)

    track_pins_verified.unit = "pins"
