"""Results from several machines: `twolayer-bench merge` (CI's results branch into results/, then
one site) and the results branch itself (`fetch-results`, `push-results`, a push race). The
machines are the committed one's results under other names; bad input changes nothing."""
import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

from conftest import ROOT, TB, run_tool, write_test_conf

COMMITTED = ROOT / "results"


def first_machine():
    from twolayer_tools.results import machines
    found = machines(str(COMMITTED))
    if not found:
        pytest.skip("no machine's results are committed (results/<machine>/machine.json)")
    return found[0]


def copy_as(machine, dest_results, name):
    """The committed `machine`'s folder as machine `name` in `dest_results`: machine.json and each
    results file's params.machine renamed (results through asv's own loader), facts copied."""
    from asv import util

    from twolayer_tools.results import _result_files, load_results_file
    src, dest = COMMITTED / machine, dest_results / name
    dest.mkdir(parents=True)
    info = util.load_json(str(src / "machine.json"), api_version=1)
    info["machine"] = name
    util.write_json(str(dest / "machine.json"), info, api_version=1)
    for path in _result_files(str(COMMITTED), machine):
        res = load_results_file(path, machine)
        res.params["machine"] = name
        res._filename = os.path.join(name, os.path.basename(path))
        res.save(str(dest_results))
    if (src / "facts").is_dir():
        shutil.copytree(src / "facts", dest / "facts")
    return dest


def project_matrix():
    from asv import util
    return util.load_json(str(ROOT / "asv.conf.json"), js_comments=True)["matrix"]["req"]


def destination(tmp):
    """tmp/results as a clone holds it: the committed machine and the suite's benchmarks.json;
    tmp/asv.conf.json points asv there (results and html under tmp)."""
    machine = first_machine()
    shutil.copytree(COMMITTED / machine, tmp / "results" / machine)
    shutil.copy(COMMITTED / "benchmarks.json", tmp / "results" / "benchmarks.json")
    return write_test_conf(tmp, matrix=project_matrix()), machine


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def one_error_line(proc, command="merge"):
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"twolayer-bench {command}: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


# -- merge and publish: three machines, one site ---------------------------------------------------

@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    """Two other results folders (machines ci-a and ci-b) merged into tmp/results, published."""
    tmp = tmp_path_factory.mktemp("merge")
    conf, machine = destination(tmp)
    copy_as(machine, tmp / "src-a", "ci-a")
    copy_as(machine, tmp / "src-b", "ci-b")
    proc = run_tool(["merge", str(tmp / "src-a"), str(tmp / "src-b"), "--config", str(conf), "--publish"])
    return tmp, machine, proc


@pytest.mark.asv
def test_merge_publishes_one_site_with_every_machine(merged):
    tmp, machine, proc = merged
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    files = len(snapshot(COMMITTED / machine))
    for name in ("ci-a", "ci-b"):
        assert f"{name}: {files} files added, 0 replaced, 0 unchanged" in proc.stdout
        assert snapshot(tmp / "results" / name).keys() == snapshot(COMMITTED / machine).keys()
    assert "benchmarks.json" not in {p.name for p in (tmp / "src-a").iterdir()}
    index = json.loads((tmp / "html" / "index.json").read_text())
    assert sorted(index["params"]["machine"]) == sorted([machine, "ci-a", "ci-b"])
    assert sorted(index["machines"]) == sorted([machine, "ci-a", "ci-b"])
    graph_machines = {part for p in (tmp / "html" / "graphs").rglob("*.json") for part in p.parts
                      if part.startswith("machine-")}
    assert graph_machines == {f"machine-{m}" for m in (machine, "ci-a", "ci-b")}


@pytest.mark.asv
def test_merged_site_is_self_contained(merged):
    tmp, _, proc = merged
    assert proc.returncode == 0, proc.stderr[-3000:]
    check = run_tool(["check-offline", str(tmp / "html")])
    assert check.returncode == 0 and check.stdout == "", check.stdout + check.stderr


