"""The answer's model: per machine, NumPy or torch on the seed's loop and on each of its 11 lines,
with NumPy+MKL where it was measured, each gap with the claim it rests on (``claims``).

The claims are the report's (``report_model.build_report``: the paired ratio at 1 thread, else asv's
test on the two medians), read at the seed's variant for every dtype and thread count measured.
numpy and torch come from the default environment (``results.DEFAULT_ENV`` with no matrix
variable) at its newest measured commit; NumPy+MKL from the ``TWOLAYER_NUMPY_BLAS=mkl``
environment of ``asv.mkl.conf.json`` at its newest commit, compared with torch from the ``pypi``
environment of the same run (in the mkl one torch runs NumPy's MKL: docs/mkl.md). Nothing is
measured or assumed here: a machine without results says so.
"""
import os
from dataclasses import dataclass, field

from twolayer import problem
from twolayer.backends import BACKENDS, VARIANTS

from . import causes
from .compare import compare_records
from .errors import BadInput
from .facts import load_facts_for_run
from .fmt import fmt_time, is_number
from .report_explain import blas_names
from .report_model import Index, OpRow, build_report
from .results import DEFAULT_ENV, load_result_set, machines, matched_segments, require_machine

BLAS_VARIABLE = "TWOLAYER_NUMPY_BLAS"
"""asv.mkl.conf.json's matrix variable naming NumPy's BLAS build (docs/mkl.md)."""
MKL = "mkl"
TORCH_BESIDE_MKL = "pypi"
"""The environment of the same run whose torch is compared with NumPy+MKL (torch as shipped)."""
SEED = {"variant": VARIANTS[0], "dtype": problem.DTYPES[0], "threads": 1}
"""The forum's configuration: the seed's code line for line, double precision, one thread."""
LOOP = "loop"
"""The row of the whole loop (``loop.Loop.time_train``), before the 11 lines."""
MACHINE_FIELDS = ("machine", "os", "arch", "cpu", "num_cpu", "ram")
"""asv's machine parameters (asv.machine.Machine.fields): the rest of a result's params is its
environment's."""


@dataclass
class Source:
    """Where a column's figures come from: an environment of a machine at one commit."""
    env: str
    commit: str
    date: object          # the commit's date (asv's ms timestamp) or None
    graph: dict           # asv's graph parameters selecting this environment (machine, numpy, ...)
    facts: object = None  # the recorded facts of the environment, or None


@dataclass
class Line:
    """One row: the loop or one line of the seed, numpy beside torch (and NumPy+MKL)."""
    op: str                     # an op name of problem.OP_NAMES, or LOOP
    code: str                   # the seed's line of code
    bench: str                  # the asv benchmark the times come from
    numpy: object               # results.Record or None
    torch: object
    claim: object               # claims.Claim of torch / numpy
    counts: dict = field(default_factory=dict)   # backend -> instructions per call (1 thread)
    mkl: object = None          # Record of NumPy+MKL, or None
    mkl_torch: object = None    # Record of torch beside it (the TORCH_BESIDE_MKL environment)
    mkl_claim: object = None    # claims.Claim of torch / NumPy+MKL (asv's test, _add_mkl), or None
    mkl_numpy: object = None    # Record of PyPI's NumPy in that same run (the TORCH_BESIDE_MKL environment)

    @property
    def factor(self):
        """How many times faster the claimed winner is (>= 1), or None when nothing is claimed."""
        c = self.claim
        if not (c.claimed and is_number(c.ratio) and c.ratio > 0):
            return None
        return c.ratio if c.ratio >= 1 else 1 / c.ratio

    @property
    def instructions_ratio(self):
        """torch / numpy instructions per call (callgrind, 1 thread), or None."""
        n, t = self.counts.get("numpy"), self.counts.get("torch")
        return t / n if is_number(n) and is_number(t) and n > 0 else None


@dataclass
class Setting:
    """One configuration of the seed's variant: dtype and thread count, with its rows."""
    params: dict                # variant, dtype, threads
    lines: list                 # the loop first, then the 11 lines in the seed's order

    @property
    def is_seed(self):
        return self.params == SEED

    @property
    def title(self):
        n = self.params.get("threads")
        return f"{self.params.get('dtype')}, {n} thread{'s' if n != 1 else ''}"

    @property
    def ops(self):
        return [ln for ln in self.lines if ln.op != LOOP]

    @property
    def loop(self):
        return next((ln for ln in self.lines if ln.op == LOOP), None)


