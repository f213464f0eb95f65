"""What both backends share: the training state, the step as the composition of the ops, the loop."""
from types import SimpleNamespace

from .. import problem


class BackendUnavailable(NotImplementedError):
    """A backend (or a device of it) cannot run here; asv reports benchmarks raising it as skipped."""


class State(SimpleNamespace):
    """The arrays of one training run: inputs x, y; weights w1, w2; each op's output by its name."""


class Net:
    """One backend's implementation of the seed's loop.

    Each op of ``twolayer.problem.OPS`` is a method of the same name that reads and writes
    ``self.s`` (the shared training state), so an op can be timed on its own. Subclasses
    define the ops and the conversions; ``step`` and ``train`` are the same for both.
    """

    name = None
    variant = "naive"

    def __init__(self, arrays, dtype="float64", device="cpu"):
        if dtype not in problem.DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; expected one of {', '.join(problem.DTYPES)}")
        self.dtype = dtype
        self.device = device
        self.s = State(learning_rate=problem.LEARNING_RATE,
                       **{k: self.from_numpy(arrays[k]) for k in ("x", "y", "w1", "w2")})

    # -- the ops, in the seed's order (defined by each backend) ---------------------------------
    def step(self):
        """One training step: the ops in the seed's order."""
        self.h()
        self.h_relu()
        self.y_pred()
        self.loss()
        self.grad_y_pred()
        self.grad_w2()
        self.grad_h_relu()
        self.grad_h()
        self.grad_w1()
        self.update_w1()
        self.update_w2()

    def train(self, steps=problem.STEPS):
        """Run `steps` training steps; return the loss of each step as a list of floats."""
        losses = []
        for _ in range(steps):
            self.step()
            losses.append(self.s.loss)  # kept as the library's scalar: no conversion in the loop
        self.sync()
        return [float(v) for v in losses]

    # -- what each backend provides -------------------------------------------------------------
    def from_numpy(self, array):
        """A private copy of a NumPy array in this backend's type, dtype and device."""
        raise NotImplementedError

    def to_numpy(self, value):
        """A NumPy copy of one of this backend's arrays."""
        raise NotImplementedError

    def sync(self):
        """Wait for queued work to finish (asynchronous devices); a no-op on the CPU."""

    def arrays(self):
        """The state's arrays as NumPy arrays, by name (for comparing backends)."""
        return {k: self.to_numpy(v) for k, v in vars(self.s).items() if k != "learning_rate"}
