"""``twolayer-bench report``: the seed's per-line table from asv results, numpy beside torch, with the
reasons computed from numbers; the command only (the layers below do the work).

    twolayer-bench report                      # Markdown to stdout, every environment
    twolayer-bench report -o report.md --html  # also html/report/index.html with plots

``report_model`` builds the numbers and claims (with ``report_explain``'s sentences), ``report_md``
writes the Markdown, ``report_html`` the page (jinja2 template, static CSS/JS) and
``report_plots`` its plots; the size sweep's plot is ``scaling``'s.
"""
import errno
import os
import sys

from . import options
from .atomic import staged_folder, write_text
from .errors import BadInput
from .report_md import to_markdown
from .report_model import build_report
from .results import load_config, load_result_set, select_envs


def _inside(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder + os.sep)


def _refuse_results(conf, *paths):
    for p in filter(None, paths):
        if _inside(p, conf.results_dir):
            raise BadInput(f"refusing to write {p!r} inside the results folder {conf.results_dir!r}")


def configure(p):
    options.config(p)
    options.machine(p)
    options.commit(p)
    options.env(p)
    p.add_argument("-o", "--output", help="write the Markdown here instead of stdout")
    p.add_argument("--html", action="store_true", help="also write the HTML page and plots")
    p.add_argument("--html-dir", help="where the HTML goes (default: <asv html_dir>/report)")


def _emit(text, output, markdown):
    """The Markdown to `output` (atomically), else with `markdown` to stdout."""
    if output:
        if os.path.isdir(output):
            raise BadInput(f"cannot write {output!r}: {os.strerror(errno.EISDIR)}")
        write_text(output, text + "\n")
        print(f"report: {output}", file=sys.stderr)
    elif markdown:
        print(text)


def write(conf, machine=None, commit=None, envs=(), output=None, html_dir=None, markdown=False):
    """Build the report of `machine` at `commit`; write html/report/ (or `html_dir`), and the
    Markdown to `output` or, with `markdown`, to stdout. Returns the HTML index written."""
    from .report_html import write_html
    rs = load_result_set(conf, machine, commit)
    report = build_report(rs, select_envs(rs, envs))
    report.forum = forum(conf, rs)
    html_dir = html_dir or os.path.join(conf.html_dir, "report")
    _refuse_results(conf, output, html_dir)
    _emit(to_markdown(report), output, markdown)
    with staged_folder(html_dir, copy=True) as stage:     # built beside html/report/, then swapped in
        write_html(report, str(stage), _sweep(conf, rs, os.path.join(stage, "scaling.png")))
    index = os.path.join(html_dir, "index.html")
    print(f"report: {index}", file=sys.stderr)
    return index


def forum(conf, rs):
    """The forum's answer tested on this machine (``answer_model.forum_verdict``) when the answer's
    columns were all measured at the report's commit; '' otherwise (another commit, no NumPy+MKL)."""
    from .answer_model import forum_verdict, machine_answer
    m = machine_answer(conf, rs.machine)
    sources = [s for s in (m.main, m.mkl, m.mkl_torch) if s is not None]
    if m.missing or m.mkl is None or any(s.commit[:8] != rs.commit[:8] for s in sources):
        return ""
    return forum_verdict(m)


def _sweep(conf, rs, png):
    """Plot the size sweep (make sweep) to `png`: this commit's, else the newest before it on the
    machine, from the first environment that ran it; ``(file name, environment, commit)`` or None
    (then no stale plot is left at `png`)."""
    from .scaling import plot_result
    older = rs.commits[rs.commits.index(rs.commit) + 1:] if rs.commit in rs.commits else []
    for commit in [rs.commit] + older:
        s = rs if commit == rs.commit else load_result_set(conf, rs.machine, commit)
        swept = next((res for _, res in sorted(s.results.items()) if plot_result(res, s.benchmarks, png)), None)
        if swept:
            return os.path.basename(png), swept.env_name, swept.commit_hash
    if os.path.exists(png):
        os.remove(png)
    return None


def run(args):
    conf = load_config(args.config)
    if args.html or args.html_dir:
        write(conf, args.machine, args.commit, args.env, args.output, args.html_dir, markdown=True)
        return 0
    rs = load_result_set(conf, args.machine, args.commit)
    report = build_report(rs, select_envs(rs, args.env))
    report.forum = forum(conf, rs)
    _refuse_results(conf, args.output)
    _emit(to_markdown(report), args.output, markdown=True)
    return 0


COMMANDS = [("report", "the seed's per-line table, numpy beside torch, with the reasons computed "
                       "from the cause benchmarks (Markdown with contents and a headline table; "
                       "--html: html/report/)", configure, run)]
