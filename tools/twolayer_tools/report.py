"""The seed's per-line table from asv results, numpy beside torch, with the reasons computed from numbers.

    twolayer-bench report                      # Markdown to stdout, every environment
    twolayer-bench report -o report.md --html  # also html/report/index.html with plots

For each environment and each (dtype, threads, ...) group: time per call of every op
(``ops.PerOp``), its share of the sum of ops, the torch/numpy ratio and what it rests on
(``claims``: the paired ratio, else asv's test on the medians), instructions per call at 1 thread
(``counts``), the sum of ops beside the measured step (``loop.Loop.time_train`` / 500) and their
difference. Then one sentence per op on where the gap comes from, computed from the cause
benchmarks (``benchmarks/causes.py``), the instruction counts split by library, and the recorded
facts (``twolayer-bench facts``).
"""
import html
import math
import os
import re
import sys
from dataclasses import dataclass, field

from twolayer import problem
from twolayer.backends import BACKENDS

from . import causes, claims, options
from .compare import compare_records
from .errors import BadInput
from .facts import load_facts_for_run
from .fmt import fmt_count, fmt_delta, fmt_time, markdown_table
from .fmt import is_number as _ok
from .results import UNSTABLE_SPREAD, load_config, load_result_set, select_envs


# -- the report's data -----------------------------------------------------------------------------

class Index:
    """The records of one environment by benchmark name, looked up by parameter names."""

    def __init__(self, records):
        self.by_name = {}
        for rec in records:
            self.by_name.setdefault(rec.name, []).append(rec)

    def get(self, name, **want):
        """The record of `name` whose parameters agree with `want` on every parameter it has."""
        for rec in self.by_name.get(name, ()):
            if all(want[k] == v for k, v in rec.params.items() if k in want) and \
                    all(k in want for k in rec.params):
                return rec
        return None

    def value(self, name, **want):
        rec = self.get(name, **want)
        return rec.value if rec is not None and rec.ok else None


@dataclass
class OpRow:
    op: str
    numpy: object      # Record or None
    torch: object
    ratio: float       # torch / numpy of the medians
    significant: bool  # asv's test says numpy and torch differ
    claim: object = None                        # claims.Claim: the ratio the report states
    counts: dict = field(default_factory=dict)  # backend -> instructions per call (1 thread) or None
    parts: dict = field(default_factory=dict)   # backend -> {library: instructions per call}

    def __post_init__(self):
        if self.claim is None:   # no paired ratio: asv's test on the two medians
            self.claim = claims.sample_claim(self.numpy, self.torch, self.significant, self.unstable)

    def t(self, backend):
        rec = getattr(self, backend)
        return rec.value if rec is not None and rec.ok else None

    @property
    def unstable(self):
        """Backends whose median here is unstable (results.UNSTABLE_SPREAD), in BACKENDS order."""
        return [b for b in BACKENDS if getattr(self, b) is not None and getattr(self, b).unstable]


@dataclass
class Group:
    """One table: an environment at one combination of the non-backend parameters."""
    env: str
    key: tuple                      # (('dtype', 'float64'), ('threads', 2), ...)
    rows: list
    step: dict                      # backend -> measured seconds per step (loop / STEPS) or None
    sentences: list = field(default_factory=list)
    summary: str = ""
    step_claim: object = None       # claims.Claim of the step (paired), or None
    step_counts: dict = field(default_factory=dict)   # backend -> instructions per step (1 thread)
    asleep: dict = field(default_factory=dict)   # op or "step" -> paired ratio with pools asleep (> 1 thread)

    @property
    def counted(self):
        """True when the group has instruction counts (1 thread, callgrind) for some op."""
        return any(v is not None for r in self.rows for v in r.counts.values())

    def count_total(self, backend):
        vals = [r.counts.get(backend) for r in self.rows]
        return sum(vals) if vals and all(_ok(v) for v in vals) else None

    @property
    def params(self):
        return dict(self.key)

    @property
    def title(self):
        return ", ".join(f"{v}" if k == "dtype" else f"{k}={v}" for k, v in self.key)

    def total(self, backend):
        times = [r.t(backend) for r in self.rows]
        return sum(times) if times and all(_ok(t) for t in times) else None


