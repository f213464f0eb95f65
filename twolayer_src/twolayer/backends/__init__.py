"""The two backends of the seed's loop, each in two variants, chosen by name.

``make_net("numpy", "float64")`` and ``make_net("torch", "float64")`` start from the same
arrays (``twolayer.data.initial_arrays``). A backend whose library is missing raises
``BackendUnavailable`` (a ``NotImplementedError``, so asv marks its benchmarks skipped).

Variants: ``naive`` is the forum thread's loop line for line (numpy_net.py, torch_net.py);
``optimised`` keeps the same ops, order and maths with preallocated buffers, ``out=``,
in-place updates, a reused relu mask and a shared ``y_pred - y`` (numpy_optimised.py,
torch_optimised.py).
"""
from .base import BackendUnavailable, Net, State

BACKENDS = ("numpy", "torch")
VARIANTS = ("naive", "optimised")


def backend_class(name, variant="naive"):
    """Return the Net class of backend `name` in `variant`, importing its library only now."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {', '.join(VARIANTS)}")
    if name == "numpy":
        if variant == "optimised":
            from .numpy_optimised import NumpyOptimisedNet
            return NumpyOptimisedNet
        from .numpy_net import NumpyNet
        return NumpyNet
    if name == "torch":
        try:
            import torch  # noqa: F401
        except ImportError as exc:
            raise BackendUnavailable(
                f"the torch backend is unavailable: torch cannot be imported ({exc}); "
                "install it with 'pip install torch'") from None
        if variant == "optimised":
            from .torch_optimised import TorchOptimisedNet
            return TorchOptimisedNet
        from .torch_net import TorchNet
        return TorchNet
    raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)}")


def make_net(backend, dtype="float64", device="cpu", arrays=None, variant="naive"):
    """A fresh net of `backend` in `variant` and `dtype` on the seed's arrays (or on `arrays`, a
    dict of NumPy arrays x, y, w1, w2 of any consistent sizes)."""
    from ..data import initial_arrays
    cls = backend_class(backend, variant)
    if arrays is None:
        arrays = initial_arrays(dtype)
    return cls(arrays, dtype=dtype, device=device)


__all__ = ["BACKENDS", "VARIANTS", "BackendUnavailable", "Net", "State",
           "backend_class", "make_net"]
