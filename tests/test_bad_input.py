"""Issue 20's battery: nothing a user types or interrupts breaks the published site or prints a
wrong number. Every case runs `twolayer-bench` in a clone of the project (its current directory)
and asserts the exit status, one line on stderr and no traceback, and that results/, releases/,
releases-repeat/ and html/ are byte for byte as they were (nothing left beside them either).
No case depends on the host's speed: interrupts are sent at points the run makes visible.
"""
import hashlib
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import COMMITTED_MACHINE, ROOT, TB

TREES = ("results", "releases", "releases-repeat", "html")
MACHINE = COMMITTED_MACHINE
A, B = "numpy1.26.4", "numpy2.4.6"


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """A clone of the project (its committed results, releases and site)."""
    path = tmp_path_factory.mktemp("bad-input") / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(path)], check=True)
    if not any((path / "results" / MACHINE).glob("*-*.json")):
        pytest.skip(f"no committed results of {MACHINE} to break")
    return path


@pytest.fixture
def co(clone):
    """The clone, restored to its committed state after the test."""
    yield clone
    subprocess.run(["git", "checkout", "--quiet", "--", "."], cwd=clone, check=True)
    subprocess.run(["git", "clean", "-fdxq"], cwd=clone, check=True)


def snapshot(root):
    """{path: sha256} of every file of the trees, and the names beside them (a stage left behind)."""
    out = {"<top>": sorted(p.name for p in Path(root).iterdir())}
    for tree in TREES:
        for p in sorted((Path(root) / tree).rglob("*")):
            if p.is_file():
                out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def tool(root, *args, env=None):
    return subprocess.run([TB, *args], cwd=root, text=True, capture_output=True, timeout=600,
                          env=dict(os.environ, **(env or {})))


def one_line(proc, *needles, status=2):
    """The one stderr line of a refused command; asserts its exit status and no traceback."""
    out = proc.stdout + proc.stderr
    assert proc.returncode == status, out[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out, out[-3000:]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def results_file(root, tree="results"):
    return sorted(p for p in (Path(root) / tree / MACHINE).glob("*-*.json"))[0]


def commits(root):
    return sorted({p.name.split("-", 1)[0] for p in (Path(root) / "results" / MACHINE).glob("*-*.json")})


def newest(root):
    """The newest commit with results (a prefix), as the tools choose it."""
    from asv.results import Results
    files = sorted((Path(root) / "results" / MACHINE).glob("*-*.json"))
    res = [Results.load(str(p), MACHINE) for p in files]
    return max(res, key=lambda r: (r.date or 0, max(r.started_at.values(), default=0))).commit_hash[:8]


def ambiguous(root):
    """A hash prefix two commits with results share ('' when none do)."""
    hashes = commits(root)
    for first, second in zip(hashes, hashes[1:]):
        if first[0] == second[0]:
            return first[0]
    return ""


# -- damaged files -------------------------------------------------------------------------------

def truncate(path, keep=0.5):
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[:int(len(data) * keep)])


DAMAGE = {
    "results-truncated": (lambda r: truncate(results_file(r)), "corrupt results file"),
    "results-not-asv": (lambda r: results_file(r).write_text("[1, 2]"), "corrupt results file"),
    "results-no-version": (lambda r: results_file(r).write_text('{"results": {}}'), "corrupt results file"),
    "benchmarks-truncated": (lambda r: truncate(Path(r) / "results" / "benchmarks.json"), "benchmark"),
    "benchmarks-empty-object": (lambda r: (Path(r) / "results" / "benchmarks.json").write_text("{}"), "benchmark"),
    "machine-json-truncated": (lambda r: truncate(Path(r) / "results" / MACHINE / "machine.json"), "machine file"),
    "facts-truncated": (lambda r: truncate(next((Path(r) / "results" / MACHINE / "facts").glob("*.facts"))),
                        "corrupt facts file"),
    "facts-wrong-shape": (lambda r: next((Path(r) / "results" / MACHINE / "facts").glob("*.facts"))
                          .write_text('{"numpy": 3, "threadpools": {}}'), "corrupt facts file"),
}
RELEASE_DAMAGE = {
    "release-results-truncated": (lambda r: truncate(results_file(r, "releases")), "corrupt results file"),
    "sweep-status-truncated": (lambda r: truncate(Path(r) / "releases" / MACHINE / "sweep.status"), "sweep status"),
    "sweep-status-wrong-shape": (lambda r: (Path(r) / "releases" / MACHINE / "sweep.status").write_text("[1]"),
                                 "sweep status"),
}
READERS = {
    "publish": ["publish"],
    "check-sync": ["check-sync"],
    "report-html": ["report", "--html", "-E", "numpy2.4.6,torch2.13.0"],
    "compare-envs": ["compare-envs", A, B],
    "compare-backends": ["compare-backends"],
    "spread-pair": ["spread", "--pair", A, B, "-c", "NEWEST"],
    "spread-runs": ["spread", "--runs", "results", "results", "-c", "NEWEST"],
}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_results_file_is_bad_input_and_changes_nothing(co, damage, reader):
    hurt, needle = DAMAGE[damage]
    if damage.startswith("benchmarks") and reader.startswith(("compare", "spread")):
        needle = "benchmark list"
    args = [newest(co) if a == "NEWEST" else a for a in READERS[reader]]
    hurt(co)
    before = snapshot(co)
    one_line(tool(co, *args), needle)
    assert snapshot(co) == before