@dataclass
class EnvReport:
    env: str
    facts: object
    groups: list


@dataclass
class Report:
    machine: str
    commit: str
    envs: list


def _group_keys(index):
    keys = []
    for op in problem.OP_NAMES:
        for rec in index.by_name.get(causes.PER_OP.format(op=op), ()):
            if "backend" in rec.params:
                key = tuple((k, v) for k, v in rec.params.items() if k != "backend")
                if key not in keys:
                    keys.append(key)
    order = {d: i for i, d in enumerate(problem.DTYPES)}
    return sorted(keys, key=lambda k: tuple((order.get(v, 99), str(v)) if n == "dtype" else (0, str(v))
                                            for n, v in k))


def build_report(result_set, envs, factor=1.0):
    """The Report of `envs` (names) of `result_set`; BadInput when they have no per-op results."""
    out = []
    for env in envs:
        facts = load_facts_for_run(result_set.conf.results_dir, result_set.machine, env, result_set.results[env])
        index = Index(result_set.records(env))
        groups = []
        for key in _group_keys(index):
            want = dict(key)
            pairs = [(op, index.get(causes.PER_OP.format(op=op), backend="numpy", **want),
                      index.get(causes.PER_OP.format(op=op), backend="torch", **want)) for op in problem.OP_NAMES]
            verdicts = compare_records(pairs, factor=factor)
            rows, asleep = [], {}
            # Above 1 thread the pairs run with both pools asleep between calls (two pools in one
            # process would fight): each torch call then wakes its workers, which neither library
            # pays alone. Those ratios are shown, not claimed; the claim is asv's test there.
            one_thread = want.get("threads", 1) == 1
            for (op, a, b), v in zip(pairs, verdicts):
                row = OpRow(op, a, b, v.ratio, v.mark in "+-")
                paired = claims.paired_claim(index.get(causes.PAIRED, op=op, **want))
                if one_thread:
                    row.claim = paired or row.claim
                elif paired is not None:
                    asleep[op] = paired.ratio
                row.counts, row.parts = _counted(index, op, want)
                rows.append(row)
            step = {}
            for b in BACKENDS:
                loop = index.value(causes.LOOP, backend=b, **want)
                step[b] = loop / problem.STEPS if _ok(loop) else None
            group = Group(env, key, rows, step, asleep=asleep)
            step_pair = claims.paired_claim(index.get(causes.PAIRED, op=causes.STEP, **want))
            if one_thread:
                group.step_claim = step_pair
            else:
                if step_pair is not None:
                    asleep[causes.STEP] = step_pair.ratio
                loop = (causes.STEP, index.get(causes.LOOP, backend="numpy", **want),
                        index.get(causes.LOOP, backend="torch", **want))
                (v,) = compare_records([loop], factor=factor)
                group.step_claim = OpRow(*loop, v.ratio, v.mark in "+-").claim   # asv's test, as for an op
            group.step_counts = _counted(index, causes.STEP, want)[0]
            group.sentences = [explain(row, group, index, facts) for row in rows]
            group.summary = summarise(group)
            groups.append(group)
        out.append(EnvReport(env, facts, groups))
    if not any(e.groups for e in out):
        raise BadInput(f"no ops.PerOp results in environment(s) {', '.join(envs)} at commit "
                       f"{result_set.commit[:8]}; run 'make bench' (or asv run -b ops) first")
    return Report(result_set.machine, result_set.commit, [e for e in out if e.groups])


