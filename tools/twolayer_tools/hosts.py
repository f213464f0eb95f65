"""One host kind per machine name: this host's CPU (model, Zen generation, SIMD class), the
machine entry asv writes for it, and the check that a committed ``<results>/<machine>/machine.json``
describes this host's kind before anything is measured under that name.

A committed machine.json that describes another CPU (model or SIMD class), architecture or CPU
count than this host is refused (``check_machine_host``); otherwise asv's machine entry is written
with every field of that machine.json (``register_machine``), so each results file carries the
same machine params as the machine.json beside it and asv keeps one graph series per environment.
"""
import json
import os
import re
import subprocess
from pathlib import Path

from .errors import BadInput

MACHINE_FIELDS = ("arch", "cpu", "machine", "num_cpu", "os", "ram")
"""asv's machine params (``asv.machine.Machine.fields`` and the name): asv copies them from the
machine entry into every results file's ``params`` and graphs each distinct set as its own series."""
COMPARED_FIELDS = ("arch", "num_cpu")
"""Fields a host must share exactly with a committed machine.json (the CPU is compared by model and
SIMD class, ``cpu_mismatch``). ``os`` and ``ram`` are not: a VM's kernel build and memory move by a
few MB between hosts of one kind, and the committed values stay the machine's."""


def host_cpu(cpuinfo="/proc/cpuinfo"):
    """This host's CPU: {model, family, model_id, flags, simd, zen} from /proc/cpuinfo (model from
    asv's own detection where /proc is absent). `simd` is "AVX-512", "AVX2" or None; `zen` the AMD
    Zen generation where family/model tell it."""
    model, family, model_id, flags = None, None, None, set()
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key == "model name" and model is None:
                    model = value
                elif key == "cpu family" and family is None and value.isdigit():
                    family = int(value)
                elif key == "model" and model_id is None and value.isdigit():
                    model_id = int(value)
                elif key in ("flags", "Features") and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    if model is None:
        from asv import util
        model = util.get_cpu_info() or ""
    simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else None
    zen = zen_generation(family, model_id) if "AMD" in model.upper() else None
    return {"model": model, "family": family, "model_id": model_id, "flags": sorted(flags),
            "simd": simd, "zen": zen}


def zen_generation(family, model_id):
    """'Zen 3', 'Zen 4', ... from AMD's cpu family and model numbers; None when unknown."""
    if family == 23:
        return "Zen 2" if model_id is not None and model_id >= 0x30 else "Zen"
    if family == 25 and model_id is not None:
        return "Zen 4" if (0x10 <= model_id < 0x20 or 0x60 <= model_id < 0x80 or 0xA0 <= model_id < 0xB0) \
            else "Zen 3"
    if family == 26:
        return "Zen 5"
    return None


def describe_cpu(cpu, num_cpu):
    """The machine.json `cpu` a user picking a machine understands, e.g.
    'AMD EPYC (Zen 3, AVX2, no AVX-512), 2 vCPU KVM': model, generation, SIMD class, CPUs."""
    parts = [p for p in (cpu.get("zen"), cpu.get("simd")) if p]
    if cpu.get("simd") == "AVX2":
        parts.append("no AVX-512")
    virtual = "hypervisor" in cpu.get("flags", ())
    where = f"{num_cpu} vCPU" + (" KVM" if virtual and _is_kvm() else "") if virtual else f"{num_cpu} CPUs"
    return f"{cpu['model']}" + (f" ({', '.join(parts)})" if parts else "") + f", {where}"


def _is_kvm():
    for path in ("/sys/class/dmi/id/sys_vendor", "/sys/class/dmi/id/product_name", "/sys/hypervisor/type"):
        try:
            if re.search(r"kvm|qemu", Path(path).read_text(errors="replace"), re.I):
                return True
        except OSError:
            pass
    try:
        proc = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10)
        return bool(re.search(r"Hypervisor vendor:\s*KVM", proc.stdout))
    except (OSError, subprocess.SubprocessError):
        return False


def claimed_simd(cpu_text):
    """The SIMD class a machine.json `cpu` text claims ("AVX-512", "AVX2") or None when it names none
    ("no AVX-512" is not a claim)."""
    text = re.sub(r"\bno\s+AVX[-\w]*", "", cpu_text or "", flags=re.I)
    if re.search(r"AVX-?512", text, re.I):
        return "AVX-512"
    if re.search(r"AVX2", text, re.I):
        return "AVX2"
    return None


def host_machine_info(machine, cpuinfo="/proc/cpuinfo"):
    """The machine entry asv would write for this host (``asv.machine.Machine.get_defaults()``) under
    `machine`, its `cpu` described (``describe_cpu``)."""
    from asv.machine import Machine
    info = {k: str(v) for k, v in Machine.get_defaults().items()}
    info["cpu"] = describe_cpu(host_cpu(cpuinfo), info["num_cpu"])
    info["machine"] = machine
    return {k: info[k] for k in MACHINE_FIELDS}


