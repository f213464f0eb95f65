"""Why: one sentence per op on where its numpy/torch gap comes from, computed from the measured
numbers only (the claim, the cause benchmarks of ``benchmarks/causes.py``, the instruction counts by
library, the recorded facts), the group's verdict, and the facts as short lines.
"""
from twolayer import problem
from twolayer.backends import BACKENDS

from . import causes
from .fmt import fmt_count, fmt_delta, fmt_time
from .fmt import is_number as _ok


def blas_names(facts):
    """('OpenBLAS 0.3.23.dev', 'MKL 2024.2') from the recorded facts, or generic names."""
    numpy_blas, torch_blas = "numpy's", "torch's"
    if facts:
        nb = (facts.get("numpy") or {}).get("blas") or {}
        pools = [p for p in facts.get("threadpools", []) if p.get("owner") == "numpy" and p.get("user_api") == "blas"]
        if pools:
            p = pools[0]
            numpy_blas = f"numpy's {p['internal_api'].replace('openblas', 'OpenBLAS')} {p.get('version') or ''}".strip()
            if p.get("architecture"):
                numpy_blas += f" ({p['architecture']} kernels)"
        elif nb.get("name"):
            numpy_blas = f"numpy's {nb['name']} {nb.get('version') or ''}".strip()
        tb = ((facts.get("torch") or {}).get("blas")) or {}
        if tb.get("name"):
            torch_blas = f"torch's {tb['name'].upper() if tb['name'] == 'mkl' else tb['name']} {tb.get('version') or ''}".strip()
    return numpy_blas, torch_blas


def _overhead(index, op, want):
    """Sum of per-call overheads of `op`'s library calls, per backend, or None if any is missing."""
    out = {}
    for b in BACKENDS:
        vals = [index.value(causes.OVERHEAD.format(kind=k), backend=b, **want) for k in causes.OP_CALLS[op]]
        out[b] = sum(vals) if all(_ok(v) for v in vals) else None
    return out


def _speed(op, dtype, t):
    """'8.1 GFLOP/s' for a matmul, '3.2 GB/s' for an elementwise op."""
    if not _ok(t) or t <= 0:
        return ""
    if problem.OPS_BY_NAME[op].kind == "matmul":
        return f"{problem.flops(op) / t / 1e9:.1f} GFLOP/s"
    if dtype in problem.ITEMSIZE:
        return f"{problem.bytes_moved(op, dtype) / t / 1e9:.1f} GB/s"
    return ""


def _unstable_causes(index, op, want):
    """Names of the cause benchmarks behind `op`'s split whose median is unstable here."""
    names = [causes.OVERHEAD.format(kind=k) for k in causes.OP_CALLS[op]]
    if problem.OPS_BY_NAME[op].kind == "matmul":
        names += [causes.SAME_ARRAYS.format(op=op), causes.OVERHEAD.format(kind="matmul")]
    shaky = []
    for name in dict.fromkeys(names):
        for b in BACKENDS:
            rec = index.get(name, backend=b, **want)
            if rec is not None and rec.ok and rec.unstable and name not in shaky:
                shaky.append(name)
    return shaky


def _part(what, seconds, gap, residual):
    """One part of a gap, saying so when it runs against the gap rather than going silently negative."""
    text = f"{what} {fmt_delta(seconds)}"
    if gap and seconds * gap < 0:
        if residual:
            return text + " (a remainder against the gap: the parts measured apart overshoot it by this much)"
        return text + f" (in {'numpy' if seconds > 0 else 'torch'}'s favour, against the gap)"
    return text


# OpenBLAS's kernel families by the widest instruction set they use (threadpoolctl's `architecture`).
KERNEL_SIMD = {
    **dict.fromkeys(("Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai", "Coppermine",
                     "Northwood", "Banias", "Opteron", "Barcelona", "Bobcat", "Generic"), "SSE"),
    **dict.fromkeys(("Sandybridge", "Bulldozer", "Piledriver"), "AVX"),
    **dict.fromkeys(("Haswell", "Zen", "Steamroller", "Excavator"), "AVX2"),
    **dict.fromkeys(("SkylakeX", "Cooperlake", "SapphireRapids"), "AVX-512"),
}
SIMD_RANK = {"SSE": 0, "AVX": 1, "AVX2": 2, "AVX-512": 3}


