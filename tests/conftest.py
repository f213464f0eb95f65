"""Shared test fixtures: paths, the project's tools, and a throw-away asv configuration."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the benchmark suite and its harness (benchmarks/) are importable in tests

from benchmarks import callgrind  # noqa: E402
from benchmarks.threads import THREAD_COUNTS, set_threads  # noqa: E402
BIN = Path(sys.executable).parent
ASV = str(BIN / "asv")

# The one environment of the matrix the test suite runs for real (the CPU-only torch wheel).
TEST_MATRIX = {"numpy": ["2.4.6"], "torch": ["2.13.0"], "threadpoolctl": ["3.8.0"]}
TEST_MACHINE = "twolayer-test"
COMMITTED_MACHINE = "kvm-epyc-2core"
"""The machine of the committed results/ and repeats/ (a newcomer's checkout may hold its own beside
it after `make bench`: tests of the committed runs name this one)."""
# The tests' environments live apart from `make bench`'s (.asv/env), so a test run never
# reinstalls the project into an environment a benchmark run is using; reused between test runs.
TEST_ENV_DIR = ROOT / ".asv" / "test-env"

needs_valgrind = pytest.mark.skipif(callgrind.unavailable() is not None,
                                    reason=f"no instruction counts here: {callgrind.unavailable()}")
"""Marks a test that counts instructions (valgrind, a C compiler; Linux)."""


def asv_env(home):
    """Environment for asv subprocesses: a private HOME (its machine file) but the real pip cache."""
    env = dict(os.environ)
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    env["HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def write_test_conf(tmp, matrix=TEST_MATRIX, **overrides):
    """An asv config equal to the project's but for `matrix` (its "req"), results and html under `tmp`.

    Environments live in TEST_ENV_DIR so that repeated test runs reuse them.
    """
    import json

    from asv import util
    conf = util.load_json(str(ROOT / "asv.conf.json"), js_comments=True)
    for key in ("repo", "benchmark_dir"):
        conf[key] = str((ROOT / conf[key]).resolve())
    conf.update(matrix={"req": matrix}, env_dir=str(TEST_ENV_DIR), results_dir=str(tmp / "results"),
                html_dir=str(tmp / "html"))
    conf.update({k: str(v) if isinstance(v, Path) else v for k, v in overrides.items()})
    path = tmp / "asv.conf.json"
    path.write_text(json.dumps(conf, indent=2))
    return path


TB = str(BIN / "twolayer-bench")


def run_tool(args, cwd=ROOT, env=None, timeout=1800):
    """Run `twolayer-bench ARGS`; return the CompletedProcess (stdout and stderr apart, as text)."""
    return subprocess.run([TB, *args], cwd=cwd, env=env, text=True, capture_output=True, timeout=timeout)


def run_asv(args, home, cwd=ROOT, check=True, timeout=1800):
    """Run the project's asv with `args`; return the CompletedProcess (output captured as text)."""
    proc = subprocess.run([ASV, *args], cwd=cwd, env=asv_env(home), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"asv {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-6000:]}")
    return proc


ASV_FIXTURES = {"asv_home", "quick_run", "mini", "clone"}


def pytest_collection_modifyitems(items):
    """Mark every test that runs asv for real (through one of the fixtures that do) as `asv`."""
    for item in items:
        if ASV_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.asv)


def missing_numbers(res, benchmarks, expected_skip):
    """Benchmarks of an asv Results without a finite positive number where one is expected."""
    import itertools
    import math
    missing = []
    for name in (n for n in benchmarks if n != "version"):
        params = benchmarks[name]["params"]
        values = res.get_result_value(name, params)
        expected = math.prod(len(p) for p in params) if params else 1
        assert len(values) == expected, name
        combos = itertools.product(*params) if params else [()]
        # a library that runs none of an op's instructions has an exact 0 in the split by library
        zero_ok = name.startswith("counts.InstructionsByLibrary.")
        missing += [name for v, combo in zip(values, combos)
                    if not (isinstance(v, (int, float)) and math.isfinite(v) and (v > 0 or (zero_ok and v == 0)))
                    and not expected_skip(name, combo)]
    return sorted(set(missing))


@pytest.fixture(scope="session")
def asv_home(tmp_path_factory):
    """A HOME with an asv machine file for the test machine."""
    home = tmp_path_factory.mktemp("home")
    run_asv(["machine", "--yes", "--machine", TEST_MACHINE], home)
    return home


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory, asv_home):
    """One real `asv run --quick` of the whole suite at HEAD, in the numpy 2.4.6 x torch 2.13.0 env.

    Session-scoped: test_asv_suite.py checks its numbers, test_site_browser.py publishes it.
    Returns (tmp, proc): results in tmp/results, the config in tmp/asv.conf.json (html_dir tmp/html).
    """
    tmp = tmp_path_factory.mktemp("asv")
    conf = write_test_conf(tmp)
    proc = run_asv(["--config", str(conf), "run", "--quick", "--show-stderr",
                    "--machine", TEST_MACHINE, "HEAD^!"], asv_home)
    return tmp, proc


@pytest.fixture(params=THREAD_COUNTS, ids=lambda n: f"{n}threads")
def threads(request):
    """Every thread pool limited to each of benchmarks.threads.THREAD_COUNTS in turn."""
    set_threads(request.param)
    yield request.param
    set_threads(max(THREAD_COUNTS))


def clone_with_test_envs(tmp_path_factory, name):
    """A git clone of HEAD whose .asv/env is the tests' environment folder, so none is built twice."""
    path = tmp_path_factory.mktemp(name) / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(path)], check=True)
    (path / ".asv").mkdir()
    TEST_ENV_DIR.mkdir(parents=True, exist_ok=True)
    os.symlink(TEST_ENV_DIR, path / ".asv" / "env")
    return path