@dataclass
class MachineAnswer:
    """The answer for one machine; `settings` empty (and `missing` saying why) without results."""
    name: str
    info: dict                  # its machine.json (cpu, num_cpu, arch, os, ram)
    main: object = None         # Source of numpy and torch
    mkl: object = None          # Source of NumPy+MKL, or None where not measured
    mkl_torch: object = None    # Source of the torch compared with it
    settings: list = field(default_factory=list)
    missing: str = ""

    @property
    def blas(self):
        """[(library, its BLAS)] from the recorded facts; 'not recorded' where there are none."""
        out = []
        nblas, tblas = blas_names(self.main.facts if self.main else None)
        recorded = self.main is not None and self.main.facts is not None
        out.append(("numpy", nblas.split(" ", 1)[1] if recorded else "not recorded (make facts)"))
        out.append(("torch", tblas.split(" ", 1)[1] if recorded else "not recorded (make facts)"))
        if self.mkl is not None:
            mblas = blas_names(self.mkl.facts)[0] if self.mkl.facts else ""
            out.append(("NumPy+MKL", mblas.split(" ", 1)[1] if mblas else "not recorded (make facts)"))
        return out

    @property
    def seed(self):
        return next((s for s in self.settings if s.is_seed), None)


@dataclass
class Answer:
    machines: list


# -- loading -------------------------------------------------------------------------------------

def machine_info(results_dir, name):
    """A machine's machine.json as asv reads it, less its version."""
    from asv import util
    from asv.machine import Machine
    try:
        info = util.load_json(os.path.join(results_dir, name, "machine.json"), api_version=Machine.api_version)
    except (util.UserError, OSError, ValueError) as exc:
        raise BadInput(f"corrupt machine file {os.path.join(results_dir, name, 'machine.json')}: {exc}") from None
    return {k: v for k, v in info.items() if k != "version"}


def _is_main(res):
    return not res.env_vars and matched_segments(DEFAULT_ENV, res.env_name) is not None


def _blas_env(value):
    return lambda res: res.env_vars.get(BLAS_VARIABLE) == value


class _Commits:
    """A machine's result sets by commit, newest first, each loaded once when first needed."""

    def __init__(self, conf, machine):
        self.conf, self.machine = conf, machine
        newest = load_result_set(conf, machine)
        self.order = newest.commits
        self.sets = {newest.commit: newest}

    def __iter__(self):
        for commit in self.order:
            if commit not in self.sets:
                self.sets[commit] = load_result_set(self.conf, self.machine, commit)
            yield self.sets[commit]

    def newest(self, *wanted):
        """(result set, [env name per predicate]) at the newest commit where every predicate in
        `wanted` picks an environment with per-op results; (None, None) when no commit does."""
        for rs in self:
            picked = []
            for want in wanted:
                names = [n for n, res in sorted(rs.results.items()) if want(res)
                         and any(k.startswith("ops.PerOp.") for k in res.get_all_result_keys())]
                picked.append(names[0] if names else None)
            if all(picked):
                return rs, picked
        return None, None


def _source(rs, env, env_vars):
    res = rs.results[env]
    graph = {k: v for k, v in sorted(res.params.items()) if k not in MACHINE_FIELDS}
    graph["machine"] = rs.machine
    for var in env_vars:
        graph[f"env-{var}"] = res.env_vars.get(var)
    facts = load_facts_for_run(rs.conf.results_dir, rs.machine, env, res)
    return Source(env, rs.commit, res.date, dict(sorted(graph.items())), facts)


# -- the rows --------------------------------------------------------------------------------------

def _claim_of(label, numpy, torch):
    """asv's test on two medians, as the report claims a gap without a paired ratio."""
    (verdict,) = compare_records([(label, numpy, torch)], factor=1.0)
    return OpRow(label, numpy, torch, verdict.ratio, verdict.mark in "+-").claim