@pytest.mark.parametrize("reader", ["publish", "check-sync", "timeline"])
@pytest.mark.parametrize("damage", sorted(RELEASE_DAMAGE))
def test_a_damaged_release_file_is_bad_input_and_changes_nothing(co, damage, reader):
    if not (co / "releases" / MACHINE / "sweep.status").is_file():
        pytest.skip("no release sweep committed")
    hurt, needle = RELEASE_DAMAGE[damage]
    hurt(co)
    before = snapshot(co)
    one_line(tool(co, *READERS.get(reader, [reader])), needle)
    assert snapshot(co) == before


def test_every_truncation_of_a_results_file_is_caught(tmp_path):
    """Generated damage, in-process: a results file cut at 16 places and 6 wrong shapes."""
    from twolayer_tools.errors import BadInput
    from twolayer_tools.results import check_results_readable
    src = results_file(ROOT)
    (tmp_path / MACHINE).mkdir()
    (tmp_path / MACHINE / "machine.json").write_bytes((src.parent / "machine.json").read_bytes())
    data = src.read_bytes()
    doc = json.loads(data)
    shapes = [b"", b"null", b"[]", b'"x"', json.dumps({**doc, "version": 99}).encode(),
              json.dumps({k: v for k, v in doc.items() if k != "result_columns"}).encode()]
    cuts = [data[:len(data) * i // 16] for i in range(16)]
    for i, bad in enumerate(shapes + cuts):
        victim = tmp_path / MACHINE / src.name
        victim.write_bytes(bad)
        with pytest.raises(BadInput, match="corrupt results file"):
            check_results_readable(str(tmp_path))
    victim.write_bytes(data)
    check_results_readable(str(tmp_path))


# -- wrong numbers ---------------------------------------------------------------------------------

WRONG = {
    "factor-nan": (["compare-envs", A, B, "--factor", "nan"], "--factor"),
    "factor-inf": (["compare-envs", A, B, "--factor", "inf"], "--factor"),
    "factor-below-1": (["compare-envs", A, B, "--factor", "0.5"], "--factor"),
    "factor-1": (["compare-backends", "--factor", "1"], "--factor"),
    "factor-text": (["compare-backends", "-f", "fast"], "--factor"),
    "rounds-0": (["bench", "--rounds", "0"], "--rounds"),
    "rounds-text": (["bench", "--rounds", "many"], "--rounds"),
    "gate-factor-nan": (["gate", "HEAD~1", "--factor", "nan"], "--factor"),
    "backend-unknown": (["compare-backends", "--base", "cupy"], "unknown backend 'cupy'"),
    "other-unknown": (["compare-backends", "--other", "jax"], "unknown backend 'jax'"),
    "backends-same": (["compare-backends", "--base", "torch", "--other", "torch"], "two different"),
    "envs-same": (["compare-envs", B, B], "no pair"),
    "env-unknown": (["compare-backends", "-E", "numpy9.9"], "unknown environment"),
    "machine-unknown": (["compare-envs", A, B, "-m", "nosuch"], "no results for machine"),
    "commit-unknown": (["compare-envs", A, B, "-c", "0000000"], "unknown commit"),
    "commit-empty": (["report", "-c", ""], "unknown commit"),
    "bench-invalid": (["compare-backends", "-b", "("], "invalid benchmark pattern"),
    "option-unknown": (["report", "--html", "-b", "nosuch"], "unrecognized arguments"),
    "bench-no-match": (["compare-envs", A, B, "-b", "^nosuch"], "unknown benchmark"),
    "pair-empty": (["spread", "--pair", "", "", "-c", "NEWEST"], "--pair"),
    "pair-same": (["spread", "--pair", B, B, "-c", "NEWEST"], "--pair"),
    "pair-unknown": (["spread", "--pair", "numpy9.9", B, "-c", "NEWEST"], "numpy9.9"),
    "pair-no-commit": (["spread", "--pair", A, B], "choose one with -c"),
    "pair-ambiguous-commit": (["spread", "--pair", A, B, "-c", "AMBIGUOUS"], "ambiguous commit"),
    "runs-ambiguous-commit": (["spread", "--runs", "results", "results", "-c", "AMBIGUOUS"], "ambiguous commit"),
    "runs-not-results": (["spread", "--runs", "docs", "results", "-c", "NEWEST"], "not an asv results folder"),
    "compare-ambiguous-commit": (["compare-envs", A, B, "-c", "AMBIGUOUS"], "ambiguous commit"),
    "top-zero": (["timeline", "--top", "0"], "--top"),
}


@pytest.mark.parametrize("case", sorted(WRONG))
def test_no_wrong_number_with_exit_0(co, case):
    args, needle = WRONG[case]
    if "AMBIGUOUS" in args and not ambiguous(co):
        pytest.skip("no two commits with results share a first hex digit")
    args = [{"NEWEST": newest(co), "AMBIGUOUS": ambiguous(co)}.get(a, a) for a in args]
    before = snapshot(co)
    one_line(tool(co, *args), needle)
    assert snapshot(co) == before


def test_a_backend_comparison_still_compares(co):
    """The control: the same command with its defaults prints ratios and exits 0."""
    proc = tool(co, "compare-backends", "-E", "numpy2.4.6,torch2.13.0", "-b", r"^ops\.PerOp\.time_h$")
    assert proc.returncode == 0 and "torch/numpy" in proc.stdout, proc.stderr
    assert "n/a" not in proc.stdout.split("\n", 3)[3]


# -- the environment: folders, paths --------------------------------------------------------------

def _env_cases(root):
    long = str(root / ("x" * 5000))
    return {
        "report-output-folder-missing": (["report", "-o", str(root / "nope" / "r.md")], "No such file"),
        "report-output-is-a-folder": (["report", "-o", str(root / "docs")], "Is a directory"),
        "report-output-name-too-long": (["report", "-o", long], "too long"),
        "report-html-dir-under-a-file": (["report", "--html-dir", str(root / "README.md" / "r")], "README.md"),
        "publish-html-dir-under-a-file": (["publish", "--html-dir", str(root / "README.md" / "h")], "README.md"),
        "publish-html-dir-too-long": (["publish", "--html-dir", long], "too long"),
        "timeline-html-dir-under-a-file": (["timeline", "--html-dir", str(root / "README.md" / "h")], "README.md"),
        "check-offline-not-a-site": (["check-offline", str(root / "docs")], "not a published asv site"),
        "publish-config-missing": (["publish", "--config", str(root / "nope.json")], "config"),
        "merge-not-results": (["merge", str(root / "docs")], "no machine folder"),
    }


ENV_CASES = sorted(_env_cases(Path("/x")))


@pytest.mark.parametrize("case", ENV_CASES)
def test_an_environment_problem_is_one_line_exit_2(co, case):
    args, needle = _env_cases(co)[case]
    before = snapshot(co)
    one_line(tool(co, *args), needle)
    assert snapshot(co) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any folder's permissions")
def test_publish_into_a_read_only_site_changes_nothing(co):
    before = snapshot(co)
    os.chmod(co / "html", 0o555)
    try:
        one_line(tool(co, "publish"), "permission denied")
    finally:
        os.chmod(co / "html", 0o755)
    assert snapshot(co) == before


# -- the checkout is the current directory ---------------------------------------------------------

def test_the_checkout_is_the_current_directory(co, tmp_path):
    """A second clone using this .venv reads its own results, never the installed tools' folder."""
    truncate(results_file(co))
    line = one_line(tool(co, "compare-envs", A, B), "corrupt results file")
    assert str(co) in line and str(ROOT) not in line
    one_line(tool(tmp_path, "publish"), "asv config not found", str(tmp_path))
    one_line(tool(tmp_path, "compare-backends"), "no asv configuration", str(tmp_path))


# -- Ctrl-C ---------------------------------------------------------------------------------------

def _stage(parent, name):
    return next(iter(sorted(Path(parent).glob(f".{name}.stage-*"))), None)


PUBLISH_POINTS = {
    # seen from outside: what exists in the stage (the site built beside html/)
    "stage-made": None,
    "asv-publish-writing": "graphs",
    "asv-publish-done": "index.json",
    # where publish waits (TWOLAYER_TEST_PAUSE, atomic.checkpoint) for the signal
    "validated": "pause",
    "asv-published": "pause",
    "timeline-written": "pause",
    "localized": "pause",
    "before-swap": "pause",
}
REPORT_POINTS = {"stage-made": 0, "first-plot": 1, "third-plot": 3, "before-swap": "pause"}


def interrupt_when(root, args, ready, group=True, pause=None, sig=signal.SIGINT):
    """Start `twolayer-bench ARGS` in `root`, send SIGINT (to its process group, as a terminal's
    Ctrl-C does, or to it alone) once `ready()` holds, or once it waits at checkpoint `pause`."""
    env = dict(os.environ)
    if pause:
        marker = Path(root).parent / f"paused-{pause}"
        marker.unlink(missing_ok=True)
        env["TWOLAYER_TEST_PAUSE"] = f"{pause}:{marker}"
        ready = marker.exists
    # Output to files, not pipes: nobody reads a pipe while we wait for the point, and a command
    # that prints more than a pipe holds (report --html prints the whole report) would block there.
    with tempfile.TemporaryFile("w+") as out_f, tempfile.TemporaryFile("w+") as err_f:
        proc = subprocess.Popen([TB, *args], cwd=root, text=True, stdout=out_f, stderr=err_f,
                                start_new_session=True, env=env)

        def output():
            out_f.seek(0), err_f.seek(0)
            return out_f.read(), err_f.read()
        deadline = time.monotonic() + 600
        try:
            while not ready():
                assert proc.poll() is None, f"finished before the point: {output()}"
                assert time.monotonic() < deadline, "the point never came"
                time.sleep(0.005)
            if group:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
            proc.wait(timeout=600)
        finally:
            if proc.poll() is None:
                proc.kill()
        out, err = output()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("group", [True, False], ids=["process-group", "main-process"])
@pytest.mark.parametrize("point", sorted(PUBLISH_POINTS))
def test_ctrl_c_during_publish_leaves_the_site_as_it_was(co, point, group):
    want = PUBLISH_POINTS[point]

    def ready():
        stage = _stage(co, "html")
        return stage is not None and (want is None or (stage / want).exists())
    before = snapshot(co)
    proc = interrupt_when(co, ["publish"], ready, group, pause=point if want == "pause" else None)
    one_line(proc, "interrupted", status=130)
    assert snapshot(co) == before


def test_kill_during_publish_cleans_up_as_ctrl_c_does(co):
    before = snapshot(co)
    proc = interrupt_when(co, ["publish"], None, pause="asv-published", sig=signal.SIGTERM)
    one_line(proc, "interrupted", status=130)
    assert snapshot(co) == before


def test_a_stage_left_by_a_killed_publish_is_removed_by_the_next(co):
    before = snapshot(co)
    proc = interrupt_when(co, ["publish"], None, pause="localized", sig=signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL and _stage(co, "html") is not None
    assert {k: v for k, v in snapshot(co).items() if k != "<top>"} == {k: v for k, v in before.items() if k != "<top>"}
    old = _stage(co, "html")

    def next_one_building():
        stage = _stage(co, "html")
        return not old.exists() and stage is not None and (stage / "graphs").exists()
    one_line(interrupt_when(co, ["publish"], next_one_building), "interrupted", status=130)
    assert snapshot(co) == before


@pytest.mark.parametrize("point", sorted(REPORT_POINTS))
def test_ctrl_c_during_report_html_leaves_the_report_as_it_was(co, point):
    started = time.time()
    plots = REPORT_POINTS[point]

    def ready():
        stage = _stage(co / "html", "report")
        if stage is None:
            return False
        return len([p for p in stage.glob("*.png") if p.stat().st_mtime >= started]) >= plots
    before = snapshot(co)
    args = ["report", "--html", "-E", "numpy2.4.6,torch2.13.0"]
    proc = interrupt_when(co, args, ready, pause=point if plots == "pause" else None)
    one_line(proc, "interrupted", status=130)
    assert snapshot(co) == before


def test_a_publish_that_completes_replaces_the_site(co):
    """The control: uninterrupted, publish swaps a complete, self-contained site in."""
    proc = tool(co, "publish")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert _stage(co, "html") is None
    assert (co / "html" / "index.html").is_file() and (co / "html" / "vendor").is_dir()
    assert tool(co, "check-offline").returncode == 0


# -- the atomic writers themselves -----------------------------------------------------------------

def test_a_failed_build_leaves_the_folder_and_nothing_beside_it(tmp_path):
    from twolayer_tools.atomic import staged_folder
    site = tmp_path / "html"
    site.mkdir()
    (site / "index.html").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_folder(site, copy=True) as stage:
            assert (stage / "index.html").read_text() == "old"
            (stage / "index.html").write_text("half")
            raise RuntimeError("the build failed")
    assert (site / "index.html").read_text() == "old" and sorted(os.listdir(tmp_path)) == ["html"]
    with staged_folder(site) as stage:
        (stage / "new.html").write_text("new")
    assert os.listdir(site) == ["new.html"] and sorted(os.listdir(tmp_path)) == ["html"]


def test_ctrl_c_during_the_swap_waits_until_it_is_done(tmp_path, monkeypatch):
    """A SIGINT that lands between the two renames is held back: the new folder is in place, no
    old one is left, and only then is the interrupt raised; also when another thread that does not
    block signals exists (as torch's and OpenBLAS's workers do in a test process)."""
    import threading
    from twolayer_tools import atomic
    threading.Thread(target=time.sleep, args=(2,), daemon=True).start()
    site, stage = tmp_path / "html", tmp_path / "stage"
    site.mkdir()
    stage.mkdir()
    (stage / "index.html").write_text("new")
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)    # the two-rename path
    rename = os.rename

    def interrupted_rename(a, b):
        os.kill(os.getpid(), signal.SIGINT)
        rename(a, b)
    monkeypatch.setattr(atomic.os, "rename", interrupted_rename)
    with pytest.raises(KeyboardInterrupt):
        atomic.swap_in(stage, site)
    assert (site / "index.html").read_text() == "new" and os.listdir(tmp_path) == ["html"]


def test_write_text_replaces_whole_or_not_at_all(tmp_path):
    from twolayer_tools.atomic import write_text
    from twolayer_tools.errors import BadInput
    path = tmp_path / "status"
    write_text(path, "one")
    write_text(path, "two")
    assert path.read_text() == "two" and os.listdir(tmp_path) == ["status"]
    with pytest.raises(BadInput, match="no-such-folder"):
        write_text(tmp_path / "no-such-folder" / "f", "x")
    with pytest.raises(BadInput, match="it is a folder"):
        write_text(tmp_path, "x")
    assert os.listdir(tmp_path) == ["status"]


def test_check_offline_reads_unquoted_addresses(tmp_path):
    """A page loading from another host through an unquoted src= or href= is no false pass."""
    from twolayer_tools.site import external_loads
    (tmp_path / "index.html").write_text(
        "<script src=https://cdn.example/x.js></script><link rel=stylesheet href=//cdn.example/y.css>"
        "<img data-src=https://cdn.example/lazy.png src=local.png>")
    assert external_loads(tmp_path) == ["index.html: https://cdn.example/x.js", "index.html: //cdn.example/y.css"]


def test_history_list_honours_machine_and_refuses_what_it_would_ignore():
    """`history --list -m M` marks what M has measured; -E/-b (what a run measures) are refused."""
    marked = subprocess.run([TB, "history", "--list", "-m", "kvm-epyc-2core"], cwd=ROOT, text=True,
                            capture_output=True)
    assert marked.returncode == 0, marked.stderr
    lines = marked.stdout.splitlines()
    assert lines and all(line.startswith(("measured  ", "to measure ")) for line in lines), lines[:3]
    assert any(line.startswith("measured  ") for line in lines)
    for extra in (["-b", "ops"], ["-E", "numpy2.4.6"], ["-m", "no-such-machine"]):
        proc = subprocess.run([TB, "history", "--list", *extra], cwd=ROOT, text=True, capture_output=True)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, (extra, proc.stderr)


def test_an_interrupted_publish_step_leaves_no_writer_behind(tmp_path):
    """site_publish.run_to_end on Ctrl-C kills its command's whole process group (asv publish writes
    from a pool): a grandchild that would write a file half a second later never does."""
    import sys
    sys.path.insert(0, str(ROOT / "tools"))
    from twolayer_tools.site_publish import run_to_end
    late = tmp_path / "late"
    child = f"import time; time.sleep(0.5); open({str(late)!r}, 'w').close()"
    leader = (f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {child!r}]); "
              "print('up', flush=True); time.sleep(30)")

    def interrupt(signum, frame):
        raise KeyboardInterrupt
    old = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_to_end([sys.executable, "-c", leader], tmp_path)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    time.sleep(1.0)
    assert not late.exists()
