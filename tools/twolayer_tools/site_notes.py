"""Sentences for the panels of asv's pages that would otherwise say nothing: a benchmark with no
point (every result skipped) or one point (one commit measured), and the Regressions page (what it
searches, with which thresholds, since which commit, and why a change the Summary list shows is
not listed). asv's pages stay asv's: publishing writes ``html/site-notes/notes.json`` from what
``asv publish`` wrote (its graphs, index, summary and regressions files, all from results/) and
asv.conf.json, and a static script loaded by asv's index.html places each sentence.
"""
import datetime
import json
import re
from collections import defaultdict
from pathlib import Path

from .errors import listing
from .site_assets import static_file, templates
from .results import load_config

NOTES_DIR = "site-notes"        # html/<this>/: notes.json, notes.js, notes.css
ASV_DEFAULT_THRESHOLD = 0.05    # asv's regression threshold where no pattern matches
LIST_HIGHLIGHT = 5.0            # the Summary list colours a change above this many per cent


def _graph_files(out):
    """(graph parameters {name: value}, benchmark name, path) of every per-benchmark graph."""
    for path in sorted((Path(out) / "graphs").rglob("*.json")):
        rel = path.relative_to(Path(out) / "graphs").parts
        if rel[0] == "summary" or path.name == "summary.json":
            continue
        params = dict(part.split("-", 1) if "-" in part else (part, "") for part in rel[:-1])
        yield params, path.stem, path


def _measured(value):
    if isinstance(value, list):
        return any(v is not None for v in value)
    return value is not None


def points(out):
    """{benchmark: (revisions with a measured value, machines with a graph)} from asv's graphs."""
    revs, machines = defaultdict(set), defaultdict(set)
    for params, name, path in _graph_files(out):
        machines[name].add(params.get("machine", "?"))
        revs[name].update(rev for rev, value in json.loads(path.read_text()) if _measured(value))
    return {name: (revs[name], machines[name]) for name in machines}


def _date(index, rev):
    stamp = index.get("revision_to_date", {}).get(str(rev))
    if stamp is None:
        return "date unknown"
    return datetime.datetime.fromtimestamp(stamp / 1000, datetime.timezone.utc).strftime("%Y-%m-%d")


def panel_notes(out, index):
    """{benchmark: {"tile": a short sentence, "graph": the full one}} for every benchmark whose
    tile and graph have no point or one."""
    found = points(out)
    notes = {}
    for name, bench in sorted(index["benchmarks"].items()):
        revs, machines = found.get(name, (set(), set()))
        if len(revs) > 1:
            continue
        machines = sorted(machines or index.get("machines", {}))
        params = dict(zip(bench.get("param_names", []), bench.get("params", [])))
        if not revs:
            text = f"No point to draw: every result of {name} on {listing(machines)} is skipped."
            devices = [v.strip("'\"") for v in params.get("device", [])]
            if devices:
                tile = f"No point: no GPU ({listing(devices)}) measured on any machine yet."
                text += (f" It measures on {listing(devices)}, and none of these machines has "
                         f"one: no GPU measured on any machine yet.")
            else:
                tile = "No point: every result is skipped."
                text += " (asv records a benchmark whose setup raises NotImplementedError as skipped.)"
        else:
            rev = next(iter(revs))
            commit = index["revision_to_hash"][str(rev)][:index.get("hash_length", 8)]
            tile = f"One commit measured ({commit}): one dot per line, no line to draw."
            text = (f"One point per line: {name} was measured at one commit only ({commit}, "
                    f"{_date(index, rev)}, on {listing(machines)}), so its graph against commits "
                    "shows one dot per line and its tile no line.")
            swept = [k for k, v in params.items() if len(v) > 1 and k != "backend"]
            if swept:
                text += (f" Its values at that commit differ by its parameters "
                         f"({', '.join(swept)}), one point per combination.")
        notes[name] = {"tile": tile, "graph": text}
    return notes


def _threshold(conf, entry):
    matched = [float(t) for regex, t in conf.regressions_thresholds.items() if re.match(regex, entry)]
    return max(matched) if matched else ASV_DEFAULT_THRESHOLD


def _start(conf, entry, hash_to_rev):
    """asv's first revision searched for `entry` (None: excluded by a null first commit)."""
    start = 0
    for regex, commit in conf.regressions_first_commits.items():
        if re.match(regex, entry):
            if commit is None:
                return None
            rev = next((r for h, r in hash_to_rev.items() if h.startswith(commit)), -1)
            start = max(start, rev + 1)
    return start


def _entries(bench):
    import itertools
    if not bench.get("params"):
        return [(None, bench["name"])]
    return [(i, f"{bench['name']}({', '.join(p)})")
            for i, p in enumerate(itertools.product(*bench["params"]))]


def _setting(params):
    """'machine, numpy X, torch Y' of a graph folder's parameters."""
    parts = [params.get("machine", "?")]
    parts += [f"{k} {params[k]}" for k in ("numpy", "torch") if k in params]
    blas = params.get("env-TWOLAYER_NUMPY_BLAS", "null")
    return ", ".join(parts + ([f"NumPy BLAS {blas}"] if blas not in ("null", "") else []))