def _settings(rs, env):
    """The seed variant's settings of `env`, the seed's first, from the report's groups."""
    report = build_report(rs, [env])
    index = Index(rs.records(env))
    out = []
    for group in report.envs[0].groups:
        want = group.params
        if want.get("variant") != SEED["variant"]:
            continue
        loop = {b: index.get(causes.LOOP, backend=b, **want) for b in BACKENDS}
        claim = group.step_claim or _claim_of(LOOP, loop["numpy"], loop["torch"])
        lines = [Line(LOOP, f"the {problem.STEPS}-step loop", causes.LOOP, loop["numpy"], loop["torch"],
                      claim, dict(group.step_counts))]
        for row in group.rows:
            lines.append(Line(row.op, problem.OPS_BY_NAME[row.op].line, causes.PER_OP.format(op=row.op),
                              row.numpy, row.torch, row.claim, dict(row.counts)))
        out.append(Setting(want, lines))
    out.sort(key=lambda s: (not s.is_seed, s.params.get("threads", 1),
                            problem.DTYPES.index(s.params["dtype"]) if s.params.get("dtype") in problem.DTYPES else 99))
    return out


def _add_mkl(settings, rs, mkl_env, torch_env):
    """NumPy+MKL beside each row, with asv's test against torch of `torch_env` (same run). Nothing
    pairs them: torch in the NumPy+MKL environment runs NumPy's MKL (docs/mkl.md, the hazards);
    asv's test weighs as many processes per side as the run gave each point (``bench --rounds``)."""
    mkl, beside = Index(rs.records(mkl_env)), Index(rs.records(torch_env))
    for s in settings:
        for ln in s.lines:
            ln.mkl = mkl.get(ln.bench, backend="numpy", **s.params)
            ln.mkl_torch = beside.get(ln.bench, backend="torch", **s.params)
            ln.mkl_numpy = beside.get(ln.bench, backend="numpy", **s.params)
            if ln.mkl is not None and ln.mkl_torch is not None:
                ln.mkl_claim = _claim_of(ln.op, ln.mkl, ln.mkl_torch)


def machine_answer(conf, name):
    """The MachineAnswer of machine `name` of the configuration `conf`."""
    info = machine_info(conf.results_dir, name)
    try:
        require_machine(conf.results_dir, name)
    except BadInput:        # its folder holds machine.json alone
        return MachineAnswer(name, info, missing="no results yet")
    commits = _Commits(conf, name)      # a damaged file is bad input, never a machine without results
    env_vars = sorted({v for rs in commits for res in rs.results.values() for v in res.env_vars})
    rs, picked = commits.newest(_is_main)
    if rs is None:
        return MachineAnswer(name, info, missing=f"no per-op results of the default environment "
                                                 f"({DEFAULT_ENV}) yet")
    env = picked[0]
    answer = MachineAnswer(name, info, _source(rs, env, env_vars), settings=_settings(rs, env))
    mrs, pair = commits.newest(_blas_env(MKL), _blas_env(TORCH_BESIDE_MKL))
    if mrs is not None:
        answer.mkl = _source(mrs, pair[0], env_vars)
        answer.mkl_torch = _source(mrs, pair[1], env_vars)
        _add_mkl(answer.settings, mrs, *pair)
    return answer


def build(conf, machine=None):
    """The Answer for every machine of the configuration's results (or only `machine`): those
    with results first, in name order, then those without."""
    names = machines(conf.results_dir)
    if machine is not None:
        if machine not in names:
            raise BadInput(f"unknown machine {machine!r} in {conf.results_dir!r}; machines: "
                           + (", ".join(names) or "(none)"))
        names = [machine]
    if not names:
        raise BadInput(f"no machine in {conf.results_dir!r}: run 'make bench' first")
    found = [machine_answer(conf, n) for n in names]
    return Answer(sorted(found, key=lambda m: (bool(m.missing), m.name)))


# -- the sentence ---------------------------------------------------------------------------------

