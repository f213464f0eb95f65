"""One host kind per machine name, and every results file carrying its machine.json's params.

asv graphs each distinct set of machine params (arch, cpu, num_cpu, os, ram) as its own series: a
results file whose params differ from its neighbours' starts a line of its own, and results of two
hosts under one name mix two CPUs in one line. Checked here over every results folder of the
repository (results/, repeats/*/, releases/, releases-repeat/, any folder with a machine.json);
`bench` refuses a machine whose machine.json describes another host; facts say which run they
belong to. Fast: no asv run.
"""
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import ROOT

from twolayer_tools import bench, hosts
from twolayer_tools.errors import BadInput
from twolayer_tools.facts import facts_match_run, load_facts_for_run

SKIP_DIRS = {".git", ".venv", ".asv", "html", "node_modules", "site_vendor", "__pycache__"}

AVX512_CPU = {"model": "AMD EPYC", "family": 25, "model_id": 17, "flags": ["avx2", "avx512f", "hypervisor"],
              "simd": "AVX-512", "zen": "Zen 4"}
AVX2_CPU = {"model": "AMD EPYC", "family": 25, "model_id": 1, "flags": ["avx2", "hypervisor"],
            "simd": "AVX2", "zen": "Zen 3"}


def host_info(cpu, machine="m", num_cpu="2", arch="x86_64"):
    return {"arch": arch, "cpu": hosts.describe_cpu(cpu, num_cpu), "machine": machine, "num_cpu": num_cpu,
            "os": "Linux 6.18.44-fc-v1", "ram": "25276194816"}


def results_dirs(root=ROOT):
    """Every folder holding <machine>/machine.json under `root` (asv results folders)."""
    found = set()
    for meta in root.rglob("machine.json"):
        rel = meta.relative_to(root).parts
        if any(part in SKIP_DIRS for part in rel):
            continue
        found.add(meta.parent.parent)
    return sorted(found)


def test_the_walk_finds_every_results_folder():
    found = {p.relative_to(ROOT).as_posix() for p in results_dirs()}
    expected = {"results", "releases", "releases-repeat"} | {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "repeats").glob("*") if p.is_dir()}
    assert expected <= found, f"results folders not walked: {sorted(expected - found)}"