@pytest.mark.asv
def test_merged_site_offers_every_machine_in_a_browser(merged):
    """asv's own page, in headless chromium with no network: a graph's machine panel lists all three."""
    import re

    from test_site_browser import offline_browser, serve
    tmp, machine, proc = merged
    assert proc.returncode == 0, proc.stderr[-3000:]
    from playwright.sync_api import expect
    with serve(tmp / "html") as base, offline_browser() as (context, _, foreign):
        page = context.new_page()
        page.goto(base + "index.html#loop.Loop.time_train")
        panel = page.locator("#graphdisplay-navigation div.panel").filter(
            has=page.locator("div.panel-heading", has_text=re.compile(r"^\s*machine\s*$")))
        for name in (machine, "ci-a", "ci-b"):
            expect(panel.locator("a.btn", has_text=re.compile(rf"^\s*{re.escape(name)}\s*$"))).to_have_count(1)
        expect(page.locator("#graph-display canvas.flot-base").first).to_be_visible()
    assert foreign == []


def test_merge_adds_replaces_and_keeps(tmp_path):
    """A file the destination lacks is added, one it holds with other bytes replaced, one only it
    holds kept; benchmarks.json and hidden files are never copied."""
    from twolayer_tools.merge import merge
    machine = first_machine()
    src = copy_as(machine, tmp_path / "src", "ci-a")
    (tmp_path / "src" / "benchmarks.json").write_text("{}")
    (src / ".DS_Store").write_bytes(b"\0")
    dest = tmp_path / "results"
    shutil.copytree(src, dest / "ci-a", ignore=shutil.ignore_patterns(".DS_Store"))
    results = sorted(p.name for p in src.glob("*.json") if p.name != "machine.json")
    (dest / "ci-a" / results[0]).unlink()
    (dest / "ci-a" / "machine.json").write_text(json.dumps({"machine": "ci-a", "version": 1}))
    (dest / "ci-a" / "only-here.facts").write_text("{}")
    report = merge([tmp_path / "src"], dest, ["ci-a"])
    same = len(snapshot(src)) - 1 - 2          # less .DS_Store, the added and the replaced file
    assert report == {"ci-a": (1, 1, same)}
    assert snapshot(dest / "ci-a") == {**{k: v for k, v in snapshot(src).items() if k != ".DS_Store"},
                                       "only-here.facts": b"{}"}
    assert not (dest / "benchmarks.json").exists()


# -- bad input: exit 2, one line, the destination untouched ---------------------------------------

def not_a_results_folder(tmp, machine):
    (tmp / "plain").mkdir()
    (tmp / "plain" / "notes").mkdir()
    return [str(tmp / "plain")], "no machine folder"


def truncated_results_file(tmp, machine):
    src = copy_as(machine, tmp / "src", "ci-a")
    victim = sorted(p for p in src.glob("*.json") if p.name != "machine.json")[0]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    return [str(tmp / "src")], f"corrupt results file {victim}"


def machine_no_source_holds(tmp, machine):
    copy_as(machine, tmp / "src", "ci-a")
    return [str(tmp / "src"), "--machine", "ci-z"], "no source holds machine 'ci-z'"


def differing_copies(tmp, machine):
    copy_as(machine, tmp / "src-a", "ci-a")
    other = copy_as(machine, tmp / "src-b", "ci-a")
    info = json.loads((other / "machine.json").read_text())
    info["ram"] = "1"
    (other / "machine.json").write_text(json.dumps(info))
    return [str(tmp / "src-a"), str(tmp / "src-b")], "with differing copies of machine.json"


def wrong_owner(tmp, machine):
    src = copy_as(machine, tmp / "src", "ci-a")
    victim = sorted(p for p in src.glob("*.json") if p.name != "machine.json")[0]
    data = json.loads(victim.read_text())
    data["params"]["machine"] = "someone-else"
    victim.write_text(json.dumps(data))
    return [str(tmp / "src")], "is for machine 'someone-else', not 'ci-a'"


@pytest.mark.parametrize("make_input", [not_a_results_folder, truncated_results_file, machine_no_source_holds,
                                        differing_copies, wrong_owner])