def versus(claim, numpy="numpy", torch="torch"):
    """'numpy is 1.36× faster than torch' for a claimed gap, else 'no difference claimed (why)';
    `numpy` and `torch` name the two sides (the claim's ratio is torch over numpy)."""
    if claim is None or not is_number(claim.ratio):
        return "not measured on both sides"
    if not claim.claimed:
        why = claim.reason or ("the pairs' 99 % interval holds 1" if claim.basis == "paired"
                               else "asv's test finds no difference")
        return f"no difference claimed ({torch}/{numpy} ~{claim.ratio:.2f}; {why})"
    fast, slow = (numpy, torch) if claim.ratio > 1 else (torch, numpy)
    factor = claim.ratio if claim.ratio >= 1 else 1 / claim.ratio
    return f"{fast} is {factor:.2f}× faster than {slow}"


def basis(claim):
    """What a claim rests on, in words: 'paired ratio, IQR 1.25–1.54' or "asv's test on the medians"."""
    if claim.basis == "paired":
        return f"paired ratio, IQR {claim.low:.2f}–{claim.high:.2f}"
    return "asv's test on the medians" + (f", {claim.reason}" if claim.reason else "")


def paired_where(claim, env):
    """How a claim was paired, for the forum's verdict: in the processes of `env`, or not at all."""
    if claim.basis == "paired":
        return f"torch and NumPy alternated in the processes of {env}, paired ratio IQR {claim.low:.2f}–{claim.high:.2f}"
    return "asv's test on the medians of two environments, nothing paired"


def largest(setting):
    """The claimed line with the largest factor, or None."""
    claimed = [ln for ln in setting.ops if ln.factor is not None]
    return max(claimed, key=lambda ln: (ln.factor, ln.op)) if claimed else None


def sentence(m):
    """One sentence answering the forum's question for machine `m`, from its numbers."""
    cpu = m.info.get("cpu") or "CPU not recorded"
    where = f"On {m.name} ({cpu}, {m.info.get('num_cpu') or '?'} CPUs)"
    if m.missing or m.seed is None:
        return f"{where}: {m.missing or 'no results at the seed settings yet'}, so no answer yet."
    s = m.seed
    loop = s.loop
    head = (f"{where}, at the seed's settings ({s.params['variant']}, {s.title}), the whole loop: "
            f"{versus(loop.claim)}" + (f" ({basis(loop.claim)})" if loop.claim.claimed else ""))
    wins = {b: [ln for ln in s.ops if ln.claim.faster == b] for b in BACKENDS}
    parts = []
    for b in sorted(BACKENDS, key=lambda b: -len(wins[b])):
        lines = wins[b]
        if not lines:
            continue
        named = ", ".join(f"{ln.op} {ln.factor:.2f}×" for ln in lines) if len(lines) <= 3 else ""
        parts.append(f"{b} on {len(lines)} of {len(s.ops)}" + (f" ({named})" if named else ""))
    unclaimed = [ln.op for ln in s.ops if ln.factor is None]
    by_line = ("; by line, faster: " + "; ".join(parts)) if parts else "; no line's gap is claimed"
    top = largest(s)
    if top is not None:
        by_line += (f"; the largest gap: {top.op}, {top.claim.faster} "
                    f"{top.factor:.2f}× faster ({basis(top.claim)})")
    if unclaimed and parts:
        by_line += f"; not claimed: {', '.join(unclaimed)}"
    mkl = ""
    if m.mkl is not None and loop.mkl_claim is not None:
        mc = loop.mkl_claim
        mkl = (f". With NumPy+MKL (commit {m.mkl.commit[:8]}), the loop: {versus(mc, 'NumPy+MKL', 'torch')}"
               + (f" ({basis(mc)})" if mc.claimed else ""))
    return head + by_line + mkl + "."


LARGE_MATMULS = ("h", "grad_w1")
"""The two large products of the seed (64x1000x100 and 1000x64x100): where a BLAS shows."""
CLOSE = 1.10
"""'Quite close' in the forum's sense: within 10 % (or no difference claimed)."""


