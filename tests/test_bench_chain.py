"""The README's main command, `make bench`, as a newcomer runs it: a fresh clone whose results/
holds another machine's results, no MACHINE=, the whole chain (asv run, facts, report, publish)
on a small selection in the tests' environment; and its bad input (one line, exit 2, results/
untouched)."""
import hashlib
import json
import os
import subprocess

import pytest

from conftest import COMMITTED_MACHINE, asv_env, clone_with_test_envs

SELECTION = r"^ops\.PerOp\.time_h_relu\b"
ENV = "numpy2.4.6,torch2.13.0"


def digest(folder):
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    return clone_with_test_envs(tmp_path_factory, "bench-chain")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A HOME without an asv machine file: asv names this machine after the host, as for a newcomer."""
    return tmp_path_factory.mktemp("newcomer-home")


def make(clone, home, *args, timeout=2400):
    return subprocess.run(["make", *args], cwd=clone, env=asv_env(home), text=True, capture_output=True,
                          timeout=timeout)


def host_machine(clone, home):
    proc = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c",
                           "from twolayer_tools.results import asv_machine_name; print(asv_machine_name())"],
                          env=asv_env(home), text=True, capture_output=True, check=True)
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def bench(clone, home):
    """`make bench` with no MACHINE=, restricted to one environment and one benchmark, run once."""
    assert (clone / "results" / COMMITTED_MACHINE / "machine.json").exists()
    proc = make(clone, home, "bench", f"ENV={ENV}", f"BENCH={SELECTION}", "ASV_ARGS=--quick HEAD^!")
    return proc


def test_make_bench_works_beside_another_machines_results(clone, home, bench):
    assert bench.returncode == 0, bench.stdout[-5000:] + bench.stderr[-3000:]
    machine = host_machine(clone, home)
    assert machine != COMMITTED_MACHINE
    folder = clone / "results" / machine
    results = [p for p in folder.glob("*.json") if p.name != "machine.json"]
    assert len(results) == 1 and "numpy2.4.6" in results[0].name, list(folder.iterdir())
    data = json.loads(results[0].read_text())
    assert any(k.startswith("ops.PerOp.time_h_relu") for k in data["results"])
    facts = list((folder / "facts").glob("*.facts"))
    assert len(facts) == 1 and json.loads(facts[0].read_text())["numpy"]["version"] == "2.4.6"
    # the site was republished from every machine; the report is this machine's
    index = json.loads((clone / "html" / "index.json").read_text())
    assert {machine, COMMITTED_MACHINE} <= set(index["machines"]), index["machines"].keys()
    report = (clone / "html" / "report" / "index.html").read_text()
    assert f"machine <code>{machine}</code>" in report or machine in report


def test_a_second_make_bench_continues_instead_of_starting_over(clone, home, bench):
    assert bench.returncode == 0
    again = make(clone, home, "bench", f"ENV={ENV}", f"BENCH={SELECTION}", "ASV_ARGS=--quick HEAD^!")
    assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-2000:]
    assert "--skip-existing-successful" in again.stdout
    # asv skipped every benchmark with a result at this commit: no environment was even set up
    assert "For twolayer-bench commit" not in again.stdout, again.stdout[-4000:]
    assert "For twolayer-bench commit" in bench.stdout


def test_report_and_facts_without_machine_use_this_machines_results(clone, home, bench):
    assert bench.returncode == 0
    proc = make(clone, home, "report")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"machine `{host_machine(clone, home)}`" in proc.stdout
    proc = make(clone, home, "facts")
    assert proc.returncode == 0, proc.stderr[-3000:]


def tool(clone, home, *args):
    return subprocess.run([str(clone / ".venv" / "bin" / "twolayer-bench"), *args], cwd=clone,
                          env=asv_env(home), text=True, capture_output=True, timeout=600)


def one_line(proc, *needles):
    assert proc.returncode == 2, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_bench_bad_input_is_one_line_exit_2_and_changes_nothing(clone, home, bench):
    results = clone / "results"
    before = digest(results)
    one_line(tool(clone, home, "bench", "--machine", "no/such"), "bad machine name 'no/such'")
    one_line(tool(clone, home, "bench", "-b", "no_such_benchmark"), "no benchmark matches", "ops.PerOp")
    one_line(tool(clone, home, "bench", "-E", "numpy=9.9"), "unknown environment 'numpy=9.9'", "numpy2.4.6")
    one_line(tool(clone, home, "report", "--machine", "nosuch"), "no results for machine 'nosuch'",
             COMMITTED_MACHINE)
    one_line(tool(clone, home, "facts", "--machine", "nosuch"), "unknown machine 'nosuch'", COMMITTED_MACHINE)
    assert digest(results) == before
    # a truncated results file: named, before anything runs, and left as it is
    victim = sorted((results / COMMITTED_MACHINE).glob("*-*.json"))[0]
    text = victim.read_text()
    victim.write_text(text[: len(text) // 2])
    try:
        damaged = digest(results)
        one_line(tool(clone, home, "bench", "-b", SELECTION), "corrupt results file", victim.name)
        assert digest(results) == damaged
        assert make(clone, home, "bench").returncode != 0
        assert digest(results) == damaged
    finally:
        victim.write_text(text)
    assert digest(results) == before
