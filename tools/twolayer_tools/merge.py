"""``merge``: bring the results of other machines (other checkouts, CI runners, the published
results branch) into one results folder, so one site shows every machine.

    twolayer-bench merge SRC_RESULTS_DIR... [--into results] [--machine NAME]... [--publish]

Each SRC_RESULTS_DIR is an asv results folder: one folder per machine, <machine>/machine.json
and its results files (and facts/). Every machine folder found is copied into --into (default:
the results_dir of the asv configuration, the project's results/): a file the destination lacks
is added, a file it holds with other bytes is replaced by the source's copy (a source is taken
as the newer copy), a file only the destination holds is kept. ``benchmarks.json`` is
the suite's, written by ``asv run`` from the checkout's benchmarks/: it is never copied.

Everything is checked before anything is written, so bad input changes nothing (exit 2, one
line): a source that is not a results folder or holds no machine, a machine folder whose
machine.json or results file cannot be read (truncated, not asv's format) or names another
machine, two sources holding the same machine with differing copies of one file, a --machine
that no source holds. ``--publish`` then runs ``twolayer-bench publish`` (asv publish, made
self-contained) over the merged folder; ``make publish`` after a merge does the same.

CI runs exactly this: each benchmark job merges its own machine's folder of the results branch
in (``--machine``) before ``make history``, and ``push-results`` merges it back into the branch
(``branch.py``); the publish job merges the whole branch in with ``--publish`` (docs/ci.md).
"""
import filecmp
import json
import os
import shutil
import tempfile
from pathlib import Path

from . import options
from .atomic import no_interrupt
from .errors import BadInput, first_line, listing
from .results import check_machine_name, load_config, load_results_file

JSON_SUFFIXES = (".json", ".facts")
"""Files of a machine folder that must parse as JSON (results, machine.json, facts)."""


def machine_folders(src):
    """{machine name: its folder} of the results folder `src`; BadInput when it is not one."""
    src = Path(src)
    if not src.is_dir():
        raise BadInput(f"{str(src)!r} is not a folder (give an asv results folder: "
                       "<machine>/machine.json per machine)")
    found = {}
    for entry in sorted(src.iterdir()):
        meta = entry / "machine.json"
        if not (entry.is_dir() and meta.is_file()):
            continue
        try:
            name = json.loads(meta.read_text(encoding="utf-8"))["machine"]
        except (ValueError, KeyError, TypeError, OSError, UnicodeDecodeError):
            raise BadInput(f"corrupt machine file {meta}") from None
        if name != entry.name:
            raise BadInput(f"{meta} names machine {name!r} but lies in the folder {entry.name!r} "
                           "(asv reads results/<machine>/)")
        check_machine_name(name)
        found[name] = entry
    if not found:
        subdirs = [p.name for p in sorted(src.iterdir()) if p.is_dir()]
        raise BadInput(f"no machine folder (<machine>/machine.json) in {str(src)!r}; its folders: "
                       + listing(subdirs))
    return found


def machine_files(folder):
    """Paths (relative, posix) of every plain file under a machine folder, sorted; hidden files
    (.DS_Store, an editor's swap file) are not results and are left out."""
    folder = Path(folder)
    rels = (p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    return sorted(r.as_posix() for r in rels if not any(part.startswith(".") for part in r.parts))


def check_machine_folder(machine, folder):
    """BadInput naming the first file of a machine folder that asv could not read."""
    for rel in machine_files(folder):
        path = folder / rel
        if not rel.endswith(JSON_SUFFIXES):
            continue
        if "/" not in rel and rel.endswith(".json") and rel != "machine.json":
            res = load_results_file(str(path), None)      # asv's own loader, strictly
            owner = (res.params or {}).get("machine")
            if owner != machine:
                raise BadInput(f"results file {path} is for machine {owner!r}, not {machine!r} "
                               "(its params.machine must name its folder)")
        else:
            try:
                json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, OSError, UnicodeDecodeError) as exc:
                raise BadInput(f"corrupt file {path}: {first_line(exc)}") from None