def regressions_note(out, index, conf):
    """The Regressions page's explanation, as the values its template shows."""
    hash_to_rev = {h: int(r) for r, h in index["revision_to_hash"].items()}
    short = index.get("hash_length", 8)
    branch = (conf.branches or [None])[0]
    suffix = f"@{branch}" if branch else ""
    listed = json.loads((Path(out) / "regressions.json").read_text()).get("regressions", [])
    listed_keys = {(r[0], str(Path(r[1]).parent)) for r in listed}

    firsts = []
    for regex, commit in conf.regressions_first_commits.items():
        rev = None if commit is None else next((r for h, r in hash_to_rev.items() if h.startswith(commit)), None)
        firsts.append({"pattern": regex, "commit": commit[:short] if commit else None,
                       "published": rev is not None, "date": _date(index, rev) if rev is not None else None})
    searched, excluded = [], []
    for name, bench in sorted(index["benchmarks"].items()):
        entries = [e for _, e in _entries(bench)]
        starts = [_start(conf, e + suffix, hash_to_rev) for e in entries]
        if all(s is None for s in starts):
            excluded.append(name)
            continue
        pcts = sorted({round(100 * _threshold(conf, e + suffix)) for e, s in zip(entries, starts) if s is not None})
        searched.append({"name": name, "thresholds": " / ".join(f"{p} %" for p in pcts),
                         "partly_excluded": any(s is None for s in starts)})

    unlisted = []
    for path in sorted((Path(out) / "graphs").rglob("summary.json")):
        folder = path.relative_to(out).parent
        params = dict(p.split("-", 1) for p in folder.parts[1:] if "-" in p)
        for row in json.loads(path.read_text()):
            if row.get("prev_value") in (None, 0) or row.get("last_value") is None:
                continue
            change = 100 * (row["last_value"] / row["prev_value"] - 1)
            entry = row["pretty_name"]
            if change <= LIST_HIGHLIGHT or (entry, str(folder)) in listed_keys:
                continue
            start = _start(conf, entry + suffix, hash_to_rev)
            threshold = 100 * _threshold(conf, entry + suffix)
            new_rev = row["change_rev"][1]
            if start is None:
                reason = "excluded from the search (a null entry of regressions_first_commits matches it)"
            elif new_rev < start:
                reason = f"the step is at {index['revision_to_hash'][str(new_rev)][:short]}, before the search starts"
            elif change < threshold:
                reason = f"below its threshold, {threshold:.0f} %"
            else:
                reason = ("asv's step detection over the commits searched finds no step above its "
                          f"threshold ({threshold:.0f} %); the list's change is the last step of a "
                          "fit over every commit")
            unlisted.append({"entry": entry, "name": row["name"], "setting": _setting(params),
                             "change": f"+{change:.0f} %", "reason": reason, "sort": -change})
    unlisted.sort(key=lambda u: (u["sort"], u["entry"], u["setting"]))
    return {"thresholds": [{"pattern": k, "pct": f"{100 * float(v):g} %"}
                           for k, v in conf.regressions_thresholds.items()],
            "default_pct": f"{100 * ASV_DEFAULT_THRESHOLD:g} %", "firsts": firsts,
            "searched": searched, "excluded": excluded, "listed": len(listed),
            "listed_benchmarks": len({r[0].split("(")[0] for r in listed}),
            "unlisted": unlisted, "highlight": f"{LIST_HIGHLIGHT:g} %"}


def fill_absent_graphs(out, index):
    """Write ``[]`` for every graph asv's graph page asks for that asv did not write: a benchmark
    with no result in one of the environments of index.json's graph_param_list (an environment
    of another configuration, e.g. the MKL one, that ran other benchmarks). asv's page requests
    every such file and would log a 404 for each; an empty list draws the same nothing. Returns
    how many were written."""
    from asv.graph import Graph
    written = 0
    for name in sorted(index["benchmarks"]):
        for params in index["graph_param_list"]:
            path = Path(out) / (Graph.get_file_path(params, name) + ".json")
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("[]")
                written += 1
    return written


def write(conf_path, out):
    """Write html/site-notes/ (notes.json and the static script and style that place it) and load
    them from asv's index.html."""
    out = Path(out)
    index = json.loads((out / "index.json").read_text())
    conf = load_config(conf_path)
    env = templates()
    fill_absent_graphs(out, index)
    notes = {
        "panels": panel_notes(out, index),
        "regressions_html": env.get_template("site/regressions_note.html").render(
            **regressions_note(out, index, conf)),
    }
    dest = out / NOTES_DIR
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "notes.json").write_text(json.dumps(notes, indent=1, sort_keys=True) + "\n")
    for name in ("notes.js", "notes.css"):
        (dest / name).write_bytes(static_file(f"site/{name}"))
    page = out / "index.html"
    text = page.read_text()
    if f'src="{NOTES_DIR}/notes.js"' not in text:
        head = env.get_template("site/notes_head.html").render(folder=NOTES_DIR)
        at = text.rfind("\n", 0, text.find("</head>")) + 1    # the start of </head>'s line
        text = text[:at] + head + text[at:]
        page.write_text(text)
    return notes