def kernel_fallback(facts):
    """A sentence when numpy's OpenBLAS runs kernels for a narrower instruction set than the CPU
    has (it does not recognise the CPU), from the recorded facts; else ''."""
    if not facts:
        return ""
    pools = [p for p in facts.get("threadpools", []) if p.get("owner") == "numpy" and p.get("user_api") == "blas"]
    arch = pools[0].get("architecture") if pools else None
    level = (facts.get("cpu") or {}).get("simd_level") or ""
    cpu_simd = "AVX-512" if "AVX-512" in level else "AVX2" if "AVX2" in level else None
    kernel_simd = KERNEL_SIMD.get(arch)
    if not (kernel_simd and cpu_simd) or SIMD_RANK[kernel_simd] >= SIMD_RANK[cpu_simd]:
        return ""
    return (f"The BLAS: numpy's OpenBLAS {pools[0].get('version') or ''} runs its {arch} kernels ({kernel_simd}) on this "
            f"{cpu_simd} CPU: it does not recognise the CPU, and its matmuls run far below the CPU's speed")


def counts_sentence(row):
    """'Counted (callgrind, 1 thread): numpy 76.4 k instructions (BLAS 60.2 k, ...), torch ...', or ''."""
    if not any(_ok(v) for v in row.counts.values()):
        return ""
    sides = []
    for b in BACKENDS:
        total = row.counts.get(b)
        if not _ok(total):
            continue
        split = row.parts.get(b) or {}
        top = sorted(((v, k) for k, v in split.items() if _ok(v) and v >= 0.02 * total), reverse=True)
        sides.append(f"{b} {fmt_count(total)} instructions"
                     + (f" ({', '.join(f'{LIBRARY_NAMES.get(k, k)} {fmt_count(v)}' for v, k in top)})" if top else ""))
    ratio = ""
    if all(_ok(row.counts.get(b)) and row.counts.get(b) > 0 for b in BACKENDS):
        ratio = f"; torch/numpy {row.counts['torch'] / row.counts['numpy']:.2f} in instructions"
    return "Counted (callgrind, 1 thread, the code path valgrind sees): " + ", ".join(sides) + ratio


LIBRARY_NAMES = {"python": "interpreter", "numpy": "numpy's own code", "torch": "torch's own code",
                 "blas": "BLAS", "openmp": "OpenMP", "allocator": "malloc/free", "libc": "libc/libm/libstdc++",
                 "other": "other"}


def explain(row, group, index, facts):
    """One sentence on where `row`'s numpy/torch gap comes from, from measured numbers only: the
    claim (``claims``), the split of the times by the cause benchmarks, the instruction counts by
    library, and the facts."""
    op, want = row.op, group.params
    tn, tt = row.t("numpy"), row.t("torch")
    c = row.claim
    counted = counts_sentence(row)
    fallback = kernel_fallback(facts) if problem.OPS_BY_NAME[op].kind == "matmul" else ""
    tail = "".join(f". {x[0].upper() + x[1:]}" for x in (counted, fallback) if x) + "."
    if not (_ok(tn) and _ok(tt)):
        missing = " and ".join(b for b in BACKENDS if not _ok(row.t(b)))
        return f"`{op}`: no time for {missing}, so there is no timed gap to explain" + tail
    dtype = want.get("dtype")
    gap = tt - tn
    sn, st = _speed(op, dtype, tn), _speed(op, dtype, tt)
    speeds = ""
    if sn:
        speeds = f"; numpy {fmt_time(tn)} = {sn}, torch {fmt_time(tt)} = {st}"
    marks = "".join(f"; {b}'s median is unstable (IQR {getattr(row, b).spread:.0%} of it)" for b in row.unstable)
    head = f"`{op}`: {c.phrase()}{speeds}{marks}"
    if not c.claimed:
        return head + tail
    return (head + _split(row, index, facts, gap, want) + _mask_forms(index, op, dtype)
            + _threads(row, index, want) + tail)


