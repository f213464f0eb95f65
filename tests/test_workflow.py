"""The GitHub Actions workflow: valid against GitHub's schema, clean under actionlint and zizmor
(each checker shown to reject a broken copy, so none can pass by checking nothing), and built
as docs/ci.md says: a matrix of runner kinds each with its own machine, results kept on a branch,
one site deployed to Pages, the gate on pull requests, every action pinned to a commit."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "benchmarks.yml"
BIN = Path(sys.executable).parent
RUNNER_KINDS = {"ubuntu-latest", "ubuntu-24.04-arm", "macos-14"}
PINNED = re.compile(r"^\s*(?:-\s*)?uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+#\s*v\d+\.\d+\.\d+\s*$")


def check(tool, *args):
    proc = subprocess.run([str(BIN / tool), *map(str, args)], capture_output=True, text=True, cwd=ROOT)
    return proc.returncode, proc.stdout + proc.stderr


def broken_copy(tmp_path, old, new, name="bad.yml"):
    """The workflow with one change, in tmp_path: what a checker must reject."""
    text = WORKFLOW.read_text()
    assert old in text, old
    bad = tmp_path / name
    bad.write_text(text.replace(old, new, 1))
    return bad


@pytest.fixture(scope="module")
def wf():
    doc = yaml.safe_load(WORKFLOW.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))     # YAML 1.1 reads the key `on` as True
    return doc


def runs(job):
    return "\n".join(step.get("run", "") for step in job["steps"])


def uses(job):
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


# -- the checkers, each with a control it must fail -------------------------------------------------

def test_workflow_matches_github_schema():
    status, out = check("check-jsonschema", "--builtin-schema", "vendor.github-workflows", WORKFLOW)
    assert status == 0, out


def test_schema_check_can_fail(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x\non: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: 3\n")
    status, _ = check("check-jsonschema", "--builtin-schema", "vendor.github-workflows", bad)
    assert status != 0


def test_actionlint_finds_nothing():
    status, out = check("actionlint", "-oneline", WORKFLOW)
    assert status == 0 and out.strip() == "", out


@pytest.mark.parametrize("old, new, finding", [
    ("runner: ubuntu-24.04-arm ", "runner: ubuntu-99.04-arm ", 'label "ubuntu-99.04-arm" is unknown'),
    ("MACHINE: ${{ matrix.machine }}", "MACHINE: ${{ matrix.machin }}", 'property "machin" is not defined'),
    ("needs.publish.result", "needs.publsh.result", 'property "publsh" is not defined'),
])
def test_actionlint_rejects_a_broken_copy(tmp_path, old, new, finding):
    status, out = check("actionlint", "-oneline", broken_copy(tmp_path, old, new))
    assert status != 0 and finding in out, out


def test_zizmor_finds_nothing():
    status, out = check("zizmor", "--offline", WORKFLOW)
    assert status == 0 and "No findings to report" in out, out


@pytest.mark.parametrize("old, new, audit", [
    ("deploy-pages@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128", "deploy-pages@v5", "unpinned-uses"),
    ("          persist-credentials: false\n", "", "artipacked"),
])
def test_zizmor_rejects_a_broken_copy(tmp_path, old, new, audit):
    status, out = check("zizmor", "--offline", broken_copy(tmp_path, old, new))
    assert status != 0 and f"[{audit}]" in out, out


# -- what the workflow does -------------------------------------------------------------------------

def test_every_action_is_pinned_to_a_commit_with_its_tag():
    lines = [line for line in WORKFLOW.read_text().splitlines() if re.match(r"^\s*(-\s*)?uses:", line)]
    assert lines
    unpinned = [line.strip() for line in lines if not PINNED.match(line)]
    assert unpinned == [], unpinned


def test_every_checkout_keeps_no_credentials(wf):
    for name, job in wf["jobs"].items():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


def test_benchmarks_run_on_each_runner_kind_as_its_own_machine(wf):
    job = wf["jobs"]["benchmark"]
    assert job["strategy"]["fail-fast"] is False
    include = job["strategy"]["matrix"]["include"]
    assert {e["runner"] for e in include} >= RUNNER_KINDS
    assert len({e["machine"] for e in include}) == len(include)
    assert all(e["machine"] == f"github-{e['runner']}" for e in include)
    assert job["runs-on"] == "${{ matrix.runner }}"
    assert job["env"]["MACHINE"] == "${{ matrix.machine }}"
    assert 'make history MACHINE="$MACHINE"' in runs(job)
    assert "self-hosted" in WORKFLOW.read_text()      # the GPU runner, documented and not enabled


def test_each_benchmark_job_merges_and_pushes_only_its_own_machine(wf):
    job = wf["jobs"]["benchmark"]
    script = runs(job)
    fetch, merge, history, push = (script.index(s) for s in (
        "twolayer-bench fetch-results", 'twolayer-bench merge "$RUNNER_TEMP/asv-results" --machine "$MACHINE"',
        "make history", 'twolayer-bench push-results "$RUNNER_TEMP/asv-results" --machine "$MACHINE"'))
    assert fetch < merge < history < push
    assert job["permissions"] == {"contents": "write"}
    push_step = next(s for s in job["steps"] if "push-results" in s.get("run", ""))
    assert push_step["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    assert "!cancelled()" in push_step["if"]          # what was measured is kept when a benchmark failed


def test_one_site_is_published_and_deployed_after_every_runner_kind(wf):
    publish, deploy = wf["jobs"]["publish"], wf["jobs"]["deploy"]
    assert publish["needs"] == "benchmark" and "!cancelled()" in publish["if"]
    assert 'make merge SRC="$RUNNER_TEMP/asv-results"' in runs(publish)
    assert "actions/upload-pages-artifact" in uses(publish)
    assert publish["permissions"] == {"contents": "read"}
    assert deploy["needs"] == "publish" and "needs.publish.result == 'success'" in deploy["if"]
    assert uses(deploy) == ["actions/deploy-pages"]
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}


def test_permissions_are_granted_per_job_only(wf):
    assert wf["permissions"] == {}
    writers = {name: job["permissions"] for name, job in wf["jobs"].items()
               if any(v == "write" for v in job.get("permissions", {}).values())}
    assert set(writers) == {"benchmark", "deploy"}, writers


def test_pull_requests_run_the_gate(wf):
    assert "pull_request" in wf["on"]
    gate = wf["jobs"]["gate"]
    assert gate["if"] == "github.event_name == 'pull_request'"
    assert re.search(r'make gate BASE="\$BASE_SHA"', runs(gate))
    assert "make compare" not in WORKFLOW.read_text()


def test_the_workflow_calls_only_targets_and_commands_that_exist(wf):
    from twolayer_tools.cli import build_parser
    makefile = (ROOT / "Makefile").read_text()
    commands = set(build_parser()._subparsers._group_actions[0].choices)
    text = "\n".join(runs(job) for job in wf["jobs"].values())
    targets = set(re.findall(r"\bmake (\w[\w-]*)", text))
    assert targets >= {"gate", "history", "facts", "merge", "publish", "tools"}
    assert [t for t in targets if not re.search(rf"^{t}:", makefile, re.M)] == []
    used = set(re.findall(r"twolayer-bench ([\w-]+)", text))
    assert used and used <= commands, used - commands


def test_the_benchmark_jobs_targets_assume_no_linux():
    """macOS runners: the targets a benchmark or publish job runs use neither nproc, apt-get nor
    the browser the tests need (tools/ensure-chromium belongs to `make test` alone)."""
    proc = subprocess.run(["make", "-n", "tools", "history", "facts", "merge", "publish", "MACHINE=x",
                           "SRC=/nonexistent"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for linux_only in ("nproc", "apt-get", "ensure-chromium", "/proc/"):
        assert linux_only not in proc.stdout, linux_only