def _counted(index, point, want):
    """({backend: instructions per call}, {backend: {library: instructions}}) of `point` (an op or
    the step) at 1 thread; empty dicts for a group at more threads or without counts."""
    if want.get("threads", 1) != 1:
        return {}, {}
    want = {k: v for k, v in want.items() if k != "threads"}
    totals, parts = {}, {}
    for b in BACKENDS:
        totals[b] = index.value(causes.COUNTS, backend=b, op=point, **want)
        split = {rec.params["library"]: rec.value for rec in index.by_name.get(causes.COUNTS_BY_LIBRARY, ())
                 if rec.ok and rec.params.get("backend") == b and rec.params.get("op") == point
                 and all(rec.params.get(k) == v for k, v in want.items())}
        if split:
            parts[b] = split
    return totals, parts


# -- why: sentences computed from the measured numbers ------------------------------------------

def _blas_names(facts):
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

    ovh = _overhead(index, op, want)
    ovh_gap = ovh["torch"] - ovh["numpy"] if all(_ok(v) for v in ovh.values()) else None
    shaky = _unstable_causes(index, op, want)
    calls = ", ".join(causes.OP_CALLS[op])
    parts = []   # (what, seconds of the torch-minus-numpy gap)
    if problem.OPS_BY_NAME[op].kind == "matmul":
        sa = {b: index.value(causes.SAME_ARRAYS.format(op=op), backend=b, **want) for b in BACKENDS}
        if all(_ok(v) for v in sa.values()) and ovh_gap is not None:
            mm_ovh = {b: index.value(causes.OVERHEAD.format(kind="matmul"), backend=b, **want) for b in BACKENDS}
            blas = (sa["torch"] - sa["numpy"]) - (mm_ovh["torch"] - mm_ovh["numpy"])
            nblas, tblas = _blas_names(facts)
            parts = [(f"the BLAS ({tblas} vs {nblas}, measured on the same arrays)", blas),
                     (f"per-call overhead ({calls})", ovh_gap),
                     ("the rest (array type, allocation, layout)", gap - blas - ovh_gap)]
    elif ovh_gap is not None:
        n = len(causes.OP_CALLS[op])
        parts = [(f"per-call overhead ({n} library call{'s' if n > 1 else ''}: {calls})", ovh_gap),
                 ("the kernels and their memory traffic", gap - ovh_gap)]

    if gap * ((c.ratio if _ok(c.ratio) else 1) - 1) < 0:
        body = (". The medians, timed apart, point the other way than the pairs; the time is not split "
                f"(torch − numpy {fmt_delta(gap)})")
    elif shaky:
        body = (f". The time is not split: the cause benchmark{'s' if len(shaky) > 1 else ''} "
                f"{', '.join(shaky)} {'are' if len(shaky) > 1 else 'is'} unstable here")
    elif parts:
        rest = parts[-1]
        parts.sort(key=lambda p: -abs(p[1]))
        main_what, main_v = parts[0]
        share = main_v / gap * 100 if gap else 0
        others = "; ".join(_part(w, v, gap, (w, v) == rest) for w, v in parts[1:])
        if (main_what, main_v) == rest and share > 100.5:
            body = (f". The parts timed apart ({others}) do not add up to the gap: what is left, "
                    f"{fmt_delta(main_v)}, is larger than the gap itself, so this time split explains nothing")
        elif share < 0:
            body = (f". {main_what[0].upper() + main_what[1:]} alone favours {'numpy' if main_v > 0 else 'torch'} "
                    f"({fmt_delta(main_v)}) but is outweighed by {others}")
        elif share > 100.5:
            body = (f". {main_what[0].upper() + main_what[1:]} accounts for {fmt_delta(main_v)}, more than the "
                    f"whole gap, partly offset by {others}")
        else:
            body = f". Mostly {main_what}: {fmt_delta(main_v)} ({share:.0f} % of the gap, timed apart); {others}"
    else:
        body = (". The cause benchmarks (benchmarks/causes.py) have no results here, so the time is not "
                "split into BLAS, per-call overhead and the rest (asv run -b causes)")

    extra = ""
    if op == causes.MASK_OP:
        best = []
        for b in BACKENDS:
            forms = {rec.params["form"]: rec.value for rec in index.by_name.get(causes.MASK_FORMS, ())
                     if rec.ok and rec.params.get("backend") == b and rec.params.get("dtype", dtype) == dtype}
            if forms:
                form = min(forms, key=forms.get)
                seed = forms.get("seed")
                best.append(f"{b} {form} {fmt_time(forms[form])}"
                            + (f" (seed form {fmt_time(seed)})" if seed is not None and form != "seed" else ""))
        if best:
            extra += ". Fastest mask forms measured: " + ", ".join(best)
    threads = want.get("threads")
    if isinstance(threads, int) and threads > 1:
        one = dict(want, threads=1)
        sp = []
        for b in BACKENDS:
            t1 = index.value(causes.PER_OP.format(op=op), backend=b, **one)
            tb = row.t(b)
            if _ok(t1) and _ok(tb) and tb > 0:
                sp.append((b, t1 / tb))
        if sp and max(s for _, s in sp) >= 1.15:
            extra += f". {threads} threads vs 1: " + ", ".join(f"{b} {s:.2f}× faster" for b, s in sp)
    return head + body + extra + tail


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
    nblas, tblas = (n.split(" ", 1)[-1] for n in _blas_names(facts))
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


