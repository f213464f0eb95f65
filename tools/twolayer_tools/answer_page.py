"""The answer page (html/answer/index.html) and its Markdown: NumPy or torch, which is faster on
each machine, on which lines, by how much, and on what the claim rests (``answer_model``).

    twolayer-bench answer                       # the answer as Markdown
    twolayer-bench answer --html-dir html       # also html/answer/index.html

Each row links to asv's graph of its benchmark opened on the row's selection (asv's URL
parameters: the environment, ``p-<param>`` for the benchmark's own), two lines, numpy and torch.
The page is the same bytes for the same results (the site's check-sync compares it).
"""
import datetime
import os
import sys
from pathlib import Path
from urllib.parse import quote

from twolayer.backends import BACKENDS

from . import answer_model, options
from .errors import BadInput
from .fmt import fmt_count, fmt_time, is_number, markdown_table
from .results import UNSTABLE_SPREAD, config_path, load_config

PAGE_DIR = "answer"
TEMPLATES = Path(__file__).with_name("templates")
STATIC = ("answer.css",)
"""Files copied beside the page from the templates folder."""
NEIGHBOURS = (("../report/index.html", "report", "the per-op report"),
              ("../timeline/index.html", "timeline", "every op against NumPy and torch releases"))
"""The site's other pages, linked where they exist in the folder the page is written to."""


# -- asv's graph links ------------------------------------------------------------------------------

def _encode(value):
    """encodeURIComponent, as asv's format_hash_string writes the hash."""
    return quote(str(value), safe="-_.!~*'()")


def graph_href(bench, source, params, backends=BACKENDS):
    """The asv graph page of `bench` opened on the environment `source` and the benchmark
    parameters `params` (one value each; `backends` one line each): asv's ``#name?key=value``."""
    pairs = [(k, "[none]" if v is None else v) for k, v in source.graph.items()]
    pairs += [("p-backend", repr(b)) for b in backends]
    pairs += [(f"p-{k}", repr(v)) for k, v in params.items()]
    return f"../index.html#{bench}?" + "&".join(f"{_encode(k)}={_encode(v)}" for k, v in pairs)


# -- cells -----------------------------------------------------------------------------------------

def _time(rec):
    """(text, title) of a timed record: '356 ms ?' with its spread when unstable."""
    if rec is None or not rec.ok:
        return "n/a", "no result"
    spread = rec.spread
    if rec.unstable:
        return fmt_time(rec.value) + " ?", f"unstable: IQR {spread:.0%} of the median"
    return fmt_time(rec.value), (f"IQR {spread:.0%} of the median" if spread is not None else "")


def _date(ms):
    if not is_number(ms):
        return "date unknown"
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d")


def row(line, setting, m):
    """The cells of one table row, as plain values for the template."""
    c = line.claim
    numpy, torch = _time(line.numpy), _time(line.torch)
    out = {
        "op": line.op, "code": line.code, "numpy": numpy, "torch": torch,
        "faster": c.faster or "", "by": f"{line.factor:.2f}×" if line.factor else "—",
        "basis": c.basis_cell(), "ratio": c.cell(),
        "instr": f"{line.instructions_ratio:.2f}" if line.instructions_ratio is not None else "",
        "instr_title": ", ".join(f"{b} {fmt_count(line.counts.get(b))}" for b in BACKENDS)
        if line.counts else "",
        "graph": graph_href(line.bench, m.main, setting.params),
        "mkl": None,
    }
    if m.mkl is not None:
        mc = line.mkl_claim
        out["mkl"] = {
            "time": _time(line.mkl),
            "ratio": mc.cell() if mc is not None else "n/a",
            "title": (answer_model.versus(mc, "NumPy+MKL", "torch") + (f" ({answer_model.basis(mc)})"
                      if mc is not None and mc.claimed else "")) if mc is not None else "no torch beside it",
            "graph": graph_href(line.bench, m.mkl, setting.params, backends=("numpy",)),
        }
    return out


def sources(m):
    """Sentences saying which environment and commit each column comes from."""
    if m.main is None:
        return []
    out = [f"numpy and torch: environment {m.main.env}, commit {m.main.commit[:8]} ({_date(m.main.date)}), "
           "the newest commit measured there."]
    if m.mkl is not None:
        out.append(f"NumPy+MKL: environment {m.mkl.env}, commit {m.mkl.commit[:8]} ({_date(m.mkl.date)}), "
                   f"the newest measured there; torch/MKL divides torch of {m.mkl_torch.env} (the same run, "
                   "torch as shipped) by it: asv's test on the medians, not paired.")
    else:
        out.append("NumPy+MKL: not measured on this machine (make bench-blas).")
    return out


