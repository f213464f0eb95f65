"""The starting arrays, made once with NumPy's seeded generator and shared by both backends.

Both backends convert these same arrays, so any difference in results comes from the
arithmetic, never from different random numbers.
"""
import numpy as np

from . import problem


def initial_arrays(dtype="float64", seed=problem.SEED):
    """Return a dict of fresh NumPy arrays x, y, w1, w2 in `dtype` (standard normal, seeded)."""
    if dtype not in problem.DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; expected one of {', '.join(problem.DTYPES)}")
    rng = np.random.RandomState(seed)  # same stream in every NumPy version of the matrix
    shapes = {
        "x": (problem.N, problem.D_IN),
        "y": (problem.N, problem.D_OUT),
        "w1": (problem.D_IN, problem.H),
        "w2": (problem.H, problem.D_OUT),
    }
    return {name: rng.standard_normal(shape).astype(dtype) for name, shape in shapes.items()}
