"""Thread setup, in one place: every benchmark fixes the thread count of every pool it may use.

NumPy's BLAS (OpenBLAS) and any OpenMP runtime loaded in the process are limited with
threadpoolctl; torch's intra-op pool (OpenMP, and the MKL statically linked into torch's
wheels, which threadpoolctl cannot see) with ``torch.set_num_threads``. Two pools spinning
on a 2-core machine are the largest source of noise, so nothing is left at its default.
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


def set_threads(n):
    """Limit every thread pool of this process to `n` threads; return what the pools now report.

    torch is imported first (when installed) so that the OpenMP runtime it loads is among
    the libraries threadpoolctl limits.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"thread count must be a positive integer, not {n!r}")
    import numpy  # noqa: F401  (loads numpy's BLAS so threadpoolctl sees it)
    torch = _torch()
    if torch is not None:
        torch.set_num_threads(n)
    threadpool_limits(limits=n)
    return thread_report()


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