def forum_verdict(m):
    """The forum's answer ("NumPy with MKL is quite close to PyTorch; with OpenBLAS it is slower"),
    tested on machine `m` at the seed's settings from its numbers; '' where NumPy+MKL is not measured."""
    s = m.seed
    if m.missing or s is None or m.mkl is None or s.loop.mkl_claim is None:
        return ""
    ob, mk = s.loop.claim, s.loop.mkl_claim
    slower = ob.claimed and is_number(ob.ratio) and ob.ratio < 1
    gap = None if not is_number(mk.ratio) or mk.ratio <= 0 else max(mk.ratio, 1 / mk.ratio)
    close = gap is not None and (not mk.claimed or gap <= CLOSE)
    held = {(True, True): "holds", (False, False): "does not hold"}.get((close, slower), "half holds")
    verdicts = (f"NumPy+MKL close to torch: {'yes' if close else 'no'} ({versus(mk, 'NumPy+MKL', 'torch')}; "
                f"{paired_where(mk, 'the NumPy+MKL environment')}); "
                f"NumPy+OpenBLAS slower than torch: {'yes' if slower else 'no'} "
                f"({versus(ob, 'NumPy+OpenBLAS', 'torch')}; {paired_where(ob, 'the default environment')})")
    rows = {ln.op: ln for ln in s.ops}
    mm = []
    for op in LARGE_MATMULS:
        ln = rows.get(op)
        if ln is None:
            continue
        vals = [(who, r.value) for who, r in (("OpenBLAS", ln.mkl_numpy), ("MKL", ln.mkl), ("torch", ln.mkl_torch))
                if r is not None and r.ok and is_number(r.value)]
        if len(vals) == 3:
            mm.append(f"{op}: " + ", ".join(f"{who} {fmt_time(v)}" for who, v in vals))
    tail = (f"; the two large matmuls in that run, NumPy+OpenBLAS (PyPI), NumPy+MKL, torch: {'; '.join(mm)}"
            if mm else "")
    where = where_the_gap_is(s)
    return (f"The forum's answer (\"NumPy with MKL is quite close to PyTorch; with OpenBLAS it is slower\") "
            f"{held} on {m.name} for the loop at the seed's settings. {verdicts}{tail}."
            + (f" {where}" if where else ""))


def _total(lines, column):
    """Sum of the medians of `column` (a Line's Record attribute) over `lines`; None if one is missing."""
    records = [getattr(ln, column) for ln in lines]
    if not records or any(r is None or not r.ok or not is_number(r.value) for r in records):
        return None
    return sum(r.value for r in records)


def where_the_gap_is(setting):
    """How much of numpy's gap to torch MKL closes in the two large matmuls, and how much NumPy's BLAS
    moves the other nine lines, per step, from the per-op medians of one run (``make bench-blas``:
    PyPI's NumPy, NumPy+MKL and torch, rounds interleaved); '' where a median is missing. Sums of
    medians timed apart: a per-step estimate, not a claim."""
    big = [ln for ln in setting.ops if ln.op in LARGE_MATMULS]
    rest = [ln for ln in setting.ops if ln.op not in LARGE_MATMULS]
    sums = [(_total(big, c), _total(rest, c)) for c in ("mkl_numpy", "mkl", "mkl_torch")]
    if len(big) != len(LARGE_MATMULS) or any(None in pair for pair in sums):
        return ""
    (ob, orest), (mk, mrest), (tb, trest) = sums
    if ob > tb:
        moved = (f"MKL closes {100 * (ob - mk) / (ob - tb):.0f} % of NumPy's gap to torch there" if mk < ob
                 else f"MKL does not close NumPy's gap to torch there ({mk / ob:.2f}× slower than OpenBLAS)")
    else:
        moved = (f"NumPy+OpenBLAS is already {tb / ob:.2f}× faster than torch there, and MKL makes NumPy "
                 + (f"{mk / ob:.2f}× slower" if mk >= ob else f"{ob / mk:.2f}× faster still"))
    return (f"Per step (sums of the per-line medians), the two large matmuls take {fmt_time(ob)}, "
            f"{fmt_time(mk)}, {fmt_time(tb)} (NumPy+OpenBLAS, NumPy+MKL, torch): {moved}. "
            f"The other {len(rest)} lines take {fmt_time(orest)}, {fmt_time(mrest)}, {fmt_time(trest)}: "
            + (f"NumPy's BLAS moves them {mrest / orest:.2f}×, so torch's {trest / orest:.2f}× there is "
               f"per-call cost, not the BLAS." if 1 / CLOSE <= mrest / orest <= CLOSE else
               f"NumPy's BLAS moves them {mrest / orest:.2f}× (torch's: {trest / orest:.2f}×)."))
