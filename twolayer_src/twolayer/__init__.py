"""twolayer: the seed's two-layer ReLU network, line for line in NumPy and in PyTorch.

This package is the workload that asv builds and benchmarks, and nothing else. Its public API,
the only names the benchmark suite uses (so the suite runs against every published commit):

* ``twolayer.problem``: sizes (``N, D_IN, H, D_OUT``), ``LEARNING_RATE``, ``STEPS``, ``SEED``,
  ``DTYPES``, the op table ``OPS`` / ``OP_NAMES`` / ``MATMUL_OPS`` in the seed's order,
  ``flops(op)``, ``bytes_moved(op, dtype)``, ``STEP_FLOPS``;
* ``twolayer.data.initial_arrays(dtype, n=, h=)``: the seeded starting arrays;
* ``twolayer.backends``: ``BACKENDS``, ``VARIANTS``, ``make_net(backend, dtype, device=,
  arrays=, variant=)``, ``BackendUnavailable``; a net has one method per op, ``step()``,
  ``train(steps)``, ``sync()`` and ``arrays()``.

It imports numpy, and torch only when the torch backend is asked for.
"""
__version__ = "0.2.0"
