"""The claim rule: on what measurement a torch/numpy gap rests, strongest first, and whether it is
claimed.

1. **Paired ratio** (``ratios.TorchOverNumpy``: both backends timed alternately in one process):
   the gap is claimed when asv's 99 % confidence interval of the median ratio lies wholly on one
   side of 1; when the interval holds 1, "no difference" is what the pairs say.
2. **asv's test on the two medians' statistics** (``asv.commands.compare._is_result_better``:
   Mann-Whitney U on the samples when asv kept them, else the 99 % intervals): the gap is claimed
   when asv calls it real, whatever the IQR of either side; the spread is shown, not a veto.
3. Nothing else: "not claimed", with the spreads that stopped it.

Instruction counts (``counts.Instructions``) are reported beside every 1-thread claim as the work
each side does; they never claim a time on their own (valgrind runs other kernels than the host).
"""
import math
from dataclasses import dataclass

from .fmt import is_number

PAIRED = "paired"
ASV_TEST = "asv's test"
NONE = "not claimed"


@dataclass
class Claim:
    """A torch/numpy ratio and what it rests on."""
    ratio: float          # torch / numpy (nan when there is none)
    basis: str            # PAIRED, ASV_TEST or NONE
    claimed: bool         # True: a gap (ratio != 1) the measurement calls real
    low: object = None    # the ratio's interquartile range (paired) or None
    high: object = None
    reason: str = ""      # why not claimed, or what is shaky about a claim

    @property
    def faster(self):
        """'numpy' or 'torch' for a claimed gap, else None."""
        if not self.claimed:
            return None
        return "numpy" if self.ratio > 1 else "torch"

    def cell(self):
        """The table cell: '1.24' claimed, '~1.02' not a difference, 'n/a'; the basis is its own cell."""
        if not is_number(self.ratio):
            return "n/a"
        return f"{self.ratio:.2f}" if self.claimed else f"~{self.ratio:.2f}"

    def basis_cell(self):
        if self.basis == PAIRED:
            return f"paired, IQR {self.low:.2f}–{self.high:.2f}"
        if self.basis == ASV_TEST:
            return "asv's test" + (f" ({self.reason})" if self.reason else "")
        return NONE + (f": {self.reason}" if self.reason else "")

    def phrase(self):
        """'torch is 1.24× slower (paired ratio, IQR 1.20–1.28)', for sentences."""
        if not is_number(self.ratio):
            return "no ratio"
        factor = self.ratio if self.ratio >= 1 else 1 / self.ratio
        how = (f"paired ratio {self.ratio:.2f}, IQR {self.low:.2f}–{self.high:.2f}" if self.basis == PAIRED
               else f"asv's test on the medians{', ' + self.reason if self.reason else ''}")
        if self.claimed:
            other = "torch" if self.faster == "numpy" else "numpy"
            return f"{self.faster} is {factor:.2f}× faster than {other} ({how})"
        if self.basis == PAIRED:
            return f"no difference the pairs can tell ({how})"
        return f"torch/numpy ~{self.ratio:.2f}, not claimed ({self.reason or 'asv finds no difference'})"


def pairs_carry_claims(params):
    """Whether a paired ratio carries the claim at `params` (a point's parameters): at 1 thread
    only. Above it the pairs run with both pools asleep between calls (two pools in one process
    would fight), so each torch call wakes its workers, a cost neither library pays alone: those
    ratios are shown, not claimed, and the claim is asv's test on the medians."""
    return params.get("threads", 1) == 1


def paired_claim(record):
    """The Claim of a paired-ratio Record (``ratios.TorchOverNumpy.track_ratio``), or None."""
    if record is None or not record.ok or not is_number(record.value):
        return None
    stats = record.stats or {}
    lo, hi = stats.get("ci_99_a"), stats.get("ci_99_b")
    q25, q75 = stats.get("q_25", record.value), stats.get("q_75", record.value)
    real = is_number(lo) and is_number(hi) and (lo > 1 or hi < 1)
    return Claim(record.value, PAIRED, real, q25, q75)


def sample_claim(numpy, torch, significant, unstable_backends=()):
    """The Claim of two timed Records (numpy, torch) given asv's verdict `significant` on them."""
    if numpy is None or torch is None or not (numpy.ok and torch.ok) or not numpy.value:
        return Claim(math.nan, NONE, False, reason="no result for both backends")
    ratio = torch.value / numpy.value
    shaky = ", ".join(f"{b} IQR {rec.spread:.0%}" for b, rec in (("numpy", numpy), ("torch", torch))
                      if b in unstable_backends and rec.spread is not None)
    if significant:
        return Claim(ratio, ASV_TEST, True, reason=shaky)
    return Claim(ratio, NONE, False, reason=shaky or "asv's test finds no difference")


def claim(paired_record, numpy, torch, significant, unstable_backends=()):
    """The strongest Claim the measurements support: the paired ratio where there is one, else
    asv's test on the two timed medians."""
    return paired_claim(paired_record) or sample_claim(numpy, torch, significant, unstable_backends)