@pytest.mark.parametrize("results_dir", results_dirs(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_results_file_carries_its_machine_json_params(results_dir):
    assert hosts.machine_params_problems(results_dir) == []


def test_a_changed_file_is_detected(tmp_path):
    """Failing control: one results file of a copy without arch/cpu/... (as asv wrote them when
    `asv machine --yes --machine NAME` registered the name alone) and one machine.json field."""
    src = ROOT / "results"
    machine = next(p.parent.name for p in sorted(src.glob("*/machine.json"))
                   if any(f.name != "machine.json" for f in p.parent.glob("*.json")))
    dest = tmp_path / "results"
    shutil.copytree(src / machine, dest / machine, ignore=shutil.ignore_patterns("facts"))
    assert hosts.machine_params_problems(dest) == []
    victim = sorted(f for f in (dest / machine).glob("*.json") if f.name != "machine.json")[0]
    data = json.loads(victim.read_text())
    data["params"] = {k: v for k, v in data["params"].items() if k not in ("arch", "cpu", "num_cpu", "os", "ram")}
    victim.write_text(json.dumps(data))
    problems = hosts.machine_params_problems(dest)
    assert len(problems) == 1 and victim.name in problems[0] and "arch None" in problems[0]

    victim.unlink()
    meta = dest / machine / "machine.json"
    info = json.loads(meta.read_text())
    info["cpu"] = "AMD EPYC"
    meta.write_text(json.dumps(info))
    problems = hosts.machine_params_problems(dest)
    assert problems and all("cpu 'AMD EPYC (" in p and "machine.json 'AMD EPYC'" in p for p in problems)


def _started(path):
    """The latest started_at (asv's ms) of a results file, for 'the newest run'."""
    data = json.loads(path.read_text())
    i = data["result_columns"].index("started_at")
    return max((v[i] for v in data["results"].values() if len(v) > i and v[i]), default=0)


def test_committed_facts_belong_to_the_results_beside_them():
    """Every facts file matches the run it explains (the commit it names, else its environment's
    newest results file) in host kind and time: the four AVX2 facts of 2026-11-25 beside 2026-11-30
    AVX-512 results failed this. Older runs of the environment keep no facts of their own; the report
    and the timeline then quote none (load_facts_for_run)."""
    checked = 0
    for results_dir in results_dirs():
        for facts_file in sorted(results_dir.glob("*/facts/*.facts")):
            folder, env = facts_file.parent.parent, facts_file.stem
            facts = json.loads(facts_file.read_text())
            runs = sorted(folder.glob(f"*-{env}.json"))
            named = (facts.get("run") or {}).get("commit")
            if named:
                runs = [r for r in runs if named.startswith(r.name.split("-")[0])]
                assert runs, f"{facts_file.relative_to(ROOT)} names commit {named[:8]}, which has no results here"
            elif runs:
                runs = [max(runs, key=_started)]
            for res in runs:
                verdict = facts_match_run(facts, str(res), same_run=True)
                assert verdict, f"{facts_file.relative_to(ROOT)} vs {res.name}: {verdict.reason}"
                checked += 1
    assert checked


def test_results_facts_name_each_environments_newest_run():
    """`make bench` probes every environment it measured after the run, so in results/ each
    environment's facts belong to its newest results file, the one the report and the answer quote."""
    for facts_file in sorted((ROOT / "results").glob("*/facts/*.facts")):
        folder, env = facts_file.parent.parent, facts_file.stem
        runs = sorted(folder.glob(f"*-{env}.json"))
        if not runs:
            continue
        newest = max(runs, key=_started)
        verdict = facts_match_run(json.loads(facts_file.read_text()), str(newest), same_run=True)
        assert verdict, f"{facts_file.relative_to(ROOT)} vs {newest.name}: {verdict.reason}"


# -- facts: which run -----------------------------------------------------------------------------

def _facts(simd_level="AVX-512", when="2026-11-30T18:15:07+00:00", machine=None, cores=2, measured=None):
    run = {"machine": machine, "commit": "f12b88dd"} if machine else {}
    if measured:
        run = {"machine": "kvm-epyc-2core", "commit": "f12b88dd", **run, "measured": measured}
    return {"collected_at": when, "cpu": {"model": "AMD EPYC", "logical_cores": cores, "simd_level": simd_level},
            **({"run": run} if run else {})}


def _results(started_ms, cpu="AMD EPYC (Zen 4, AVX-512), 2 vCPU KVM", machine="kvm-epyc-2core"):
    return {"commit_hash": "f12b88ddd8", "params": {"machine": machine, "cpu": cpu, "num_cpu": "2"},
            "result_columns": ["result", "params", "version", "started_at"],
            "results": {"a": [[1.0], [], "v", started_ms]}}


NOV30_2250 = 1796078400000 + 3000000      # 2026-11-30 ~22:50 UTC in asv's ms


def test_facts_match_run():
    assert facts_match_run(_facts(), _results(NOV30_2250))
    other_host = facts_match_run(_facts("AVX2"), _results(NOV30_2250))
    assert not other_host and "AVX2" in other_host.reason
    too_old = facts_match_run(_facts(when="2026-11-25T11:25:01+00:00"), _results(NOV30_2250))
    assert not too_old and "collected 2026-11-25" in too_old.reason
    assert not facts_match_run(_facts(machine="kvm-epyc-avx2-2core"), _results(NOV30_2250))
    assert not facts_match_run(_facts(cores=16), _results(NOV30_2250))
    # params only (no time), a date only
    assert facts_match_run(_facts("AVX2"), {"cpu": "AMD EPYC (Zen 3, AVX2, no AVX-512), 2 vCPU KVM"})
    assert not facts_match_run(_facts("AVX2"), {"cpu": "AMD EPYC (Zen 4, AVX-512), 2 vCPU KVM"})
    assert facts_match_run(_facts(), "2026-11-30T12:00:00Z")
    assert not facts_match_run(_facts(), "2026-11-25T01:00:00Z")
    assert not facts_match_run(None, _results(NOV30_2250))


def test_load_facts_for_run_refuses_facts_of_another_host(tmp_path):
    folder = tmp_path / "kvm-epyc-2core"
    (folder / "facts").mkdir(parents=True)
    (folder / "machine.json").write_text(json.dumps(
        {"machine": "kvm-epyc-2core", "cpu": "AMD EPYC (Zen 4, AVX-512), 2 vCPU KVM", "num_cpu": "2", "version": 1}))
    (folder / "facts" / "env.facts").write_text(json.dumps(_facts("AVX2")))
    run = _results(NOV30_2250)
    del run["params"]["cpu"]            # the machine.json supplies it
    assert load_facts_for_run(str(tmp_path), "kvm-epyc-2core", "env", run) is None
    (folder / "facts" / "env.facts").write_text(json.dumps(_facts()))
    assert load_facts_for_run(str(tmp_path), "kvm-epyc-2core", "env", run)["cpu"]["simd_level"] == "AVX-512"


def test_facts_of_another_run_are_not_quoted(tmp_path):
    """Facts name the run they were probed after (commit and measurement window, to the second):
    those of another run of the same host, even minutes apart, are refused; older facts without a
    window are matched by their commit."""
    folder = tmp_path / "kvm-epyc-2core"
    (folder / "facts").mkdir(parents=True)
    (folder / "machine.json").write_text(json.dumps(
        {"machine": "kvm-epyc-2core", "cpu": "AMD EPYC (Zen 4, AVX-512), 2 vCPU KVM", "num_cpu": "2", "version": 1}))
    run = _results(NOV30_2250)
    this = "2026-11-30T23:30:00+00:00"
    cases = [(_facts(measured=[this, this]), True),
             (_facts(measured=["2026-11-30T22:40:00+00:00", "2026-11-30T22:45:00+00:00"]), False),
             (_facts(machine="kvm-epyc-2core"), True),                # no window: the commit decides
             ({**_facts(machine="kvm-epyc-2core"), "run": {"machine": "kvm-epyc-2core", "commit": "6eef1983"}}, False)]
    for facts, quoted in cases:
        (folder / "facts" / "env.facts").write_text(json.dumps(facts))
        assert (load_facts_for_run(str(tmp_path), "kvm-epyc-2core", "env", run) is not None) == quoted, facts
        assert load_facts_for_run(str(tmp_path), "kvm-epyc-2core", "env", run, same_run=False) is not None
    verdict = facts_match_run(cases[1][0], run, same_run=True)
    assert "facts of the run measured 2026-11-30 22:40-22:45" in verdict.reason, verdict.reason


# -- bench: one host kind per machine name --------------------------------------------------------

def _machine_folder(results_dir, name, **fields):
    info = {"arch": "x86_64", "cpu": "AMD EPYC (Zen 4, AVX-512), 2 vCPU KVM", "machine": name, "num_cpu": "2",
            "os": "Linux 6.18.44-fc-v595", "ram": "25276514304", **fields}
    (results_dir / name).mkdir(parents=True)
    (results_dir / name / "machine.json").write_text(json.dumps({**info, "version": 1}))
    return info


def test_bench_refuses_a_machine_of_another_cpu(tmp_path):
    _machine_folder(tmp_path, "kvm-epyc-2core")
    _machine_folder(tmp_path, "kvm-epyc-avx2-2core", cpu="AMD EPYC (Zen 3, AVX2, no AVX-512), 2 vCPU KVM")
    before = sorted(p.as_posix() for p in tmp_path.rglob("*"))
    with pytest.raises(BadInput) as exc:
        hosts.check_machine_host(str(tmp_path), "kvm-epyc-2core", host_info(AVX2_CPU), AVX2_CPU)
    message = str(exc.value)
    assert "\n" not in message and "AVX-512" in message and "--machine kvm-epyc-avx2-2core" in message
    assert sorted(p.as_posix() for p in tmp_path.rglob("*")) == before
    with pytest.raises(BadInput):
        hosts.check_machine_host(str(tmp_path), "kvm-epyc-avx2-2core", host_info(AVX512_CPU), AVX512_CPU)


@pytest.mark.parametrize("field,value", [("num_cpu", "16"), ("arch", "aarch64")])
def test_bench_refuses_another_arch_or_cpu_count(tmp_path, field, value):
    _machine_folder(tmp_path, "kvm-epyc-2core")
    host = host_info(AVX512_CPU, **{field: value})
    with pytest.raises(BadInput, match=field):
        hosts.check_machine_host(str(tmp_path), "kvm-epyc-2core", host, AVX512_CPU)


def test_bench_refuses_another_cpu_model(tmp_path):
    _machine_folder(tmp_path, "kvm-epyc-2core")
    intel = dict(AVX512_CPU, model="Intel(R) Xeon(R) Platinum 8480+", zen=None)
    with pytest.raises(BadInput, match="Xeon"):
        hosts.check_machine_host(str(tmp_path), "kvm-epyc-2core", host_info(intel), intel)


def test_bench_keeps_the_committed_params_on_a_host_of_the_same_kind(tmp_path):
    """Same CPU class, another kernel build and a few MB less memory: the committed params are
    registered, so the new results join the machine's series."""
    committed = _machine_folder(tmp_path, "kvm-epyc-2core")
    info = hosts.check_machine_host(str(tmp_path), "kvm-epyc-2core", host_info(AVX512_CPU), AVX512_CPU)
    assert info == committed


def test_a_new_machine_gets_every_field_and_asv_reads_them(tmp_path):
    info = hosts.check_machine_host(str(tmp_path / "results"), "new-box", host_info(AVX2_CPU), AVX2_CPU)
    assert info["machine"] == "new-box" and info["cpu"].startswith("AMD EPYC (Zen 3, AVX2, no AVX-512), 2 vCPU")
    path = tmp_path / "asv-machine.json"
    hosts.register_machine(info, path=str(path))
    from asv.machine import Machine
    loaded = Machine.load(machine_name="new-box", _path=str(path))
    assert {k: getattr(loaded, k) for k in hosts.MACHINE_FIELDS} == info


def test_this_hosts_entry_is_asvs_defaults_with_a_described_cpu():
    from asv.machine import Machine
    defaults = Machine.get_defaults()
    info = hosts.host_machine_info("x")
    assert {k: info[k] for k in ("arch", "num_cpu", "os", "ram")} == {k: defaults[k] for k in ("arch", "num_cpu", "os", "ram")}
    assert info["cpu"].startswith(defaults["cpu"])


def test_claimed_simd_reads_the_machine_json_text():
    assert hosts.claimed_simd("AMD EPYC (Zen 4, AVX-512), 2 vCPU KVM") == "AVX-512"
    assert hosts.claimed_simd("AMD EPYC (Zen 3, AVX2, no AVX-512), 2 vCPU KVM") == "AVX2"
    assert hosts.claimed_simd("AMD EPYC") is None
    assert hosts.zen_generation(25, 1) == "Zen 3" and hosts.zen_generation(25, 0x11) == "Zen 4"


def test_prepared_run_refuses_before_writing_anything(tmp_path, monkeypatch):
    """The bench/history entry: a committed machine of another CPU stops the run before the derived
    configuration (or anything else) is written."""
    from twolayer_tools.results import load_config
    conf = load_config(None)
    machine = next((p.parent.name for p in sorted(Path(conf.results_dir).glob("*/machine.json"))
                    if hosts.claimed_simd(json.loads(p.read_text()).get("cpu"))), None)
    if machine is None:
        pytest.skip("no committed machine.json names a SIMD class")
    claimed = hosts.claimed_simd(json.loads((Path(conf.results_dir) / machine / "machine.json").read_text())["cpu"])
    other = AVX2_CPU if claimed == "AVX-512" else AVX512_CPU
    monkeypatch.setattr(hosts, "host_cpu", lambda *a, **k: other)
    monkeypatch.setattr(hosts, "host_machine_info", lambda name, *a, **k: host_info(other, machine=name))
    derived = Path(conf.path).parent / ".asv" / "bench.conf.json"
    existed = derived.exists() and derived.stat().st_mtime
    args = SimpleNamespace(config=None, machine=machine, bench=[], env="numpy2.4.6")
    with pytest.raises(BadInput, match="another host"):
        bench.prepared_run(args, "bench")
    assert (derived.exists() and derived.stat().st_mtime) == existed