def context(answer, conf, html_dir):
    """Everything the template shows, computed."""
    machines = []
    for i, m in enumerate(answer.machines):
        settings = [{"id": f"m{i}s{j}", "title": s.title, "seed": s.is_seed,
                     "rows": [row(ln, s, m) for ln in s.lines],
                     "counted": any(ln.instructions_ratio is not None for ln in s.lines)}
                    for j, s in enumerate(m.settings)]
        machines.append({"id": f"m{i}", "name": m.name, "info": m.info, "missing": m.missing,
                         "blas": m.blas if not m.missing else [], "sentence": answer_model.sentence(m),
                         "forum": answer_model.forum_verdict(m),
                         "settings": settings, "mkl": m.mkl is not None, "sources": sources(m)})
    neighbours = [(href, label, title) for href, label, title in NEIGHBOURS
                  if (Path(html_dir) / PAGE_DIR / href).resolve().is_file()]
    return {"machines": machines, "neighbours": neighbours, "unstable": f"{UNSTABLE_SPREAD:.0%}",
            "docs": "../docs/", "seed": answer_model.SEED}


def render(answer, conf, html_dir):
    """The page's HTML from templates/answer.j2."""
    from .site_assets import templates
    return templates(page=True).get_template("answer.j2").render(**context(answer, conf, html_dir))


def write(conf_path, html_dir, machine=None, answer=None):
    """Write `html_dir`/answer/ (its stylesheet, then index.html, each atomically) from the results
    of the asv configuration at `conf_path` (or the `answer` built from them); returns the page's
    path. Not a stage of its own: publish builds the whole site in one (``site_publish.build_site``)."""
    from .atomic import write_folder
    conf = load_config(conf_path)
    target = Path(html_dir).absolute() / PAGE_DIR
    results = os.path.realpath(conf.results_dir)
    if os.path.realpath(target).startswith(results + os.sep):
        raise BadInput(f"refusing to write {str(target)!r} inside the results folder {results!r}")
    page = render(answer or answer_model.build(conf, machine), conf, html_dir)
    statics = [(name, (TEMPLATES / name).read_text(encoding="utf-8")) for name in STATIC]
    return write_folder(target, statics + [("index.html", page)])


# -- Markdown ----------------------------------------------------------------------------------------

def to_markdown(answer):
    """The answer as Markdown: per machine its facts, the sentence and a table per setting."""
    out = ["# NumPy or PyTorch: which is faster here, on which lines, by how much", ""]
    for m in answer.machines:
        info = m.info
        out += [f"## {m.name}", "", f"{info.get('cpu')}, {info.get('num_cpu')} CPUs, {info.get('arch')}"
                + ("".join(f"; {lib} BLAS {name}" for lib, name in m.blas) if not m.missing else ""), "",
                answer_model.sentence(m), ""]
        forum = answer_model.forum_verdict(m)
        out += [forum, ""] if forum else []
        for s in m.settings:
            cols = ["line", "code", "numpy"] + (["NumPy+MKL", "torch/MKL"] if m.mkl else []) + \
                   ["torch", "faster", "by", "rests on", "instr. torch/numpy"]
            rows = []
            for ln in s.lines:
                r = row(ln, s, m)
                rows.append([f"`{r['op']}`", f"`{r['code']}`", r["numpy"][0]]
                            + ([r["mkl"]["time"][0], r["mkl"]["ratio"]] if r["mkl"] else [])
                            + [r["torch"][0], r["faster"] or "—", r["by"], r["basis"], r["instr"]])
            out += [f"### {s.params['variant']}, {s.title}" + (" (the seed's settings)" if s.is_seed else ""), "",
                    markdown_table(cols, rows), ""]
        out += [f"- {line}" for line in sources(m)] + ([""] if m.main else [])
    return "\n".join(out).rstrip() + "\n"


# -- command line ----------------------------------------------------------------------------------

def configure(p):
    options.config(p)
    options.machine(p)
    p.add_argument("--html-dir", metavar="DIR",
                   help="also write DIR/answer/index.html (the site's page; default: no page)")
    p.add_argument("--markdown", action="store_true",
                   help="print the answer as Markdown (the default without --html-dir)")


def run(args):
    conf = load_config(args.config)
    answer = answer_model.build(conf, args.machine)
    if args.html_dir:
        path = write(config_path(args.config), args.html_dir, args.machine, answer)
        print(f"answer: {path}", file=sys.stderr)
    if args.markdown or not args.html_dir:
        sys.stdout.write(to_markdown(answer))
    return 0


COMMANDS = [("answer", "NumPy or torch, which is faster on each machine, on which lines, by how much "
                       "(Markdown; --html-dir: the site's answer page)", configure, run)]