# -- Markdown ------------------------------------------------------------------------------------

def headers(group):
    """The table's columns; instruction columns only where the group has counts (1 thread)."""
    cols = ["op", "line", "numpy", "share", "torch", "share", "torch/numpy", "rests on"]
    return cols + (["numpy instr", "torch instr", "instr ratio"] if group.counted else [])


def table_rows(group):
    """The table as rows of strings (``headers``): op, line, numpy, share, torch, share, the
    claimed torch/numpy ratio, what it rests on, and the instructions per call (1 thread)."""
    rows = []
    tot = {b: group.total(b) for b in BACKENDS}
    counted = group.counted

    def ratio(a, b):
        return f"{b / a:.2f}" if _ok(a) and _ok(b) and a else "n/a"

    def instr(values):
        if not counted:
            return []
        return [fmt_count(values.get("numpy")), fmt_count(values.get("torch")),
                ratio(values.get("numpy"), values.get("torch"))]

    for r in group.rows:
        cells = [f"`{r.op}`", f"`{problem.OPS_BY_NAME[r.op].line}`"]
        for b in BACKENDS:
            t = r.t(b)
            cells += [fmt_time(t) + (" ?" if b in r.unstable else ""),
                      f"{t / tot[b] * 100:.1f} %" if _ok(t) and tot[b] else ""]
        cells += [r.claim.cell(), r.claim.basis_cell()] + instr(r.counts)
        rows.append(cells)
    blank = [""] * (3 if counted else 0)
    rows.append(["**Σ ops**", "", fmt_time(tot["numpy"]), "100 %" if tot["numpy"] else "",
                 fmt_time(tot["torch"]), "100 %" if tot["torch"] else "", ratio(tot["numpy"], tot["torch"]),
                 "medians timed apart"] + instr({b: group.count_total(b) for b in BACKENDS}))
    st = group.step
    sc = group.step_claim
    rows.append(["**measured step**", f"loop.Loop.time_train / {problem.STEPS}", fmt_time(st["numpy"]), "",
                 fmt_time(st["torch"]), "", sc.cell() if sc else ratio(st["numpy"], st["torch"]),
                 sc.basis_cell() if sc else "medians timed apart"] + instr(group.step_counts))
    diff = []
    for b in BACKENDS:
        if _ok(st[b]) and _ok(tot[b]):
            d = st[b] - tot[b]
            diff += [fmt_delta(d), f"{d / st[b] * 100:+.1f} % of step"]
        else:
            diff += ["n/a", ""]
    idiff = []
    if counted:
        for b in BACKENDS:
            s_, t_ = group.step_counts.get(b), group.count_total(b)
            idiff.append(f"{(s_ - t_) / s_ * 100:+.1f} %" if _ok(s_) and _ok(t_) and s_ else "n/a")
        idiff.append("")
    rows.append(["**step − Σ ops**", "what the op breakdown misses", *diff, "", ""] + (idiff or blank))
    return rows