def _parts(op, index, want, facts, gap):
    """[(what, seconds of the torch-minus-numpy gap)] by the cause benchmarks, the last part the
    remainder; [] where they are missing."""
    ovh = _overhead(index, op, want)
    if not all(_ok(v) for v in ovh.values()):
        return []
    ovh_gap = ovh["torch"] - ovh["numpy"]
    calls = ", ".join(causes.OP_CALLS[op])
    if problem.OPS_BY_NAME[op].kind != "matmul":
        n = len(causes.OP_CALLS[op])
        return [(f"per-call overhead ({n} library call{'s' if n > 1 else ''}: {calls})", ovh_gap),
                ("the kernels and their memory traffic", gap - ovh_gap)]
    sa = {b: index.value(causes.SAME_ARRAYS.format(op=op), backend=b, **want) for b in BACKENDS}
    if not all(_ok(v) for v in sa.values()):
        return []
    mm_ovh = {b: index.value(causes.OVERHEAD.format(kind="matmul"), backend=b, **want) for b in BACKENDS}
    blas = (sa["torch"] - sa["numpy"]) - (mm_ovh["torch"] - mm_ovh["numpy"])
    nblas, tblas = blas_names(facts)
    return [(f"the BLAS ({tblas} vs {nblas}, measured on the same arrays)", blas),
            (f"per-call overhead ({calls})", ovh_gap),
            ("the rest (array type, allocation, layout)", gap - blas - ovh_gap)]


def _split(row, index, facts, gap, want):
    """'. Mostly the BLAS: ...', or why the claimed gap is not split."""
    op, c = row.op, row.claim
    if gap * ((c.ratio if _ok(c.ratio) else 1) - 1) < 0:
        return (". The medians, timed apart, point the other way than the pairs; the time is not split "
                f"(torch − numpy {fmt_delta(gap)})")
    shaky = _unstable_causes(index, op, want)
    if shaky:
        return (f". The time is not split: the cause benchmark{'s' if len(shaky) > 1 else ''} "
                f"{', '.join(shaky)} {'are' if len(shaky) > 1 else 'is'} unstable here")
    parts = _parts(op, index, want, facts, gap)
    if not parts:
        return (". The cause benchmarks (benchmarks/causes.py) have no results here, so the time is not "
                "split into BLAS, per-call overhead and the rest (asv run -b causes)")
    rest = parts[-1]
    parts.sort(key=lambda p: -abs(p[1]))
    main_what, main_v = parts[0]
    share = main_v / gap * 100 if gap else 0
    others = "; ".join(_part(w, v, gap, (w, v) == rest) for w, v in parts[1:])
    if (main_what, main_v) == rest and share > 100.5:
        return (f". The parts timed apart ({others}) do not add up to the gap: what is left, "
                f"{fmt_delta(main_v)}, is larger than the gap itself, so this time split explains nothing")
    if share < 0:
        return (f". {main_what[0].upper() + main_what[1:]} alone favours {'numpy' if main_v > 0 else 'torch'} "
                f"({fmt_delta(main_v)}) but is outweighed by {others}")
    if share > 100.5:
        return (f". {main_what[0].upper() + main_what[1:]} accounts for {fmt_delta(main_v)}, more than the "
                f"whole gap, partly offset by {others}")
    return f". Mostly {main_what}: {fmt_delta(main_v)} ({share:.0f} % of the gap, timed apart); {others}"


def _mask_forms(index, op, dtype):
    """'. Fastest mask forms measured: ...' for the mask op, else ''."""
    if op != causes.MASK_OP:
        return ""
    best = []
    for b in BACKENDS:
        forms = {rec.params["form"]: rec.value for rec in index.by_name.get(causes.MASK_FORMS, ())
                 if rec.ok and rec.params.get("backend") == b and rec.params.get("dtype", dtype) == dtype}
        if forms:
            form = min(forms, key=forms.get)
            seed = forms.get("seed")
            best.append(f"{b} {form} {fmt_time(forms[form])}"
                        + (f" (seed form {fmt_time(seed)})" if seed is not None and form != "seed" else ""))
    return ". Fastest mask forms measured: " + ", ".join(best) if best else ""


