"""The seed's loop in PyTorch, line for line (read it beside numpy_net.py). No autograd."""
import torch

from .base import BackendUnavailable, Net


class TorchNet(Net):
    """The PyTorch backend: the forum thread's ``as_pytorch`` loop, one method per line."""

    name = "torch"

    def __init__(self, arrays, dtype="float64", device="cpu"):
        if device != "cpu" and not (device.startswith("cuda") and torch.cuda.is_available()):
            raise BackendUnavailable(f"torch device {device!r} is not available on this machine")
        self._torch_dtype = getattr(torch, dtype)
        super().__init__(arrays, dtype, device)

    def from_numpy(self, array):
        return torch.tensor(array, dtype=self._torch_dtype, device=self.device)

    def to_numpy(self, value):
        return value.detach().cpu().numpy().copy()

    def sync(self):
        if self.device != "cpu":
            torch.cuda.synchronize(self.device)

    # Forward pass: compute predicted y
    def h(self):
        s = self.s
        s.h = s.x.mm(s.w1)

    def h_relu(self):
        s = self.s
        s.h_relu = s.h.clamp(min=0)

    def y_pred(self):
        s = self.s
        s.y_pred = s.h_relu.mm(s.w2)

    # Compute loss
    def loss(self):
        s = self.s
        s.loss = (s.y_pred - s.y).pow(2).sum()

    # Backprop to compute gradients of w1 and w2 with respect to loss
    def grad_y_pred(self):
        s = self.s
        s.grad_y_pred = 2.0 * (s.y_pred - s.y)

    def grad_w2(self):
        s = self.s
        s.grad_w2 = s.h_relu.t().mm(s.grad_y_pred)

    def grad_h_relu(self):
        s = self.s
        s.grad_h_relu = s.grad_y_pred.mm(s.w2.t())

    def grad_h(self):
        s = self.s
        s.grad_h = s.grad_h_relu.clone()
        s.grad_h[s.h < 0] = 0

    def grad_w1(self):
        s = self.s
        s.grad_w1 = s.x.t().mm(s.grad_h)

    # Update weights using gradient descent
    def update_w1(self):
        s = self.s
        s.w1 -= s.learning_rate * s.grad_w1

    def update_w2(self):
        s = self.s
        s.w2 -= s.learning_rate * s.grad_w2
