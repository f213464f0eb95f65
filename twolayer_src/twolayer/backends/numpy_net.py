"""The seed's loop in NumPy, line for line (read it beside torch_net.py)."""
import numpy as np

from .base import Net


class NumpyNet(Net):
    """The NumPy backend: the forum thread's ``as_numpy`` loop, one method per line."""

    name = "numpy"

    def __init__(self, arrays, dtype="float64", device="cpu"):
        if device != "cpu":
            raise ValueError(f"the numpy backend runs on the CPU only, not on {device!r}")
        super().__init__(arrays, dtype, device)

    def from_numpy(self, array):
        return np.array(array, dtype=self.dtype, copy=True)

    def to_numpy(self, value):
        return np.array(value, copy=True)

    # Forward pass: compute predicted y
    def h(self):
        s = self.s
        s.h = s.x.dot(s.w1)

    def h_relu(self):
        s = self.s
        s.h_relu = np.maximum(s.h, 0)

    def y_pred(self):
        s = self.s
        s.y_pred = s.h_relu.dot(s.w2)

    # Compute loss
    def loss(self):
        s = self.s
        s.loss = np.square(s.y_pred - s.y).sum()

    # Backprop to compute gradients of w1 and w2 with respect to loss
    def grad_y_pred(self):
        s = self.s
        s.grad_y_pred = 2.0 * (s.y_pred - s.y)

    def grad_w2(self):
        s = self.s
        s.grad_w2 = s.h_relu.T.dot(s.grad_y_pred)

    def grad_h_relu(self):
        s = self.s
        s.grad_h_relu = s.grad_y_pred.dot(s.w2.T)

    def grad_h(self):
        s = self.s
        s.grad_h = s.grad_h_relu.copy()
        s.grad_h[s.h < 0] = 0

    def grad_w1(self):
        s = self.s
        s.grad_w1 = s.x.T.dot(s.grad_h)

    # Update weights
    def update_w1(self):
        s = self.s
        s.w1 -= s.learning_rate * s.grad_w1

    def update_w2(self):
        s = self.s
        s.w2 -= s.learning_rate * s.grad_w2
