"""Every asv and git subprocess the tools start for measuring: the asv beside this Python, a run
that echoes its output, git in the project's checkout, the commits the history measures, and
``asv run`` with the machine registered first (``hosts``).
"""
import os
import subprocess
import sys
from pathlib import Path

from .errors import BadInput
from .hosts import check_machine_host, register_machine

FIRST_COMMIT = "23a39a5"
"""The oldest commit of the published history: the first whose workload has the API the suite
uses (``make_net(..., variant=)``); the suite runs against it and every later commit."""
MEASURED_PATHS = ("twolayer_src", "setup.py", "benchmarks")
"""What a commit must change to be a point of the history: the workload (the wheel) or the suite."""
RETIRED_TOOL_MODULES = ("asvconf", "asvresults", "causes", "compare", "facts", "gate", "peak", "phases",
                        "report", "scaling", "site", "spread")
"""Tool modules that lived inside the wheel before tools/ existed: commits changing only them
changed no measured code."""


def asv_executable():
    """The asv beside this Python (the project's .venv), else the one on PATH."""
    beside = Path(sys.executable).parent / "asv"
    return str(beside) if beside.exists() else "asv"


def run_echoed(cmd, cwd):
    """Run `cmd`, echoing its output as it comes; return (exit status, the whole output)."""
    print("$ " + " ".join(cmd), flush=True)
    lines = []
    env = dict(os.environ, PYTHONUNBUFFERED="1")   # asv's progress as it happens, not at exit
    with subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1, env=env) as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            lines.append(line)
    sys.stdout.flush()
    return proc.returncode, "".join(lines)


def git(conf, *args):
    proc = subprocess.run(["git", *args], cwd=Path(conf.path).parent, text=True, capture_output=True)
    return proc.returncode, proc.stdout.strip()


def check_rev(conf, rev):
    """BadInput unless `rev` names a commit of the project's repository."""
    status, _ = git(conf, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if status:
        raise BadInput(f"unknown revision {rev!r} in {Path(conf.path).parent}")


def asv_run(conf, config, machine, run_args):
    """The machine registered with asv (``register_machine``, after ``check_machine_host``), then
    `asv run` with the project's settings; returns asv run's exit status."""
    asv = asv_executable()
    cwd = Path(conf.path).parent
    register_machine(check_machine_host(conf.results_dir, machine))
    status, output = run_echoed([asv, "--config", config, "run", "--machine", machine, "--show-stderr",
                                 *run_args], cwd)
    if "No benchmarks selected" in output:
        raise BadInput("asv selected no benchmark to run (check -b/BENCH and the revisions)")
    return status


def measured_commits(conf, first=FIRST_COMMIT):
    """Commits of the configured branch from `first` on that changed the workload or the suite,
    oldest first (git tells which: ``git log -- MEASURED_PATHS``)."""
    check_rev(conf, first)
    branch = conf.branches[0] if conf.branches else "HEAD"
    check_rev(conf, branch)
    excluded = [f":(exclude)twolayer_src/twolayer/{m}.py" for m in RETIRED_TOOL_MODULES]
    status, out = git(conf, "log", "--reverse", "--format=%H", f"{first}^..{branch}", "--",
                      *MEASURED_PATHS, *excluded)
    if status:
        raise BadInput(f"git log failed in {Path(conf.path).parent}")
    return out.split()
