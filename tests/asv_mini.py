"""One small real asv run shared by test_compare.py and test_report.py (run once per session).

The real suite (benchmarks/ops.py, loop.py, causes.py and what they import), copied with a
test-only tail that shrinks the grid (float64, 1 thread, 10 samples) and lets an environment variable inject a
20 ms busy-wait into ``ops.PerOp.time_h``. The matrix sets that variable through
``env_nobuild``, so the two environments (``TWOLAYER_TEST_SLOWDOWN0`` and ``...1``) share one
virtualenv, the tests' own (conftest.TEST_ENV_DIR, never the .asv/env ``make bench`` uses).
"""
import json
import shutil
import subprocess
import sys

from conftest import ROOT, TB, TEST_MACHINE, TEST_MATRIX, run_asv, write_test_conf

SLOW_VAR = "TWOLAYER_TEST_SLOWDOWN"
ENV_FAST, ENV_SLOW = f"{SLOW_VAR}0", f"{SLOW_VAR}1"

_TAIL = {
    "common.py": """
# -- test-only tail: the small grid, by parameter name (other parameters keep their values)
_SMALL = {"backend": ["numpy", "torch"], "variant": ["naive"], "dtype": ["float64"], "threads": [1]}


def _shrink(cls):
    cls.params = [_SMALL.get(n, v) for n, v in zip(cls.param_names, cls.params)]
""",
    "ops.py": """
# -- test-only tail: a small grid, and a slowdown injected into time_h by an environment variable
import os as _os, time as _time
_SLOW = _os.environ.get("TWOLAYER_TEST_SLOWDOWN") == "1"


def _slow_time_h(self, *params):
    if params != self.prepared_for:
        self.ready(params)
    self.net.h()
    if _SLOW:
        _end = _time.perf_counter() + 0.02
        while _time.perf_counter() < _end:
            pass


_slow_time_h.__name__ = "time_h"
PerOp.time_h = _slow_time_h
from .common import _shrink
_shrink(PerOp)
PerOp.repeat, PerOp.rounds, PerOp.sample_time, PerOp.warmup_time = (10, 10, 3.0), 1, 0.004, 0.02
""",
    "loop.py": """
# -- test-only tail
from .common import _shrink
_shrink(Loop)
Loop.repeat, Loop.rounds = (3, 3, 20.0), 1
del LoopMemory, LoopResults
""",
    "causes.py": """
# -- test-only tail
from .common import _shrink
for _cls in (SameArrays, Overhead, MaskForms):
    _cls.repeat, _cls.rounds, _cls.sample_time, _cls.warmup_time = (10, 10, 3.0), 1, 0.003, 0.01
    _shrink(_cls)
""",
}


def make_mini_run(tmp_path_factory, asv_home):
    """Run (once per session) the mini suite in both environments; return (tmp dir, config path)."""
    tmp = tmp_path_factory.getbasetemp() / "asv-mini"
    conf = tmp / "asv.conf.json"
    if (tmp / "done").exists():
        return tmp, conf
    bench = tmp / "benchmarks"
    bench.mkdir(parents=True)
    for name in ("__init__.py", "threads.py", "common.py", "ops.py", "loop.py", "causes.py"):
        text = (ROOT / "benchmarks" / name).read_text() + _TAIL.get(name, "")
        (bench / name).write_text(text)
    write_test_conf(tmp, TEST_MATRIX, benchmark_dir=str(bench))
    data = json.loads(conf.read_text())
    data["matrix"] = {"req": TEST_MATRIX, "env_nobuild": {SLOW_VAR: ["0", "1"]}}
    conf.write_text(json.dumps(data, indent=2))
    run_asv(["--config", str(conf), "run", "--show-stderr", "--machine", TEST_MACHINE, "HEAD^!"], asv_home)
    subprocess.run([TB, "facts", "--config", str(conf), "--machine", TEST_MACHINE], check=True,
                   capture_output=True, text=True)
    (tmp / "done").write_text("ok")
    return tmp, conf


def copy_results(tmp, dest):
    """A copy of the mini run's results folder (to damage or empty without touching the original)."""
    shutil.copytree(tmp / "results", dest)
    return dest
