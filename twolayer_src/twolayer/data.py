"""The starting arrays, made once with NumPy's seeded generator and shared by both backends.

Both backends convert these same arrays, so any difference in results comes from the
arithmetic, never from different random numbers.
"""
import numpy as np

from . import problem


def initial_arrays(dtype="float64", seed=problem.SEED, n=problem.N, d_in=problem.D_IN,
                   h=problem.H, d_out=problem.D_OUT):
    """Return a dict of fresh NumPy arrays x, y, w1, w2 in `dtype` (standard normal, seeded).

    The sizes default to the seed's; the scaling benchmarks (benchmarks/scaling.py) pass others.
    """
    if dtype not in problem.DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; expected one of {', '.join(problem.DTYPES)}")
    rng = np.random.RandomState(seed)  # same stream in every NumPy version of the matrix
    shapes = {
        "x": (n, d_in),
        "y": (n, d_out),
        "w1": (d_in, h),
        "w2": (h, d_out),
    }
    return {name: rng.standard_normal(shape).astype(dtype) for name, shape in shapes.items()}
