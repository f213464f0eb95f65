"""twolayer: the seed's two-layer ReLU network, line for line in NumPy and in PyTorch.

See ``twolayer.problem`` for the problem's sizes and ``twolayer.backends`` for the nets.
"""
__version__ = "0.1.0"