def split_rows(group):
    """Instructions per call by library (callgrind, 1 thread): one row per op and backend."""
    libraries = []
    for r in group.rows:
        for split in r.parts.values():
            libraries += [k for k in split if k not in libraries]
    rows = []
    for r in group.rows:
        for b in BACKENDS:
            split = r.parts.get(b)
            if not split:
                continue
            total = r.counts.get(b)
            rows.append([f"`{r.op}`", b, fmt_count(total)]
                        + [fmt_count(split.get(k)) if _ok(split.get(k)) and split.get(k) >= 0.5 else ""
                           for k in libraries])
    return ["op", "backend", "instructions"] + [LIBRARY_NAMES.get(k, k) for k in libraries], rows


INTRO = ("Time per call (asv's median; `?` = unstable: the samples' IQR above "
         f"{UNSTABLE_SPREAD:.0%} of the median, a mark, not a veto); share = share of the sum of ops; "
         "torch/numpy > 1: torch slower. The ratio is the strongest measurement that supports it "
         "(*rests on*): the paired ratio (both backends timed alternately in one process, its IQR), "
         "else asv's test on the two medians; `~` = not claimed. Instructions per call: callgrind, "
         "1 thread, the code path valgrind sees: it hides AVX-512 (the BLAS runs other kernels under "
         "it), and memory stalls, threads and the clock are not counted, so counts sit beside the "
         f"times and never claim one. Measured step = "
         f"{problem.STEPS}-step loop / {problem.STEPS}.")


def to_markdown(report):
    """The whole report as Markdown."""
    out = [f"# NumPy vs PyTorch, op by op (machine `{report.machine}`, commit `{report.commit[:8]}`)", "",
           INTRO, ""]
    for e in report.envs:
        out += [f"## {e.env}", ""]
        out += [f"- {line}" for line in facts_lines(e.facts)] + [""]
        for g in e.groups:
            out += [f"### {g.title}", "", markdown_table(headers(g), table_rows(g))]
            out += ["", g.summary, "", "Why, op by op:", ""]
            out += [f"- {s}" for s in g.sentences] + [""]
            cols, rows = split_rows(g)
            if rows:
                out += ["Instructions per call by library (callgrind, 1 thread):", "", markdown_table(cols, rows), ""]
    return "\n".join(out)


# -- HTML + plots --------------------------------------------------------------------------------

def _slug(text):
    return re.sub(r"[^A-Za-z0-9_.]+", "_", text).strip("_")


def _md_inline(text):
    """`code` and **bold** of the Markdown cells, as HTML."""
    text = html.escape(text)
    text = re.sub(r"`([^`]*)`", r"<code>\1</code>", text)
    return re.sub(r"\*\*([^*]*)\*\*", r"<b>\1</b>", text)


def _version_key(env):
    key = []
    for seg in env.split("-"):
        m = re.match(r"([A-Za-z_]+)(\d[\w.]*)$", seg)
        if m:
            key.append((m.group(1), tuple(int(x) if x.isdigit() else 0 for x in re.split(r"[.]", m.group(2)))))
    return key


def _short_env(env, envs):
    """The segments of `env` that differ between `envs` ('numpy1.26.4 torch2.13.0')."""
    common = set.intersection(*(set(e.split("-")) for e in envs)) if len(envs) > 1 else set()
    return "\n".join(s for s in env.split("-") if s not in common) or env


def _html_table(cols, rows):
    return ("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in cols) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{_md_inline(c)}</td>" for c in row) + "</tr>" for row in rows)
            + "</table>")