def test_merge_bad_input_is_one_line_exit_2_and_changes_nothing(tmp_path, make_input):
    conf, machine = destination(tmp_path)
    args, message = make_input(tmp_path, machine)
    before = snapshot(tmp_path / "results")
    proc = run_tool(["merge", *args, "--config", str(conf), "--publish"])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in one_error_line(proc)
    assert snapshot(tmp_path / "results") == before
    assert not (tmp_path / "html").exists()


# -- the results branch: fetch, push, a push race -------------------------------------------------

def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def branch_setup(tmp_path):
    """A bare remote with no results branch yet, and results folders for machines ci-a and ci-b."""
    machine = first_machine()
    git("init", "--quiet", "--bare", str(tmp_path / "remote.git"), cwd=tmp_path)
    copy_as(machine, tmp_path / "res-a", "ci-a")
    copy_as(machine, tmp_path / "res-b", "ci-b")
    return tmp_path, str(tmp_path / "remote.git")


def branch_tool(command, checkout, remote, *args, env=None):
    return run_tool([command, str(checkout), "--remote", remote, *args], env=env)


def tree(remote):
    return set(git("ls-tree", "-r", "--name-only", "asv-results", cwd=remote).split())


def test_results_branch_is_created_then_updated_one_machine_at_a_time(branch_setup):
    tmp, remote = branch_setup
    first = branch_tool("fetch-results", tmp / "co", remote)
    assert first.returncode == 0 and "yet" in first.stdout, first.stderr
    assert [p.name for p in (tmp / "co").iterdir()] == [".git"]
    pushed = branch_tool("push-results", tmp / "co", remote, "--machine", "ci-a", "--results", str(tmp / "res-a"))
    assert pushed.returncode == 0 and "pushed to asv-results (push 1)" in pushed.stdout, pushed.stderr
    again = branch_tool("push-results", tmp / "co", remote, "--machine", "ci-a", "--results", str(tmp / "res-a"))
    assert again.returncode == 0 and "nothing to push" in again.stdout, again.stderr
    other = branch_tool("push-results", tmp / "co2", remote, "--machine", "ci-b", "--results", str(tmp / "res-b"))
    assert other.returncode == 0, other.stderr
    expected = {f"{m}/{rel}" for m, folder in (("ci-a", "res-a"), ("ci-b", "res-b"))
                for rel in snapshot(tmp / folder / m)}
    assert tree(remote) == expected
    fetched = branch_tool("fetch-results", tmp / "co3", remote)
    assert "machines ci-a, ci-b" in fetched.stdout
    assert snapshot(tmp / "co3" / "ci-b") == snapshot(tmp / "res-b" / "ci-b")
    assert len(git("log", "--format=%H", "asv-results", cwd=remote).split()) == 2


