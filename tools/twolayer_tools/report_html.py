"""The report as an HTML page (templates/report.html, static/report.css and report.js) with its
PNG plots: contents, the headline table, then the sections folded (<details>), the scaling plot.

The Markdown cells' `code`, **bold** and *emphasis* become markup in the template (``segments``);
no HTML is written here. Docs are cited once, linked where the site publishes them
(../docs/<name>.html#<section>).
"""
import os
import re
import shutil

from .atomic import write_text
from .report_md import (FORUM, FORUM_SOURCE, HEADLINE, HEADLINE_INTRO, INTRO, TITLE, headers, sources,
                        split_rows, table_rows, to_markdown)
from .report_explain import facts_lines
from .report_model import SEED_KEY, headline_matrix, headlines, short_env, version_key
from . import report_plots

HERE = os.path.dirname(os.path.abspath(__file__))
STATIC = os.path.join(HERE, "static")
STATIC_FILES = ("report.css", "report.js")
DOCS_URL = "../docs/{doc}.html#{anchor}"
"""Where the site publishes docs/<doc>.md, seen from html/report/ (python-markdown's toc ids)."""

_INLINE = re.compile(r"`([^`]*)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*")


def segments(text):
    """[(kind, text)] of a Markdown cell or sentence: kind '', 'code', 'b' or 'em'."""
    out, at = [], 0
    for m in _INLINE.finditer(str(text)):
        if m.start() > at:
            out.append(("", text[at:m.start()]))
        kind = "code" if m.group(1) is not None else "b" if m.group(2) is not None else "em"
        out.append((kind, m.group(1) if kind == "code" else m.group(2) if kind == "b" else m.group(3)))
        at = m.end()
    if at < len(str(text)):
        out.append(("", str(text)[at:]))
    return out


def slug(text):
    """An id or file-name part: letters, digits, '-' and '_'."""
    return re.sub(r"[^A-Za-z0-9_]+", "-", text).strip("-").lower()


def group_id(env_index, group):
    return f"env{env_index}-{slug(group.title)}"


def _param_label(name, value):
    """'float64', '1 thread', 'variant naive': a configuration's parameter in a column header."""
    if name == "dtype":
        return str(value)
    if name == "threads":
        return f"{value} thread{'' if value == 1 else 's'}"
    return f"{name} {value}"


def matrix_header(keys):
    """Header rows of the headline matrix, one per parameter, equal neighbours joined:
    [[(label, colspan)]]."""
    if len({len(k) for k in keys}) != 1:
        return [[(", ".join(_param_label(*kv) for kv in k), 1) for k in keys]]
    rows = []
    for level in range(len(keys[0]) if keys else 0):
        row = []
        for k in keys:
            if row and row[-1][2] == k[:level + 1]:
                row[-1][1] += 1
            else:
                row.append([_param_label(*k[level]), 1, k[:level + 1]])
        rows.append([(label, span) for label, span, _ in row])
    return rows


def _matrix(report):
    """The headline as a matrix for the page: an environment per row, a configuration per column."""
    keys, rows = headline_matrix(report)
    names = [e.env for e in report.envs]
    body = []
    for i, heads in rows:
        cells = [None if h is None else {"id": group_id(i, h.group), "verdict": h.verdict if h.faster else "—",
                                         "short": h.short, "basis": h.basis, "claimed": bool(h.faster),
                                         "seed": h.group.key == SEED_KEY} for h in heads]
        body.append({"env": short_env(report.envs[i].env, names, " "), "name": report.envs[i].env, "cells": cells})
    return {"header": matrix_header(keys), "rows": body}


def _environment():
    from .site_assets import templates
    return templates(page=True, segments=segments)


def _ratio_plots(report, out_dir):
    """[(title, png)] of torch/numpy across environments, one per configuration (none for one env)."""
    envs = sorted(report.envs, key=lambda e: version_key(e.env))
    if len(envs) < 2:
        return []
    keys = []
    for e in envs:
        keys += [g.key for g in e.groups if g.key not in keys]
    plots = []
    for key in keys:
        png = f"ratio_{slug('_'.join(f'{k}{v}' for k, v in key))}.png"
        report_plots.save(report_plots.ratio_figure(envs, key), os.path.join(out_dir, png))
        plots.append((", ".join(f"{k}={v}" for k, v in key), png))
    return plots


def context(report, out_dir, scaling=None):
    """The template's data; draws the plots into `out_dir` on the way."""
    names = [e.env for e in report.envs]
    by_group = {(h.env_index, h.group.key): h for h in headlines(report)}
    envs = []
    for i in sorted(range(len(report.envs)), key=lambda i: version_key(report.envs[i].env)):   # as the headline
        e = report.envs[i]
        groups = []
        for g in e.groups:
            png = f"bars_{i}_{slug(g.title).replace('-', '_')}.png"
            title = f"{short_env(e.env, names)}, {g.title}".replace("\n", " ")
            report_plots.save(report_plots.bars_figure(g, title), os.path.join(out_dir, png))
            h = by_group[(i, g.key)]
            scols, srows = split_rows(g)
            groups.append({"id": group_id(i, g), "title": g.title, "verdict": h.verdict, "basis": h.basis,
                           "cols": headers(g), "rows": table_rows(g), "summary": g.summary, "png": png,
                           "sentences": g.sentences, "split_cols": scols, "split_rows": srows})
        envs.append({"id": f"env{i}", "name": e.env, "short": short_env(e.env, names, " "),
                     "facts": facts_lines(e.facts), "groups": groups})
    return {"title": TITLE, "machine": report.machine, "commit": report.commit[:8], "intro": INTRO,
            "sources": sources(lambda doc, anchor: DOCS_URL.format(doc=doc, anchor=anchor)),
            "forum": report.forum, "forum_title": FORUM, "forum_source": FORUM_SOURCE,
            "headline": HEADLINE, "headline_intro": HEADLINE_INTRO, "matrix": _matrix(report), "ratio_plots": _ratio_plots(report, out_dir), "envs": envs,
            "scaling": ({"png": scaling[0], "env": scaling[1], "commit": scaling[2][:8]} if scaling else None)}


def render(ctx):
    """The page's HTML from the template."""
    return _environment().get_template("report.html").render(**ctx)


def write_html(report, out_dir, scaling=None):
    """index.html, its CSS/JS, report.md and PNG plots in `out_dir` (created); returns the index
    path. `scaling` is the size sweep's plot, ``(png file name in out_dir, environment, commit)``."""
    os.makedirs(out_dir, exist_ok=True)
    page = render(context(report, out_dir, scaling))
    for name in STATIC_FILES:
        shutil.copyfile(os.path.join(STATIC, name), os.path.join(out_dir, name))
    path = os.path.join(out_dir, "index.html")
    write_text(path, page)
    write_text(os.path.join(out_dir, "report.md"), to_markdown(report))
    return path