def _threads(row, index, want):
    """'. 2 threads vs 1: numpy 1.30× faster, ...' above 1 thread where some side gains 15 %, else ''."""
    threads = want.get("threads")
    if not (isinstance(threads, int) and threads > 1):
        return ""
    one = dict(want, threads=1)
    sp = []
    for b in BACKENDS:
        t1 = index.value(causes.PER_OP.format(op=row.op), backend=b, **one)
        tb = row.t(b)
        if _ok(t1) and _ok(tb) and tb > 0:
            sp.append((b, t1 / tb))
    if sp and max(s for _, s in sp) >= 1.15:
        return f". {threads} threads vs 1: " + ", ".join(f"{b} {s:.2f}× faster" for b, s in sp)
    return ""


def summarise(group):
    """The step's verdict (the paired step ratio where measured, else the measured or summed
    steps) and the claimed ops that make the gap; never an empty list."""
    sn, st = group.step.get("numpy"), group.step.get("torch")
    basis = "measured step"
    if not (_ok(sn) and _ok(st)):
        sn, st, basis = group.total("numpy"), group.total("torch"), "sum of ops"
    if group.step_claim is not None:
        verdict = f"Step: {group.step_claim.phrase()}"
        if _ok(sn) and _ok(st):
            verdict += f"; {basis}: numpy {fmt_time(sn)}, torch {fmt_time(st)}"
    elif _ok(sn) and _ok(st):
        faster = "torch" if st < sn else "numpy"
        verdict = (f"Step ({basis}): numpy {fmt_time(sn)}, torch {fmt_time(st)}: {faster} is "
                   f"{max(sn, st) / min(sn, st):.2f}× faster (medians timed apart)")
    else:
        return "Not every op has a result for both backends: no verdict on the step."
    claimed = sorted(((r.t("torch") - r.t("numpy"), r.op) for r in group.rows
                      if r.claim is not None and r.claim.claimed and _ok(r.t("torch")) and _ok(r.t("numpy"))),
                     key=lambda g: -abs(g[0]))
    if claimed:
        top = ", ".join(f"`{op}` {fmt_delta(g)}" for g, op in claimed[:3])
        parts = f" The largest claimed gaps per call (torch − numpy): {top}."
    else:
        parts = " No op's gap is claimed here (see each op below)."
    unclaimed = [r.op for r in group.rows if r.claim is None or not r.claim.claimed]
    if unclaimed and claimed:
        parts += f" Not claimed: {', '.join(f'`{o}`' for o in unclaimed)}."
    if group.asleep:
        lo, hi = min(group.asleep.values()), max(group.asleep.values())
        parts += (f" Paired with both thread pools asleep between calls (ratios.TorchOverNumpy), "
                  f"torch/numpy reads {lo:.2f}–{hi:.2f} here: each torch call then wakes its workers, "
                  f"which neither library pays alone, so these ratios are shown, not claimed.")
    return verdict + "." + parts


# -- facts ----------------------------------------------------------------------------------------

def facts_lines(facts):
    """Short lines describing an environment's recorded facts (for Markdown and HTML)."""
    if not facts:
        return ["No facts recorded for this environment: run `make facts` (twolayer-bench facts)."]
    lines = []
    np_ = facts.get("numpy") or {}
    nblas, tblas = (n.split(" ", 1)[-1] for n in blas_names(facts))
    lines.append(f"numpy {np_.get('version')}: BLAS {nblas}"
                 + (f", built as {np_['blas']['name']} {np_['blas'].get('version')}" if (np_.get('blas') or {}).get('name') else ""))
    t = facts.get("torch")
    if t:
        lines.append(f"torch {t.get('version')}: BLAS {tblas}; CPU capability {t.get('cpu_capability')}; "
                     f"parallel backend {t.get('parallel_backend')}")
    else:
        lines.append("torch: not installed")
    for n, pools in sorted((facts.get("threads") or {}).items(), key=lambda kv: int(kv[0])):
        lines.append(f"set_threads({n}) → " + ", ".join(f"{k} {v}" for k, v in pools.items()))
    cpu = facts.get("cpu") or {}
    simd = (np_.get("simd") or {}).get("found") or []
    lines.append(f"CPU: {cpu.get('model')}, {cpu.get('logical_cores')} logical cores, SIMD {cpu.get('simd_level')}"
                 + (f" (numpy dispatches up to {simd[-1]})" if simd else "") + f"; Python {facts.get('python')}")
    return lines