def plan(sources, only=()):
    """{machine: {relative path: source file}} for the machines to merge, checked: every file
    readable, and no two sources with differing copies of one file of one machine."""
    chosen = {}
    origin = {}
    held = {}
    for src in sources:
        for machine, folder in machine_folders(src).items():
            held.setdefault(machine, []).append(str(src))
            if only and machine not in only:
                continue
            check_machine_folder(machine, folder)
            files = chosen.setdefault(machine, {})
            for rel in machine_files(folder):
                path = folder / rel
                if rel in files and not filecmp.cmp(files[rel], path, shallow=False):
                    raise BadInput(f"machine {machine!r} is in {origin[machine, rel]!r} and in "
                                   f"{str(src)!r} with differing copies of {rel}; merge one of them")
                files.setdefault(rel, path)
                origin.setdefault((machine, rel), str(src))
    missing = [m for m in only if m not in chosen]
    if missing:
        raise BadInput(f"no source holds machine {missing[0]!r}; machines in "
                       f"{', '.join(map(str, sources))}: " + listing(sorted(held)))
    return chosen


def merge(sources, into, only=()):
    """Copy the machine folders of `sources` into the results folder `into` (see the module's
    doc). Returns {machine: (added, replaced, unchanged)}. Nothing is written on bad input."""
    into = Path(into).resolve()
    if into.exists() and not into.is_dir():
        raise BadInput(f"--into {str(into)!r} is not a folder")
    for src in sources:
        if Path(src).resolve() == into:
            raise BadInput(f"source {str(src)!r} is the destination itself; give another results folder")
    todo = plan(sources, only)
    for machine in todo:
        if (into / machine).exists() and not (into / machine).is_dir():
            raise BadInput(f"{into / machine} is not a folder; move it away and merge again")
    report = {}
    staged = []
    into.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".merge-", dir=into))
    try:
        for machine, files in sorted(todo.items()):
            added = replaced = same = 0
            for rel, src in sorted(files.items()):
                dest = into / machine / rel
                if dest.is_file() and filecmp.cmp(src, dest, shallow=False):
                    same += 1
                    continue
                if dest.exists() and not dest.is_file():
                    raise BadInput(f"{dest} is not a plain file; move it away and merge again")
                added, replaced = (added, replaced + 1) if dest.exists() else (added + 1, replaced)
                tmp = stage / f"{len(staged)}"
                shutil.copyfile(src, tmp)
                staged.append((tmp, dest))
            report[machine] = (added, replaced, same)
        with no_interrupt():          # everything is checked and copied: put it all in place
            for tmp, dest in staged:
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return report


def configure(p):
    p.add_argument("sources", nargs="+", metavar="SRC_RESULTS_DIR",
                   help="asv results folders (one folder per machine) to merge in")
    p.add_argument("--into", metavar="DIR",
                   help="results folder to merge into (default: results_dir of the asv configuration)")
    p.add_argument("-m", "--machine", action="append", default=[], metavar="NAME",
                   help="merge only this machine (repeatable; default: every machine of the sources)")
    options.config(p)
    p.add_argument("--publish", action="store_true",
                   help="then publish the site over the merged results (as `make publish`)")
    p.add_argument("--html-dir", metavar="DIR", help="with --publish: where (default: html_dir of the config)")


def run(args):
    conf = load_config(args.config)
    into = Path(args.into or conf.results_dir).resolve()
    for name in args.machine:
        check_machine_name(name)
    if args.publish and into != Path(conf.results_dir).resolve():
        raise BadInput(f"--publish publishes {conf.results_dir} (the configuration's results_dir), "
                       f"not --into {into}; merge into it or pass --config")
    if args.html_dir and not args.publish:
        raise BadInput("--html-dir goes with --publish")
    report = merge(args.sources, into, args.machine)
    for machine, (added, replaced, same) in report.items():
        print(f"{machine}: {added} files added, {replaced} replaced, {same} unchanged -> {into / machine}")
    if args.publish:
        from .site_publish import publish
        html = publish(conf.path, args.html_dir)
        print(f"published {html}")
    return 0


COMMANDS = [
    ("merge", "merge the machine folders of other results folders into results/ (then "
              "`make publish`, or --publish)", configure, run),
]
