"""Scaling with size: the sweep's grid (shared with benchmarks/scaling.py) and its plot.

    make sweep                                   # the sweep (TWOLAYER_BENCH_SLOW=1; skipped otherwise)
    twolayer-bench scaling [-m MACHINE] [-c COMMIT] [--out html/report/scaling.png]

The plot has three panels, over the FLOPs of one training step (log-log): the loop's time per
step for numpy and torch; the numpy/torch time ratio of the loop and of the two large matmuls
(above 1: torch faster); and the matmuls' achieved GFLOP/s with the measured peak
(``peak.Peak``) as a line where the same results have it. matplotlib is imported only to plot.
"""
import os
import sys

from twolayer import problem

from . import options
from .errors import BadInput
from .fmt import fmt_count, fmt_time
from .results import ROOT, load_config, load_result_set, select_envs

DEFAULT_OUT = os.path.join("html", "report", "scaling.png")


def _grid():
    """The sweep's grid, from the suite (benchmarks/scaling.py): one place for it."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks import scaling
    return scaling


def step_flops(n, h, d_in=problem.D_IN, d_out=problem.D_OUT):
    """Matmul FLOPs of one step at batch n, hidden h: two N·D_in·H and three N·H·D_out products."""
    return 2 * 2 * n * d_in * h + 3 * 2 * n * h * d_out


def matmul_flops(n, h, d_in=problem.D_IN):
    """FLOPs of one of the two large matmuls (x @ w1, x.T @ grad_h): 2·N·D_in·H."""
    return 2 * n * d_in * h


def points(result, benchmarks):
    """{(benchmark, backend, N, H): seconds} of the sweep in one asv Results."""
    from .peak import _points
    out = {}
    for name, short in (("scaling.ScalingLoop.time_train", "loop"),
                        ("scaling.ScalingMatmul.time_h", "h"),
                        ("scaling.ScalingMatmul.time_grad_w1", "grad_w1")):
        for (backend, n, h), seconds in _points(result, benchmarks, name).items():
            out[(short, backend, n, h)] = seconds
    return out


def ratio_table(pts):
    """Rows (N, H, step MFLOP, numpy/torch ratio of loop, h, grad_w1), sorted by work."""
    grid = _grid()
    rows = []
    for n in grid.SCALING_N:
        for h in grid.SCALING_H:
            ratios = []
            for what in ("loop", "h", "grad_w1"):
                a, b = pts.get((what, "numpy", n, h)), pts.get((what, "torch", n, h))
                ratios.append(a / b if a and b else None)
            if any(r is not None for r in ratios):
                rows.append((n, h, step_flops(n, h) / 1e6, *ratios))
    return sorted(rows, key=lambda r: r[2])


def _readable(axis, label):
    """Major ticks of a log `axis` labelled by `label` ('100 M', '10 ms'), no minor labels (matplotlib's
    read 10⁸, 2×10⁰)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: label(v)))
    axis.set_minor_formatter(NullFormatter())


def plot(pts, out, peak=None, title=""):
    """Write the three-panel figure to `out` (PNG)."""
    import matplotlib
    matplotlib.use("Agg")
    steps = _grid().SCALING_STEPS
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 5))
    colors = {"numpy": "tab:blue", "torch": "tab:orange"}
    ax = axes[0]
    for backend in ("numpy", "torch"):
        xs, ys = [], []
        for (what, b, n, h), s in sorted(pts.items(), key=lambda kv: step_flops(kv[0][2], kv[0][3])):
            if what == "loop" and b == backend:
                xs.append(step_flops(n, h))
                ys.append(s / steps * 1e3)
        ax.loglog(xs, ys, "o", color=colors[backend], label=backend, alpha=0.8)
    ax.set_xlabel("FLOPs per step")
    ax.set_ylabel("ms per step")
    ax.set_title(f"Loop ({steps} steps), float64, all cores")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    _readable(ax.yaxis, lambda ms: fmt_time(ms / 1e3))

    ax = axes[1]
    rows = ratio_table(pts)
    for i, (what, marker) in enumerate((("loop", "o"), ("h", "s"), ("grad_w1", "^"))):
        xs = [r[2] * 1e6 for r in rows if r[3 + i] is not None]
        ys = [r[3 + i] for r in rows if r[3 + i] is not None]
        ax.semilogx(xs, ys, marker, label=what, alpha=0.8)
    for r in rows:
        if r[3] is not None:
            ax.annotate(f"{r[0]}x{r[1]}", (r[2] * 1e6, r[3]), fontsize=6, alpha=0.7)
    ax.axhline(1.0, color="grey", lw=1)
    ax.set_xlabel("FLOPs per step")
    ax.set_ylabel("numpy time / torch time (>1: torch faster)")
    ax.set_title("numpy/torch ratio (labels: N x H)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()

    ax = axes[2]
    for backend in ("numpy", "torch"):
        for what, ls in (("h", "s"), ("grad_w1", "^")):
            sel = sorted((matmul_flops(n, h), matmul_flops(n, h) / s / 1e9)
                         for (w, b, n, h), s in pts.items() if w == what and b == backend)
            if sel:
                ax.semilogx(*zip(*sel), ls, color=colors[backend], label=f"{backend} {what}", alpha=0.8)
    if peak:
        ax.axhline(peak, color="black", lw=1, ls=":", label=f"measured peak {peak:.0f}")
    ax.set_xlabel("FLOPs per matmul")
    ax.set_ylabel("GFLOP/s")
    ax.set_title("The two large matmuls")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    for ax in axes:
        _readable(ax.xaxis, fmt_count)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    import io
    from .atomic import write_bytes
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    buf = io.BytesIO()
    fig.savefig(buf, dpi=110, format="png")
    plt.close(fig)
    write_bytes(out, buf.getvalue())   # beside it, then renamed over it: never half a plot
    return out


def plot_result(res, benchmarks, out=DEFAULT_OUT):
    """Plot the sweep held by one asv Results; returns the ratio rows, or None when it holds none."""
    from .peak import summarise
    pts = points(res, benchmarks)
    if not pts:
        return None
    # the sweep runs on all cores: the float64 peak at the most threads measured
    f64 = sorted((threads, gf) for (dtype, threads), (gf, _) in summarise(res, benchmarks)["peak"].items()
                 if dtype == "float64")
    peak = f64[-1][1] if f64 else None
    plot(pts, out, peak, f"{res.env_name} (commit {res.commit_hash[:8]})")
    return ratio_table(pts)


def configure(p):
    options.config(p)
    options.machine(p)
    options.commit(p)
    options.env(p)
    p.add_argument("--out", default=DEFAULT_OUT, help=f"PNG to write (default: {DEFAULT_OUT})")


def run(args):
    rs = load_result_set(load_config(args.config), args.machine, args.commit)
    rows = next((rows for env in select_envs(rs, args.env)
                 for rows in [plot_result(rs.results[env], rs.benchmarks, args.out)] if rows), None)
    if rows is None:
        raise BadInput(f"no scaling results at commit {rs.commit[:8]} on {rs.machine!r} (run `make sweep`)")
    print(f"{'N':>5} {'H':>5} {'MFLOP/step':>10}  numpy/torch: {'loop':>6} {'h':>6} {'grad_w1':>7}")
    for n, h, mf, *ratios in rows:
        print(f"{n:5d} {h:5d} {mf:10.1f}               " + " ".join(
            f"{r:6.2f}" if r is not None else "     -" for r in ratios))
    print(f"wrote {args.out}")
    return 0


COMMANDS = [("scaling", "plot the size sweep (make sweep) into html/report/scaling.png", configure, run)]