def write_html(report, out_dir, scaling=None):
    """index.html and PNG plots in `out_dir` (created); returns the index path. `scaling` is the
    size sweep's plot, ``(png file name in out_dir, environment, commit)``, shown when given."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    body = [f"<h1>NumPy vs PyTorch, op by op</h1><p>machine <code>{html.escape(report.machine)}</code>, "
            f"commit <code>{report.commit[:8]}</code>. {_md_inline(INTRO)} The ratio plots show claimed "
            "ratios only. <a href='../index.html'>asv site</a></p>"]

    # Ratio vs version: one figure per group key, a line per op and the step, envs in version order.
    envs = sorted(report.envs, key=lambda e: _version_key(e.env))
    names = [e.env for e in envs]
    keys = []
    for e in envs:
        keys += [g.key for g in e.groups if g.key not in keys]
    if len(envs) > 1:
        body.append("<h2>torch/numpy ratio across environments</h2>")
        for key in keys:
            fig, ax = plt.subplots(figsize=(8, 4.5))
            xs = list(range(len(envs)))
            series = {}
            for e in envs:
                g = next((g for g in e.groups if g.key == key), None)
                for r in (g.rows if g else []):
                    series.setdefault(r.op, []).append(r.claim.ratio if r.claim.claimed else math.nan)
                st = g.step if g else {}
                sc = g.step_claim if g else None
                series.setdefault("step", []).append(
                    sc.ratio if sc is not None else st["torch"] / st["numpy"] if g and _ok(st.get("torch"))
                    and _ok(st.get("numpy")) else math.nan)
            for name, ys in series.items():
                if len(ys) == len(xs):
                    ax.plot(xs, ys, marker="o", lw=3 if name == "step" else 1,
                            color="black" if name == "step" else None, label=name)
            ax.axhline(1, color="grey", ls=":")
            ax.set_yscale("log")
            ax.set_xticks(xs, [_short_env(n, names) for n in names], fontsize=8)
            ax.set_ylabel("torch / numpy (log)")
            ax.set_title(", ".join(f"{k}={v}" for k, v in key))
            ax.legend(fontsize=7, ncol=2, loc="best")
            fig.tight_layout()
            png = f"ratio_{_slug('_'.join(f'{k}{v}' for k, v in key))}.png"
            fig.savefig(os.path.join(out_dir, png), dpi=90)
            plt.close(fig)
            body.append(f"<img src='{png}' alt='ratio vs version {html.escape(str(key))}'>")

    for i, e in enumerate(report.envs):
        body.append(f"<h2 id='env{i}'>{html.escape(e.env)}</h2><ul>"
                    + "".join(f"<li>{_md_inline(line)}</li>" for line in facts_lines(e.facts)) + "</ul>")
        for g in e.groups:
            png = f"bars_{i}_{_slug(g.title)}.png"
            fig, ax = plt.subplots(figsize=(9, 4))
            ops = [r.op for r in g.rows]
            xs = range(len(ops))
            for j, b in enumerate(BACKENDS):
                ax.bar([x + (j - 0.5) * 0.4 for x in xs], [(r.t(b) or 0) * 1e6 for r in g.rows], 0.4, label=b)
            ax.set_yscale("log")
            ax.set_xticks(list(xs), ops, rotation=35, ha="right", fontsize=8)
            ax.set_ylabel("µs per call (log)")
            ax.set_title(f"{_short_env(e.env, [x.env for x in report.envs])}, {g.title}".replace("\n", " "))
            ax.legend()
            fig.tight_layout()
            fig.savefig(os.path.join(out_dir, png), dpi=90)
            plt.close(fig)
            rows = table_rows(g)
            table = _html_table(headers(g), rows)
            cols, srows = split_rows(g)
            split = (f"<h4>Instructions per call by library (callgrind, 1 thread)</h4>{_html_table(cols, srows)}"
                     if srows else "")
            body.append(f"<h3>{html.escape(g.title)}</h3>{table}<p>{_md_inline(g.summary)}</p>"
                        f"<img src='{png}' alt='per-op times {html.escape(g.title)}'><h4>Why, op by op</h4><ul>"
                        + "".join(f"<li>{_md_inline(s)}</li>" for s in g.sentences) + "</ul>" + split)
    if scaling:
        png, env, commit = scaling
        body.append("<h2 id='scaling'>Scaling with size</h2><p>The loop (20 steps) and the two large matmuls "
                    "over batch N and hidden size H (<code>benchmarks/scaling.py</code>, float64, all cores, "
                    f"run with <code>TWOLAYER_BENCH_SLOW=1</code>); environment <code>{html.escape(env)}</code>, "
                    f"commit <code>{html.escape(commit[:8])}</code>. numpy/torch &gt; 1: torch faster.</p>"
                    f"<img src='{png}' alt='scaling with size'>")
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>twolayer-bench: NumPy vs PyTorch per op"
            "</title><style>body{font-family:sans-serif;max-width:70em;margin:auto}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:2px 6px;font-size:90%}td:nth-child(n+3){text-align:right}"
            "img{max-width:100%}</style></head><body>" + "\n".join(body) + "</body></html>")
    path = os.path.join(out_dir, "index.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    with open(os.path.join(out_dir, "report.md"), "w", encoding="utf-8") as f:
        f.write(to_markdown(report))
    return path


# -- command line --------------------------------------------------------------------------------

def _inside(path, folder):
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder + os.sep)


def configure(p):
    options.config(p)
    options.machine(p)
    options.commit(p)
    options.env(p)
    p.add_argument("-o", "--output", help="write the Markdown here instead of stdout")
    p.add_argument("--html", action="store_true", help="also write the HTML page and plots")
    p.add_argument("--html-dir", help="where the HTML goes (default: <asv html_dir>/report)")


def write(conf, machine=None, commit=None, envs=(), output=None, html_dir=None, markdown=False):
    """Build the report of `machine` at `commit`; write html/report/ (or `html_dir`), and the
    Markdown to `output` or, with `markdown`, to stdout. Returns the HTML index written."""
    rs = load_result_set(conf, machine, commit)
    report = build_report(rs, select_envs(rs, envs))
    html_dir = html_dir or os.path.join(conf.html_dir, "report")
    for p in filter(None, (output, html_dir)):
        if _inside(p, conf.results_dir):
            raise BadInput(f"refusing to write {p!r} inside the results folder {conf.results_dir!r}")
    text = to_markdown(report)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        print(f"report: {output}", file=sys.stderr)
    elif markdown:
        print(text)
    from .atomic import staged_folder
    from .scaling import plot_result
    with staged_folder(html_dir, copy=True) as stage:     # built beside html/report/, then swapped in
        # the size sweep of this commit (make sweep), from the first environment that ran it
        swept = next((res for _, res in sorted(rs.results.items())
                      if plot_result(res, rs.benchmarks, os.path.join(stage, "scaling.png"))), None)
        scaling = ("scaling.png", swept.env_name, swept.commit_hash) if swept else None
        write_html(report, str(stage), scaling)
    index = os.path.join(html_dir, "index.html")
    print(f"report: {index}", file=sys.stderr)
    return index


def run(args):
    conf = load_config(args.config)
    if args.html or args.html_dir:
        write(conf, args.machine, args.commit, args.env, args.output, args.html_dir, markdown=True)
        return 0
    rs = load_result_set(conf, args.machine, args.commit)
    text = to_markdown(build_report(rs, select_envs(rs, args.env)))
    if args.output:
        if _inside(args.output, conf.results_dir):
            raise BadInput(f"refusing to write {args.output!r} inside the results folder {conf.results_dir!r}")
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        print(f"report: {args.output}", file=sys.stderr)
    else:
        print(text)
    return 0


COMMANDS = [("report", "the seed's per-line table, numpy beside torch, with the reasons computed "
                       "from the cause benchmarks (Markdown; --html: html/report/)", configure, run)]
