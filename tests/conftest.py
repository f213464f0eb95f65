"""Shared test fixtures: paths, the project's tools, and a throw-away asv configuration."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ASV = str(BIN / "asv")

# The one environment of the matrix the test suite runs for real (the CPU-only torch wheel).
TEST_MATRIX = {"numpy": ["2.4.6"], "torch": ["2.13.0"], "threadpoolctl": ["3.8.0"]}
TEST_MACHINE = "twolayer-test"


def load_asv_conf():
    """The project's asv.conf.json, read with asv's own loader (it allows // comments)."""
    from asv import util
    return util.load_json(str(ROOT / "asv.conf.json"), js_comments=True)


def asv_env(home):
    """Environment for asv subprocesses: a private HOME (its machine file) but the real pip cache."""
    env = dict(os.environ)
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    env["HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def write_test_conf(tmp, matrix=TEST_MATRIX, **overrides):
    """An asv config equal to the project's but for `matrix`, with results and html under `tmp`.

    Environments stay in the project's .asv/env so that repeated test runs reuse them.
    """
    conf = load_asv_conf()
    conf.update(
        repo=str(ROOT),
        benchmark_dir=str(ROOT / "benchmarks"),
        env_dir=str(ROOT / ".asv" / "env"),
        results_dir=str(tmp / "results"),
        html_dir=str(tmp / "html"),
        matrix={"req": matrix},
    )
    conf.update(overrides)
    path = tmp / "asv.conf.json"
    path.write_text(json.dumps(conf, indent=2))
    return path


def run_asv(args, home, cwd=ROOT, check=True, timeout=1800):
    """Run the project's asv with `args`; return the CompletedProcess (output captured as text)."""
    proc = subprocess.run([ASV, *args], cwd=cwd, env=asv_env(home), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"asv {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-6000:]}")
    return proc


@pytest.fixture(scope="session")
def asv_home(tmp_path_factory):
    """A HOME with an asv machine file for the test machine."""
    home = tmp_path_factory.mktemp("home")
    run_asv(["machine", "--yes", "--machine", TEST_MACHINE], home)
    return home
