"""Thread setup, in one place: every benchmark fixes the thread count of every pool it may use.

NumPy's BLAS (OpenBLAS) and any OpenMP runtime loaded in the process are limited with
threadpoolctl; torch's intra-op pool (OpenMP, and the MKL statically linked into torch's
wheels, which threadpoolctl cannot see) with ``torch.set_num_threads``. Two pools spinning
on a 2-core machine are the largest source of noise, so nothing is left at its default, and
a benchmark of one backend keeps the other backend's pool at one thread.
"""
import os

from threadpoolctl import threadpool_info, threadpool_limits

ALL_CORES = os.cpu_count() or 1
THREAD_COUNTS = tuple(sorted({1, ALL_CORES}))
"""The thread counts the benchmarks sweep: one thread, and every core of the machine."""


def _torch():
    """torch if it is installed and importable, else None (the numpy backend needs no torch)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def set_threads(n, backend=None):
    """Limit the thread pools of `backend` ("numpy": its BLAS; "torch": its intra-op pool and
    OpenMP; None: both) to `n` threads. Returns what every pool of the process now reports.

    A benchmark of one backend never touches the other's pool, and a pool already at `n` is not
    set again: asv forks each benchmark process from its forkserver, OpenBLAS stops its threads
    before a fork, and setting its thread count in the child (even unchanged) restarts them;
    restarted threads busy-wait (``sched_yield``) for ~0.1 s. In a torch benchmark at 2 threads
    on 2 cores that made three runnable threads for two cores, and torch's OpenMP worker waited
    a scheduler tick (4 ms) per call (docs/noise.md, "The tick"). The suite sets every pool to
    1 thread when it is imported (``benchmarks/common.py``), so a pool nobody sets stays at 1.

    torch is imported first (when installed) so that the OpenMP runtime it loads is among
    the libraries threadpoolctl limits.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"thread count must be a positive integer, not {n!r}")
    if backend not in (None, "numpy", "torch"):
        raise ValueError(f"backend must be 'numpy', 'torch' or None, not {backend!r}")
    import numpy  # noqa: F401  (loads numpy's BLAS so threadpoolctl sees it)
    torch = _torch()
    if backend in (None, "torch"):
        if torch is not None and torch.get_num_threads() != n:
            torch.set_num_threads(n)
        _limit("openmp", n)
    if backend in (None, "numpy"):
        _limit("blas", n)
    return thread_report()


def _limit(user_api, n):
    """threadpoolctl's limit for the pools of `user_api` ("blas", "openmp"), only if one is not at `n`."""
    if any(pool["num_threads"] != n for pool in threadpool_info() if pool["user_api"] == user_api):
        threadpool_limits(limits=n, user_api=user_api)


def thread_report():
    """Threads each pool of this process uses now: {'torch': n, '<library> (<api>)': n, ...}."""
    report = {}
    torch = _torch()
    if torch is not None:
        report["torch"] = torch.get_num_threads()
    for pool in threadpool_info():
        name = f"{pool['internal_api']} ({os.path.basename(pool['filepath'])})"
        report[name] = pool["num_threads"]
    return report