def test_a_push_that_loses_a_race_is_merged_onto_the_new_tip(branch_setup):
    """Job A's pre-push hook lets job B push first (as a parallel runner would): A's push is
    rejected, A fetches the new tip, merges its own folder onto it and pushes; B's folder stays."""
    tmp, remote = branch_setup
    assert branch_tool("fetch-results", tmp / "co-a", remote).returncode == 0
    hooks = tmp / "hooks"
    hooks.mkdir()
    hook = hooks / "pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        "for v in $(env | sed -n 's/^\\(GIT_[A-Z_]*\\)=.*/\\1/p'); do\n"
        "  case $v in GIT_CONFIG*) ;; *) unset \"$v\";; esac\n"
        "done\n"
        f"if [ ! -e '{tmp}/raced' ]; then\n"
        f"  touch '{tmp}/raced'\n"
        f"  '{TB}' push-results '{tmp}/co-b' --remote '{remote}' --machine ci-b --results '{tmp}/res-b' "
        f"--config '{ROOT}/asv.conf.json' >&2 || exit 1\n"
        "fi\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    git("config", "core.hooksPath", str(hooks), cwd=tmp / "co-a")
    proc = branch_tool("push-results", tmp / "co-a", remote, "--machine", "ci-a", "--results",
                       str(tmp / "res-a"), "--backoff", "0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "push 1 rejected" in proc.stdout and "pushed to asv-results (push 2)" in proc.stdout, proc.stdout
    assert {path.split("/")[0] for path in tree(remote)} == {"ci-a", "ci-b"}
    subjects = git("log", "--format=%s", "asv-results", cwd=remote).splitlines()
    assert [s.split(":")[0] for s in subjects] == ["ci-a", "ci-b"]


def test_push_gives_up_after_its_attempts(branch_setup):
    tmp, remote = branch_setup
    (tmp / "remote.git" / "hooks" / "pre-receive").write_text("#!/bin/sh\necho refused >&2\nexit 1\n")
    (tmp / "remote.git" / "hooks" / "pre-receive").chmod(0o755)
    proc = branch_tool("push-results", tmp / "co", remote, "--machine", "ci-a", "--results", str(tmp / "res-a"),
                       "--attempts", "2", "--backoff", "0")
    assert proc.returncode == 2
    assert "rejected 2 times" in one_error_line(proc, "push-results")


def test_the_token_travels_in_gits_environment_only():
    from twolayer_tools.branch import git_env
    env = git_env({"GITHUB_TOKEN": "t0k3n", "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "a.b",
                   "GIT_CONFIG_VALUE_0": "c"})
    assert env["GIT_CONFIG_COUNT"] == "2" and env["GIT_CONFIG_KEY_0"] == "a.b"
    assert env["GIT_CONFIG_KEY_1"] == "http.https://github.com/.extraheader"
    assert env["GIT_CONFIG_VALUE_1"].startswith("AUTHORIZATION: basic ")
    assert "GIT_CONFIG_COUNT" not in git_env({"PATH": os.environ.get("PATH", "")})


def test_branch_bad_input_is_one_line_exit_2(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    for args, command, message in (
        ([str(tmp_path / "full"), "--remote", str(tmp_path)], "fetch-results", "neither empty nor a checkout"),
        ([str(tmp_path / "co"), "--remote", "no-such-remote"], "fetch-results", "no remote 'no-such-remote'"),
        ([str(tmp_path / "co"), "--remote", str(tmp_path / "missing.git")], "fetch-results", "git ls-remote failed"),
        ([str(tmp_path / "co"), "--machine", "../x"], "push-results", "bad machine name"),
    ):
        proc = run_tool([command, *args])
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert message in one_error_line(proc, command), proc.stderr


def test_gate_summary_is_markdown_in_the_step_summary_file(tmp_path):
    """The gate's verdict and table of what changed, appended to $GITHUB_STEP_SUMMARY: here from
    two commits of the committed results (oldest as base, newest as head)."""
    from twolayer_tools.compare import compare_records
    from twolayer_tools.gate import summary_markdown, write_step_summary
    from twolayer_tools.results import load_config, load_result_set
    conf = load_config()
    machine = first_machine()
    commits = load_result_set(conf, machine).commits
    base, head = commits[-1], commits[0]
    text = summary_markdown(conf, machine, base, head, 1.25, 1)
    lines = text.splitlines()
    assert lines[0] == "### Regression gate: FAIL"
    assert f"base `{base[:8]}`, head `{head[:8]}`" in text
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| Change")]
    rs_a, rs_b = load_result_set(conf, machine, base), load_result_set(conf, machine, head)
    changed = 0
    for env in set(rs_a.env_names) | set(rs_b.env_names):
        a = {r.label(): r for r in rs_a.records(env)} if env in rs_a.results else {}
        b = {r.label(): r for r in rs_b.records(env)} if env in rs_b.results else {}
        changed += sum(r.mark in ("+", "-", "!") for r in
                       compare_records([(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b))], 1.25))
    assert len(rows) == changed
    if changed:
        assert "| Change | Before | After | Ratio | Benchmark (Parameter) | Environment |" in lines
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    assert write_step_summary(text, {"GITHUB_STEP_SUMMARY": str(summary)}) == str(summary)
    assert summary.read_text() == "earlier step\n" + text.rstrip("\n") + "\n"
    assert write_step_summary(text, {}) is None
    same = summary_markdown(conf, machine, head, head, 1.25, 0)
    assert same.splitlines()[0] == "### Regression gate: PASS" and "Nothing changed beyond the factor." in same


if __name__ == "__main__":
    sys.exit(pytest.main([__file__]))
