"""The report's plots (matplotlib, Agg): the torch/numpy ratio across environments and the per-op
times of one group, with tick labels a person reads ("4×", "1/2×", "25 µs"), never "4×10⁰".

Each figure function returns the figure (tests read its tick labels); ``save`` writes it as PNG.
"""
import io
import math
import os

from twolayer.backends import BACKENDS

from .atomic import write_bytes
from .fmt import fmt_time
from .fmt import is_number as _ok
from .report_model import short_env


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def ratio_label(r):
    """'4×', '1×', '1.5×' at or above 1; '1/2×', '1/1.5×' below it (a ratio axis's tick)."""
    if not _ok(r) or r <= 0:
        return ""
    n = r if r >= 1 else 1 / r
    text = f"{n:.0f}" if n >= 10 else f"{n:.3g}"
    return f"{text}×" if r >= 1 else f"1/{text}×"


def ratio_ticks(lo, hi):
    """Ticks for a log ratio axis spanning [lo, hi]: powers of 2 around them (1 always among them),
    with 1.5 and 1/1.5 added where the span holds few powers; returns (ticks, (bottom, top))."""
    lo, hi = min(lo, 1.0), max(hi, 1.0)
    k_lo, k_hi = math.floor(math.log2(lo) + 1e-9), math.ceil(math.log2(hi) - 1e-9)
    if k_hi - k_lo < 2:                 # at least 1/2× to 2×
        k_lo, k_hi = min(k_lo, -1), max(k_hi, 1)
    step = 1
    while (k_hi - k_lo) / step > 8:     # at most ~9 ticks: every 4×, 16×, ... on a wide span
        step *= 2
    k_lo, k_hi = math.floor(k_lo / step) * step, math.ceil(k_hi / step) * step
    ticks = [2.0 ** k for k in range(k_lo, k_hi + 1, step)]
    if k_hi - k_lo <= 2:
        ticks = sorted(ticks + [1 / 1.5, 1.5])
    return ticks, (ticks[0] / 1.1, ticks[-1] * 1.1)


def time_ticks(lo, hi):
    """Decades of seconds covering [lo, hi] (a log time axis's ticks)."""
    k_lo, k_hi = math.floor(math.log10(lo) + 1e-9), math.ceil(math.log10(hi) - 1e-9)
    return [10.0 ** k for k in range(k_lo, max(k_hi, k_lo + 1) + 1)]


def _readable_log_axis(axis, ticks, label):
    """Fixed major ticks labelled by `label`, no minor labels (matplotlib's would read 4×10⁰)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: label(v)))
    axis.set_minor_locator(NullLocator())
    axis.set_minor_formatter(NullFormatter())


def ratio_series(envs, key):
    """{op or 'step': [claimed torch/numpy ratio or nan per environment]} of the groups at `key`."""
    series = {}
    for e in envs:
        g = next((g for g in e.groups if g.key == key), None)
        for r in (g.rows if g else []):
            series.setdefault(r.op, []).append(r.claim.ratio if r.claim.claimed else math.nan)
        st = g.step if g else {}
        sc = g.step_claim if g else None
        series.setdefault("step", []).append(
            sc.ratio if sc is not None else st["torch"] / st["numpy"] if g and _ok(st.get("torch"))
            and _ok(st.get("numpy")) else math.nan)
    return {name: ys for name, ys in series.items() if len(ys) == len(envs)}


def ratio_figure(envs, key):
    """torch/numpy across `envs` (in the order given) at group `key`: a line per op, the step in black."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    xs = list(range(len(envs)))
    series = ratio_series(envs, key)
    for name, ys in series.items():
        ax.plot(xs, ys, marker="o", lw=3 if name == "step" else 1,
                color="black" if name == "step" else None, label=name)
    ax.axhline(1, color="grey", ls=":")
    ax.set_yscale("log")
    values = [y for ys in series.values() for y in ys if _ok(y) and y > 0] or [1.0]
    ticks, limits = ratio_ticks(min(values), max(values))
    _readable_log_axis(ax.yaxis, ticks, ratio_label)
    ax.set_ylim(*limits)
    names = [e.env for e in envs]
    ax.set_xticks(xs, [short_env(n, names) for n in names], fontsize=7, rotation=25, ha="right")
    ax.set_ylabel("torch time / numpy time (above 1×: torch slower)")
    ax.set_title(", ".join(f"{k}={v}" for k, v in key))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))   # beside the plot, not over it
    fig.tight_layout()
    return fig


def bars_figure(group, title):
    """Time per call of every op of `group`, numpy beside torch, on a log time axis."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 4))
    ops = [r.op for r in group.rows]
    xs = range(len(ops))
    for j, b in enumerate(BACKENDS):
        ax.bar([x + (j - 0.5) * 0.4 for x in xs], [r.t(b) or 0 for r in group.rows], 0.4, label=b)
    ax.set_yscale("log")
    times = [r.t(b) for r in group.rows for b in BACKENDS if _ok(r.t(b)) and r.t(b) > 0]
    if times:
        ticks = time_ticks(min(times), max(times))
        _readable_log_axis(ax.yaxis, ticks, fmt_time)
        ax.set_ylim(ticks[0], ticks[-1])
    ax.set_xticks(list(xs), ops, rotation=35, ha="right", fontsize=8)
    ax.set_ylabel("time per call (log)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def tick_labels(fig):
    """The y-axis tick labels of each axes of `fig`, as drawn (for tests and checks)."""
    fig.canvas.draw()
    return [[t.get_text() for t in ax.get_yticklabels() if t.get_text()] for ax in fig.axes]


def save(fig, path, dpi=90):
    """Write `fig` as PNG at `path` (atomically) and close it; returns `path`."""
    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi, format="png")
    _pyplot().close(fig)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    write_bytes(path, buf.getvalue())
    return path
