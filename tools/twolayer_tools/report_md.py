"""The report as Markdown: contents, the headline table, then per environment its facts and per
configuration the per-op table, the verdict and one sentence per op (``report_model``'s numbers).

The rules it applies are cited once, in ``SOURCES`` (docs/<name>.md#<section>), not per sentence.
"""
import re

from twolayer import problem
from twolayer.backends import BACKENDS

from .fmt import fmt_count, fmt_delta, fmt_time, markdown_table
from .fmt import is_number as _ok
from .report_explain import LIBRARY_NAMES, facts_lines
from .report_model import headlines, short_env
from .results import UNSTABLE_SPREAD


def headers(group):
    """The table's columns; instruction columns only where the group has counts (1 thread)."""
    cols = ["op", "line", "numpy", "share", "torch", "share", "torch/numpy", "rests on"]
    return cols + (["numpy instr", "torch instr", "instr ratio"] if group.counted else [])


def table_rows(group):
    """The table as rows of strings (``headers``): op, line, numpy, share, torch, share, the
    claimed torch/numpy ratio, what it rests on, and the instructions per call (1 thread)."""
    rows = []
    tot = {b: group.total(b) for b in BACKENDS}
    counted = group.counted

    def ratio(a, b):
        return f"{b / a:.2f}" if _ok(a) and _ok(b) and a else "n/a"

    def instr(values):
        if not counted:
            return []
        return [fmt_count(values.get("numpy")), fmt_count(values.get("torch")),
                ratio(values.get("numpy"), values.get("torch"))]

    for r in group.rows:
        cells = [f"`{r.op}`", f"`{problem.OPS_BY_NAME[r.op].line}`"]
        for b in BACKENDS:
            t = r.t(b)
            cells += [fmt_time(t) + (" ?" if b in r.unstable else ""),
                      f"{t / tot[b] * 100:.1f} %" if _ok(t) and tot[b] else ""]
        cells += [r.claim.cell(), r.claim.basis_cell()] + instr(r.counts)
        rows.append(cells)
    blank = [""] * (3 if counted else 0)
    rows.append(["**Σ ops**", "", fmt_time(tot["numpy"]), "100 %" if tot["numpy"] else "",
                 fmt_time(tot["torch"]), "100 %" if tot["torch"] else "", ratio(tot["numpy"], tot["torch"]),
                 "medians timed apart"] + instr({b: group.count_total(b) for b in BACKENDS}))
    st = group.step
    sc = group.step_claim
    rows.append(["**measured step**", f"loop.Loop.time_train / {problem.STEPS}", fmt_time(st["numpy"]), "",
                 fmt_time(st["torch"]), "", sc.cell() if sc else ratio(st["numpy"], st["torch"]),
                 sc.basis_cell() if sc else "medians timed apart"] + instr(group.step_counts))
    diff = []
    for b in BACKENDS:
        if _ok(st[b]) and _ok(tot[b]):
            d = st[b] - tot[b]
            diff += [fmt_delta(d), f"{d / st[b] * 100:+.1f} % of step"]
        else:
            diff += ["n/a", ""]
    idiff = []
    if counted:
        for b in BACKENDS:
            s_, t_ = group.step_counts.get(b), group.count_total(b)
            idiff.append(f"{(s_ - t_) / s_ * 100:+.1f} %" if _ok(s_) and _ok(t_) and s_ else "n/a")
        idiff.append("")
    rows.append(["**step − Σ ops**", "what the op breakdown misses", *diff, "", ""] + (idiff or blank))
    return rows


def split_rows(group):
    """Instructions per call by library (callgrind, 1 thread): one row per op and backend."""
    libraries = []
    for r in group.rows:
        for split in r.parts.values():
            libraries += [k for k in split if k not in libraries]
    rows = []
    for r in group.rows:
        for b in BACKENDS:
            split = r.parts.get(b)
            if not split:
                continue
            total = r.counts.get(b)
            rows.append([f"`{r.op}`", b, fmt_count(total)]
                        + [fmt_count(split.get(k)) if _ok(split.get(k)) and split.get(k) >= 0.5 else ""
                           for k in libraries])
    return ["op", "backend", "instructions"] + [LIBRARY_NAMES.get(k, k) for k in libraries], rows


INTRO = ("Time per call (asv's median; `?` = unstable: the samples' IQR above "
         f"{UNSTABLE_SPREAD:.0%} of the median, a mark, not a veto); share = share of the sum of ops; "
         "torch/numpy > 1: torch slower. The ratio is the strongest measurement that supports it "
         "(*rests on*): the paired ratio (both backends timed alternately in one process, its IQR), "
         "else asv's test on the two medians; `~` = not claimed. Instructions per call: callgrind, "
         "1 thread, the code path valgrind sees: it hides AVX-512 (the BLAS runs other kernels under "
         "it), and memory stalls, threads and the clock are not counted, so counts sit beside the "
         f"times and never claim one. Measured step = "
         f"{problem.STEPS}-step loop / {problem.STEPS}.")


