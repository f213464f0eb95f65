"""Instructions per call of each op and of the whole step, counted under valgrind (callgrind): a
number the host's state cannot move, beside the wall-clock times of ``ops.PerOp`` and ``loop.Loop``.

Every point of an environment is counted by one valgrind process (asv's ``setup_cache``, shared
by both classes: they inherit one ``setup_cache``, so asv runs it once), at 1 thread, both
backends, variants and dtypes (``callgrind.count``). ``Instructions`` records the total per call,
``InstructionsByLibrary`` the same split by library (``callgrind.PARTS``). Where valgrind cannot
run (not Linux, no valgrind or C compiler) every point is skipped with the reason. Valgrind hides
AVX-512 from the program, so the BLAS runs its AVX2 kernels under it: a count is the cost of the
code path valgrind sees, not a clock.
"""
from twolayer.backends import BACKENDS, VARIANTS
from twolayer.problem import DTYPES, OP_NAMES

from . import callgrind
from .common import SkipNotImplemented, torch

POINTS = tuple(OP_NAMES) + (callgrind.STEP,)


class _Counted:
    """One valgrind process per environment and run: asv calls ``setup_cache`` once and hands
    its result (the counts, or the reason there are none) to every point."""

    params = [list(BACKENDS), list(VARIANTS), list(DTYPES), list(POINTS)]
    param_names = ["backend", "variant", "dtype", "op"]
    rounds = 1
    repeat = 1
    timeout = 60

    def setup_cache(self):
        reason = callgrind.unavailable()
        if reason:
            return {"skip": reason}
        points = [(b, v, d, op) for b in BACKENDS for v in VARIANTS for d in DTYPES for op in POINTS]
        return {"counts": callgrind.count(points)}

    setup_cache.timeout = 900

    def setup(self, counted, backend, variant, dtype, op):
        if "skip" in counted:
            raise SkipNotImplemented(counted["skip"])
        if backend == "torch" and torch is None:
            raise SkipNotImplemented("torch is not installed in this environment")
        self.point = counted["counts"][(backend, variant, dtype, op)]


class Instructions(_Counted):
    """Instructions per call of one op (or of the whole step), 1 thread, under callgrind."""

    def track_instructions(self, counted, backend, variant, dtype, op):
        return self.point["instructions"]

    track_instructions.unit = "instructions"


class InstructionsByLibrary(_Counted):
    """``Instructions`` split by the library that executed them (``callgrind.PARTS``): the exact
    counterpart of the report's overhead / BLAS / rest split of the times."""

    params = _Counted.params + [list(callgrind.PARTS)]
    param_names = _Counted.param_names + ["library"]

    def setup(self, counted, backend, variant, dtype, op, library):
        super().setup(counted, backend, variant, dtype, op)

    def track_instructions(self, counted, backend, variant, dtype, op, library):
        return self.point["parts"][library]

    track_instructions.unit = "instructions"
