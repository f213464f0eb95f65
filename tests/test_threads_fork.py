"""The tick artefact's cause and its fix, as asv's forkserver meets them: in a forked child,
setting numpy's BLAS thread count restarts OpenBLAS's threads, which busy-wait ~0.1 s; a torch
benchmark's ``set_threads(n, "torch")`` must not touch that pool (docs/noise.md, "The tick")."""
import os
import time

import pytest

import benchmarks.common  # noqa: F401  (the suite's import: every pool at 1, as in asv's forkserver)
from benchmarks.threads import ALL_CORES, set_threads

pytestmark = pytest.mark.skipif(ALL_CORES < 2 or not hasattr(os, "fork"), reason="needs fork and 2 cores")

SPIN_S = 0.03
"""CPU seconds above which a thread other than the caller counts as spinning (a restarted
OpenBLAS thread burns ~0.1 s; an idle one ~0)."""


def _other_threads_cpu(after):
    """From a parent whose pools are all at 1 thread (as importing the suite leaves asv's
    forkserver), fork a child, call `after()` there, sleep 0.3 s, and return the CPU seconds the
    busiest thread other than the caller used meanwhile (through a pipe)."""
    set_threads(1)  # other tests may have left a pool at more
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: like a benchmark process forked from asv's forkserver
        try:
            try:
                after()
            except BaseException as exc:  # noqa: BLE001  (reported to the parent, which fails the test)
                os.write(write, f"error: {exc!r}".encode())
                raise
            tick = os.sysconf("SC_CLK_TCK")

            def cpu():
                out = {}
                for tid in os.listdir("/proc/self/task"):
                    fields = open(f"/proc/self/task/{tid}/stat").read().rsplit(")", 1)[1].split()
                    out[tid] = (int(fields[11]) + int(fields[12])) / tick
                return out
            before = cpu()
            time.sleep(0.3)
            now = cpu()
            others = [now[t] - before.get(t, 0) for t in now if t != str(os.getpid())]
            os.write(write, repr(max(others, default=0.0)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    assert not text.startswith("error"), text
    return float(text)


def test_setting_numpys_blas_in_a_forked_child_restarts_a_spinning_thread():
    """The control: the mechanism the fix avoids exists on this machine (this check can fail)."""
    assert _other_threads_cpu(lambda: set_threads(ALL_CORES, "numpy")) > SPIN_S


def test_a_torch_benchmarks_threads_leave_numpys_blas_alone():
    import numpy as np
    from twolayer.backends import make_net

    def torch_benchmark_setup():
        report = set_threads(ALL_CORES, "torch")
        assert report["torch"] == ALL_CORES
        assert all(v == 1 for k, v in report.items() if k.startswith("openblas")), report
        net = make_net("numpy", "float64")  # SameArrays builds its operands with numpy's BLAS at 1 thread
        net.step()
        np.dot(net.s.x, net.s.w1)
    assert _other_threads_cpu(torch_benchmark_setup) < SPIN_S


def test_backend_scoped_limits():
    report = set_threads(ALL_CORES, "numpy")
    assert all(v == ALL_CORES for k, v in report.items() if k.startswith("openblas")), report
    report = set_threads(1)
    assert all(v == 1 for v in report.values()), report
    with pytest.raises(ValueError, match="backend"):
        set_threads(1, "jax")