SOURCES = [   # (what, doc, section heading): each rule the report applies, cited once
    ("the `?` mark: an unstable median", "noise", "The reliability mark"),
    ("the claim rule: what a ratio rests on", "tools", "Explaining"),
    ("how paired ratios are measured", "methods", "Paired ratios"),
    ("instruction counts (callgrind)", "methods", "Instruction counts"),
    ("how far 2-thread results hold on this machine", "noise", "How to read the results"),
]


def doc_anchor(heading):
    """The id the site's rendered docs (and GitHub) give `heading`: the docs' own slug function."""
    from .site_docs import github_slug
    return github_slug(heading)


def sources(link):
    """[(what, doc file name, url)] of ``SOURCES``, `link(doc, anchor)` making each url."""
    return [(what, f"{doc}.md", link(doc, doc_anchor(heading))) for what, doc, heading in SOURCES]


class Anchors:
    """GitHub's heading ids, in document order: punctuation dropped, spaces to '-', '-1', '-2'
    after repeats (the report's configuration headings repeat per environment)."""

    def __init__(self):
        self.seen = {}

    def __call__(self, heading):
        s = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        n = self.seen.get(s, 0)
        self.seen[s] = n + 1
        return s if n == 0 else f"{s}-{n}"


TITLE = "NumPy vs PyTorch, op by op"
HEADLINE = "Headline: the measured step, per configuration and environment"
HEADLINE_INTRO = (f"The training step (`loop.Loop.time_train` / {problem.STEPS}) of each environment at each "
                  "configuration: which library is faster, by how much, and the measurement that claim rests "
                  "on, or why none is claimed; the seed's configuration (the forum's loop as written, "
                  "float64, 1 thread) first.")
HEADLINE_COLS = ["configuration", "environment", "faster", "by", "rests on", "numpy step", "torch step"]


def headline_cells(h, report):
    """One headline row as strings (``HEADLINE_COLS``), without links."""
    names = [e.env for e in report.envs]
    return [h.group.title, short_env(report.envs[h.env_index].env, names, " "), h.faster or "—",
            f"{h.factor:.2f}×" if h.faster else "", h.basis,
            fmt_time(h.group.step.get("numpy")), fmt_time(h.group.step.get("torch"))]


FORUM = "The forum's answer, tested"
FORUM_SOURCE = (" (From the seed's configuration on this machine: numpy and torch of the default environment, "
                "NumPy+MKL beside PyPI's NumPy and torch in one `make bench-blas` run; the answer page shows it "
                "line by line.)")


def to_markdown(report):
    """The whole report as Markdown: contents and the headline first, then the sections."""
    anchor = Anchors()
    title = f"{TITLE} (machine `{report.machine}`, commit `{report.commit[:8]}`)"
    anchor(title)
    anchor("Contents")
    forum_id = anchor(FORUM) if report.forum else None
    head_id = anchor(HEADLINE)
    env_ids, group_ids = [], {}
    for i, e in enumerate(report.envs):
        env_ids.append(anchor(e.env))
        for g in e.groups:
            group_ids[(i, g.key)] = anchor(g.title)
    out = [f"# {title}", "", INTRO, "",
           "Where these rules are written: " + "; ".join(f"{what}: [{name}](docs/{url})"
                                                       for what, name, url in sources(lambda d, a: f"{d}.md#{a}")) + ".",
           "", "## Contents", ""] + ([f"- [{FORUM}](#{forum_id})"] if forum_id else []) + [f"- [{HEADLINE}](#{head_id})"]
    for i, e in enumerate(report.envs):
        out.append(f"- [{e.env}](#{env_ids[i]}): "
                   + ", ".join(f"[{g.title}](#{group_ids[(i, g.key)]})" for g in e.groups))
    rows, last = [], None
    for h in headlines(report):
        cells = headline_cells(h, report)
        cells[1] = f"[{cells[1]}](#{group_ids[(h.env_index, h.group.key)]})"
        if h.faster:
            cells[2] = f"**{cells[2]}**"
        if h.group.key == last:
            cells[0] = ""
        last = h.group.key
        rows.append(cells)
    if report.forum:
        out += ["", f"## {FORUM}", "", report.forum + FORUM_SOURCE]
    out += ["", f"## {HEADLINE}", "", HEADLINE_INTRO + " Each row links to its section.", "", markdown_table(HEADLINE_COLS, rows), ""]
    for e in report.envs:
        out += [f"## {e.env}", ""]
        out += [f"- {line}" for line in facts_lines(e.facts)] + [""]
        for g in e.groups:
            out += [f"### {g.title}", "", markdown_table(headers(g), table_rows(g))]
            out += ["", g.summary, "", "Why, op by op:", ""]
            out += [f"- {s}" for s in g.sentences] + [""]
            cols, rows = split_rows(g)
            if rows:
                out += ["Instructions per call by library (callgrind, 1 thread):", "", markdown_table(cols, rows), ""]
    return "\n".join(out)