def machine_mismatch(recorded, host_info, cpu):
    """Why `recorded` (a machine.json's fields) describes another host than `host_info` (this host's
    entry, ``host_machine_info``) and `cpu` (``host_cpu``); None when it is this host's kind."""
    for key in COMPARED_FIELDS:
        if str(recorded.get(key, "")) != str(host_info.get(key, "")):
            return f"{key} {recorded.get(key)!r}, this host {host_info.get(key)!r}"
    text = str(recorded.get("cpu", ""))
    if cpu.get("model") and not text.startswith(cpu["model"]):
        return f"cpu {text!r}, this host {cpu['model']!r}"
    claimed = claimed_simd(text)
    if claimed and claimed != cpu.get("simd"):
        return f"cpu {text!r} ({claimed}), this host {cpu.get('simd') or 'no AVX2/AVX-512'}"
    return None


def read_machine_json(results_dir, machine):
    """The fields of <results_dir>/<machine>/machine.json (without asv's version), or None."""
    path = Path(results_dir) / machine / "machine.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"{path} cannot be read: {exc}") from None
    data.pop("version", None)
    return data


def check_machine_host(results_dir, machine, host_info=None, cpu=None):
    """The machine entry to register for a run of `machine` here: its committed machine.json's fields
    when they describe this host's kind, this host's (``host_machine_info``) when none is committed.

    BadInput (one line; nothing written) when results/<machine>/machine.json describes another CPU,
    architecture or CPU count, naming the machines whose machine.json does fit this host."""
    cpu = host_cpu() if cpu is None else cpu
    host_info = host_machine_info(machine) if host_info is None else dict(host_info, machine=machine)
    recorded = read_machine_json(results_dir, machine)
    if recorded is None:
        return host_info
    why = machine_mismatch(recorded, host_info, cpu)
    if why:
        fitting = []
        for entry in sorted(os.listdir(results_dir)) if os.path.isdir(results_dir) else []:
            other = read_machine_json(results_dir, entry) if entry != machine else None
            if other and not machine_mismatch(other, host_info, cpu):
                fitting.append(entry)
        hint = (f"use --machine {fitting[0]}" if len(fitting) == 1 else
                f"use --machine with one of {', '.join(fitting)}" if fitting else
                "use --machine with a new name")
        raise BadInput(f"machine {machine!r} is another host: {results_dir}/{machine}/machine.json has "
                       f"{why}; {hint} (one host kind per machine name)")
    missing = [k for k in MACHINE_FIELDS if not recorded.get(k)]
    if missing:   # an old machine.json without asv's fields: this host's values complete it
        recorded = {**host_info, **{k: v for k, v in recorded.items() if v}}
    return {k: str(recorded[k]) for k in MACHINE_FIELDS}


def register_machine(info, path=None):
    """Write `info` (every field of MACHINE_FIELDS) as asv's machine entry (~/.asv-machine.json, or
    `path`) through asv's own MachineCollection. Not `asv machine --yes --machine NAME`: asv keeps
    only the arguments that differ from its defaults (asv/commands/machine.py), so for a name other
    than the host name it writes the name alone and every results file then lacks arch, cpu, ..."""
    from asv.machine import MachineCollection
    missing = [k for k in MACHINE_FIELDS if not info.get(k)]
    if missing:
        raise BadInput(f"machine entry for {info.get('machine')!r} lacks {', '.join(missing)}")
    MachineCollection.save(info["machine"], {k: str(info[k]) for k in MACHINE_FIELDS}, _path=path)


def machine_params_problems(results_dir):
    """One line per results file of `results_dir` whose machine params differ from its folder's
    machine.json (asv's fields, MACHINE_FIELDS), per machine.json that lacks one of them or names
    another machine than its folder; [] when every file agrees."""
    problems = []
    root = Path(results_dir)
    for meta in sorted(root.glob("*/machine.json")):
        folder = meta.parent
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
        except ValueError as exc:
            problems.append(f"{meta}: not JSON ({exc})")
            continue
        missing = [k for k in MACHINE_FIELDS if not info.get(k)]
        if missing:
            problems.append(f"{meta}: lacks {', '.join(missing)}")
        if info.get("machine") != folder.name:
            problems.append(f"{meta}: names machine {info.get('machine')!r}, its folder is {folder.name!r}")
        want = {k: info.get(k) for k in MACHINE_FIELDS}
        for path in sorted(folder.glob("*.json")):
            if path.name == "machine.json":
                continue
            try:
                params = json.loads(path.read_text(encoding="utf-8")).get("params") or {}
            except ValueError as exc:
                problems.append(f"{path}: not JSON ({exc})")
                continue
            have = {k: params.get(k) for k in MACHINE_FIELDS}
            diff = [f"{k} {have[k]!r} (machine.json {want[k]!r})" for k in MACHINE_FIELDS if have[k] != want[k]]
            if diff:
                problems.append(f"{path}: " + "; ".join(diff))
    return problems
