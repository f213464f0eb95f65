"""The timeline page: every op and the whole loop against NumPy and torch releases, from the release
sweep's results (``releases/<machine>/``, data from ``timeline_model``), into ``html/timeline/``.

NumPy releases (numpy's time) and torch releases (torch's time) share one date axis and a log time
axis, so a µs op and its releases stay readable. The page is ``templates/timeline.html`` with its
data inline as JSON (every time already formatted here, so the script formats nothing) and
``static/timeline.js``; it loads only the site's vendored jQuery and flot, so it works offline.

    twolayer-bench timeline [--machine NAME]    # write html/timeline/ (publish does it too)
    twolayer-bench timeline --top N             # the N largest claimed steps, as Markdown
"""
from importlib import resources
from pathlib import Path

from . import options
from .atomic import write_folder
from .errors import BadInput
from .fmt import fmt_count, fmt_time, markdown_table
from .release_lines import RESULTS_DIR, check_release_inputs
from .results import load_config
from .timeline_model import (COUNT_STEP, SINGLE_RUN_THREADS, STEP_FACTOR, build,  # noqa: F401
                             releases_conf, sweep_machine)

TIMELINE_DIR = "timeline"
SCRIPT = "timeline.js"
VENDOR = ("jquery-3.3.1/jquery.min.js", "flot-0.8.3/jquery.flot.js", "flot-0.8.3/jquery.flot.time.js")


def change_text(s):
    """'2.50× slower' or '1.32× faster'."""
    return f"{s['ratio']:.2f}× slower" if s["slower"] else f"{1 / s['ratio']:.2f}× faster"


def step_text(s):
    """'torch 2.4.1 → 2.5.1: grad_w2 float64 2 threads 12.1 µs → 30.2 µs (2.50× slower)'."""
    threads = "1 thread" if s["threads"] == 1 else f"{s['threads']} threads"
    return (f"{s['line']} {s['from']} → {s['to']}: {s['op']} {s['dtype']} {threads} "
            f"{fmt_time(s['before'])} → {fmt_time(s['after'])} ({change_text(s)})"
            + (f"; shipped: {s['shipped']}" if s["shipped"] else "")
            + (f" — not claimed: {s['why_not']}" if s["why_not"] else ""))


def count_step_text(s):
    """'torch 2.2.2 → 2.3.1: grad_w1 float64 1.21 M → 1.80 M instructions per call (1.49× more)'."""
    more = f"{s['ratio']:.2f}× more" if s["ratio"] > 1 else f"{1 / s['ratio']:.2f}× fewer"
    return (f"{s['line']} {s['from']} → {s['to']}: {s['op']} {s['dtype']} {fmt_count(s['before'])} → "
            f"{fmt_count(s['after'])} instructions per call ({more})")


def _step_class(s):
    return "unstable" if s["unstable"] else ("slower" if s["slower"] else "faster")


def payload(data):
    """What the page's script reads: the ops, the points with their times formatted, the steps
    with their text, and each selection's log axis."""
    lines = {}
    for line, rels in data["lines"].items():
        lines[line] = [dict(r, points={k: dict(p, text=fmt_time(p["median"]),
                                               low=fmt_time(p["q25"]), high=fmt_time(p["q75"]),
                                               repeat_text=fmt_time(p["repeat"]) if p["repeat"] else "")
                                       for k, p in r["points"].items()})
                       for r in rels]
    steps = [{"line": s["line"], "to": s["to"], "key": f"{s['op']}|{s['dtype']}|{s['threads']}",
              "change": change_text(s), "why_not": s["why_not"]} for s in data["steps"]]
    return {"ops": data["ops"], "lines": lines, "steps": steps, "axes": data["axes"]}


def _commits_by_threads(data):
    """{threads: ['6eef1983 (250 points)', ...]}, the most points first, as the page states them."""
    by_threads = {}
    for c in data["commits"]:
        by_threads.setdefault(c["threads"], []).append(f"{c['commit'][:8]} ({c['points']} points)")
    return dict(sorted(by_threads.items()))


