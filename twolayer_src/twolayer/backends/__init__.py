"""The two backends of the seed's loop, chosen by name.

``make_net("numpy", "float64")`` and ``make_net("torch", "float64")`` start from the same
arrays (``twolayer.data.initial_arrays``). A backend whose library is missing raises
``BackendUnavailable`` (a ``NotImplementedError``, so asv marks its benchmarks skipped).
"""
from .base import BackendUnavailable, Net, State

BACKENDS = ("numpy", "torch")


def backend_class(name):
    """Return the Net class of backend `name`, importing its library only now."""
    if name == "numpy":
        from .numpy_net import NumpyNet
        return NumpyNet
    if name == "torch":
        try:
            import torch  # noqa: F401
        except ImportError as exc:
            raise BackendUnavailable(
                f"the torch backend is unavailable: torch cannot be imported ({exc}); "
                "install it with 'pip install torch'") from None
        from .torch_net import TorchNet
        return TorchNet
    raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)}")


def make_net(backend, dtype="float64", device="cpu", arrays=None):
    """A fresh net of `backend` in `dtype` on the seed's arrays (or on `arrays`, a dict of NumPy arrays)."""
    from ..data import initial_arrays
    if arrays is None:
        arrays = initial_arrays(dtype)
    return backend_class(backend)(arrays, dtype=dtype, device=device)


__all__ = ["BACKENDS", "BackendUnavailable", "Net", "State", "backend_class", "make_net"]
