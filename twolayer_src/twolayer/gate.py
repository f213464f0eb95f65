"""The regression gate: `asv continuous` between a base revision and HEAD with the project's settings.

Runs in one environment of the matrix by default (numpy 2.4.6 x torch 2.13.0, the CPU wheel)
so a pull request's verdict comes in minutes; ``--full-matrix`` runs every environment.
Results go to .asv/gate-results, never into the committed results/. Exit status: 0 when nothing
got slower than --factor, 1 when something did, 2 on bad input.
"""
import argparse
import subprocess
import sys
from pathlib import Path

from . import asvconf

DEFAULT_FACTOR = 1.25
"""Slowdown ratio that fails the gate by default: right for ms-scale results on quiet runners. On
a shared 2-core VM µs-scale medians swing up to 1.5x (1 thread) and 2.9x (2 threads) between
runs (README, "Continuous benchmarking"): use --factor 2 or 1-thread points there."""


def asv_executable():
    """The asv beside this Python (the project's .venv), else the one on PATH."""
    beside = Path(sys.executable).parent / "asv"
    return str(beside) if beside.exists() else "asv"


def rev_exists(rev, root):
    return subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd=root,
                          capture_output=True).returncode == 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m twolayer.gate",
        description="Run asv continuous between BASE and HEAD; exit 1 if a benchmark got slower than --factor.")
    parser.add_argument("base", help="base revision (commit, branch or tag), e.g. origin/main or HEAD~1")
    parser.add_argument("head", nargs="?", default="HEAD", help="revision to test (default: HEAD)")
    parser.add_argument("--factor", type=float, default=DEFAULT_FACTOR,
                        help=f"slowdown ratio that fails the gate (default {DEFAULT_FACTOR})")
    parser.add_argument("--env", default=",".join(f"{k}={v}" for k, v in asvconf.DEFAULT_ENV.items()),
                        help="the environment to run in, as name=version,... (default %(default)s)")
    parser.add_argument("--full-matrix", action="store_true", help="run every environment of the matrix")
    parser.add_argument("-b", "--bench", action="append", default=[], help="only benchmarks matching this regex")
    parser.add_argument("--machine", help="asv machine name (default: this host's)")
    parser.add_argument("--root", default=str(asvconf.ROOT), help="project checkout (default: this one)")
    args = parser.parse_args(argv)

    root = Path(args.root).resolve()
    if not (root / "asv.conf.json").exists():
        return fail(f"no asv.conf.json in {root}")
    if args.factor <= 1.0:
        return fail(f"--factor must be above 1.0, not {args.factor}")
    for rev in (args.base, args.head):
        if not rev_exists(rev, root):
            return fail(f"unknown revision {rev!r} in {root}")
    try:
        env = None if args.full_matrix else asvconf.parse_env(args.env)
        conf = asvconf.write_variant(root / ".asv" / "gate.conf.json", root=root, env=env,
                                     results_dir=root / ".asv" / "gate-results",
                                     html_dir=root / ".asv" / "gate-html")
    except ValueError as exc:
        return fail(str(exc))

    asv = asv_executable()
    machine = ["--machine", args.machine] if args.machine else []
    subprocess.run([asv, "--config", str(conf), "machine", "--yes", *machine], cwd=root,
                   stdout=subprocess.DEVNULL, check=False)
    cmd = [asv, "--config", str(conf), "continuous", "--factor", str(args.factor), "--split",
           "--show-stderr", *machine, *[a for b in args.bench for a in ("-b", b)], args.base, args.head]
    print("$ " + " ".join(cmd), flush=True)
    status, output = run_echoed(cmd, root)
    if "No benchmarks selected" in output:
        return fail(f"no benchmark matches {' or '.join(args.bench) or 'the suite'} "
                    f"(benchmark names look like ops.PerOp.time_h)")
    verdict = {0: "PASS: nothing got slower than the factor",
               1: f"FAIL: a benchmark got slower than x{args.factor} (or failed)"}
    print(f"gate: {verdict.get(status, f'asv continuous exited {status}')}", flush=True)
    return status


def run_echoed(cmd, cwd):
    """Run `cmd`, echoing its output as it comes; return (exit status, the whole output)."""
    lines = []
    with subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            lines.append(line)
    sys.stdout.flush()
    return proc.returncode, "".join(lines)


def fail(message, prog="twolayer.gate"):
    """Print a one-line error for `prog` on stderr; return the bad-input exit status, 2."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