def render(data):
    """The page (index.html; the data inline, so it also opens from disk beside timeline.js)."""
    from .site_assets import templates
    env = templates(page=True)
    claims = [s for s in data["steps"] if s["claim"]]
    doubtful = [s for s in data["steps"] if not s["claim"]]
    items = lambda steps: [(_step_class(s), step_text(s)) for s in steps]   # noqa: E731
    releases = [dict(r, line=line) for line, rels in data["lines"].items() for r in rels]
    return env.get_template("timeline.html").render(
        data=data, payload=payload(data), vendor=VENDOR, script=SCRIPT, step_factor=STEP_FACTOR,
        commits=[(t, ", ".join(cs)) for t, cs in _commits_by_threads(data).items()],
        mixed=any(len(cs) > 1 for cs in _commits_by_threads(data).values()),
        claims=items(claims[:40]), more_claims=max(0, len(claims) - 40),
        unclaimed=items(doubtful[:20]), more_unclaimed=max(0, len(doubtful) - 20),
        largest=[(t, _step_class(s), step_text(s)) for t, s in data["largest"].items()],
        releases=releases, single_run=", ".join(str(t) for t in SINGLE_RUN_THREADS),
        count_steps=[("slower" if s["ratio"] > 1 else "faster", count_step_text(s)) for s in data["count_steps"][:40]],
        more_count_steps=max(0, len(data["count_steps"]) - 40), count_step=f"{COUNT_STEP:.0%}",
        counted=any(r["counts"] for rels in data["lines"].values() for r in rels))


def static_script():
    """The page's script, as shipped in the package (``static/timeline.js``)."""
    return resources.files(__package__).joinpath("static", SCRIPT).read_text(encoding="utf-8")


def write(config=None, html_dir=None, machine=None):
    """Write ``<html>/timeline/`` (its script, then index.html, each atomically) from the release
    sweep's results. Returns the page's path, or None when this checkout holds no sweep results.
    Not a stage of its own: publish builds the whole site in one (``site.build_site``)."""
    rconf = releases_conf(config)
    check_release_inputs(rconf.path)        # a damaged file is bad input before anything is written
    machine = sweep_machine(rconf, machine)
    if machine is None:
        return None
    page = render(build(rconf, machine, config))
    out = Path(html_dir) if html_dir else Path(load_config(config).html_dir)
    return write_folder(out / TIMELINE_DIR, [(SCRIPT, static_script()), ("index.html", page)])


def changes_table(data, top):
    """The `top` largest steps between stable medians as a Markdown table (the README's answer
    across releases)."""
    claims = [s for s in data["steps"] if s["claim"]][:top]
    rows = [[f"{s['line']} {s['from']} → {s['to']}", f"`{s['op']}`", s["dtype"], s["threads"],
             f"{fmt_time(s['before'])} → {fmt_time(s['after'])}", change_text(s) + (" ?" if s["unstable"] else ""),
             s["shipped"] or "—"] for s in claims]
    return markdown_table(["release step", "op", "dtype", "threads", "median", "change",
                           "what the release ships changed"], rows)


def configure(p):
    options.config(p)
    options.machine(p)
    p.add_argument("--html-dir", help="the site's folder (default: the asv html_dir)")
    p.add_argument("--top", type=int, metavar="N",
                   help="print the N largest release-to-release steps as a Markdown table instead")


def run(args):
    if args.top is not None:
        if args.top < 1:
            raise BadInput(f"--top must be at least 1, not {args.top}")
        rconf = releases_conf(args.config)
        check_release_inputs(rconf.path)
        machine = sweep_machine(rconf, args.machine)
        if machine is None:
            raise BadInput(f"no release sweep results in {RESULTS_DIR}/; run 'make releases' first")
        print(changes_table(build(rconf, machine, args.config), args.top))
        return 0
    path = write(args.config, args.html_dir, args.machine)
    if path is None:
        raise BadInput(f"no release sweep results in {RESULTS_DIR}/; run 'make releases' first")
    print(f"timeline: {path}")
    return 0


COMMANDS = [("timeline", "write the site's timeline page (time against NumPy and torch release) "
                         "from the release sweep's results", configure, run)]
