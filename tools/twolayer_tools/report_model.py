"""The report's model: the per-op table of one machine's asv results, numpy beside torch, with
the claim each ratio rests on, and the headline (the step's verdict per environment and configuration).

For each environment and each (variant, dtype, threads) group: time per call of every op
(``ops.PerOp``), the torch/numpy ratio and what it rests on (``claims``: the paired ratio, else
asv's test on the medians), instructions per call at 1 thread (``counts``), and the measured step
(``loop.Loop.time_train`` / STEPS). The sentences are ``report_explain``'s; rendering is
``report_md`` / ``report_html``'s.
"""
import re
from dataclasses import dataclass, field

from twolayer import problem
from twolayer.backends import BACKENDS

from . import causes, claims
from .compare import compare_records
from .errors import BadInput
from .facts import load_facts_for_run
from .fmt import is_number as _ok
from .report_explain import explain, summarise


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
    forum: str = ""     # the forum's answer tested at this commit (answer_model.forum_verdict), or ""


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
            one_thread = claims.pairs_carry_claims(want)
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


def version_key(env):
    """A sort key of an environment name by the versions in it (numpy1.26.4 before numpy2.4.6)."""
    key = []
    for seg in env.split("-"):
        m = re.match(r"([A-Za-z_]+)(\d[\w.]*)$", seg)
        if m:
            key.append((m.group(1), tuple(int(x) if x.isdigit() else 0 for x in re.split(r"[.]", m.group(2)))))
    return key


def short_env(env, envs, sep="\n"):
    """The segments of `env` that differ between `envs` ('numpy1.26.4 torch2.13.0')."""
    common = set.intersection(*(set(e.split("-")) for e in envs)) if len(envs) > 1 else set()
    return sep.join(s for s in env.split("-") if s not in common) or env


# -- the headline: the step's verdict per environment and configuration ----------------------------

SEED_KEY = (("variant", "naive"), ("dtype", "float64"), ("threads", 1))
"""The seed's configuration (the forum thread's loop as written, float64, 1 thread): listed first."""


@dataclass
class Headline:
    """One row of the headline: the measured step of one group, who is faster, by how much, and on
    what that rests ("not claimed: ..." where no measurement supports a winner)."""
    env_index: int      # the environment's place in Report.envs
    group: Group
    faster: object      # 'numpy', 'torch' or None (not claimed)
    factor: float       # slower / faster, >= 1 (nan when there is no ratio)
    basis: str          # what the verdict rests on, or why there is none
    short: str = ""     # the same in a few words ('paired ratio', 'not claimed: unstable')

    @property
    def verdict(self):
        """'torch 1.52× faster' or 'not claimed'."""
        return f"{self.faster} {self.factor:.2f}× faster" if self.faster else "not claimed"


def step_headline(env_index, group):
    """The Headline of `group`: its step's claim (paired, or asv's test at more threads); where the
    step has no claim, the two measured steps timed apart, said so."""
    c = group.step_claim
    if c is not None:
        factor = max(c.ratio, 1 / c.ratio) if _ok(c.ratio) and c.ratio > 0 else float("nan")
        if c.claimed:
            if c.basis == claims.PAIRED:
                return Headline(env_index, group, c.faster, factor, f"paired ratio, IQR {c.low:.2f}–{c.high:.2f}",
                                "paired ratio")
            return Headline(env_index, group, c.faster, factor,
                            "asv's test on the medians" + (f" ({c.reason})" if c.reason else ""), "asv's test")
        if c.basis == claims.PAIRED:
            return Headline(env_index, group, None, factor, "not claimed: no difference the pairs can tell "
                            f"(IQR {c.low:.2f}–{c.high:.2f})", "not claimed: no difference (paired)")
        if "IQR" in c.reason:
            return Headline(env_index, group, None, factor, f"not claimed: unstable ({c.reason})",
                            "not claimed: unstable")
        basis = f"not claimed: {c.reason or 'no difference'}"
        return Headline(env_index, group, None, factor, basis, basis)
    sn, st = group.step.get("numpy"), group.step.get("torch")
    if _ok(sn) and _ok(st) and sn > 0 and st > 0:
        return Headline(env_index, group, None, max(sn, st) / min(sn, st),
                        f"not claimed: no paired ratio; the medians timed apart read "
                        f"{'torch' if st < sn else 'numpy'} faster", "not claimed: no paired ratio")
    basis = "not claimed: no measured step for both backends"
    return Headline(env_index, group, None, float("nan"), basis, basis)


def group_keys(report):
    """Every configuration of the report, in its groups' order (the seed's comes first there)."""
    keys = []
    for e in report.envs:
        keys += [g.key for g in e.groups if g.key not in keys]
    return keys


def headline_matrix(report):
    """(keys, [(env_index, [Headline or None per key])]): environments in version order."""
    keys = group_keys(report)
    rows = []
    for i in sorted(range(len(report.envs)), key=lambda i: version_key(report.envs[i].env)):
        groups = {g.key: g for g in report.envs[i].groups}
        rows.append((i, [step_headline(i, groups[k]) if k in groups else None for k in keys]))
    return keys, rows


def headlines(report):
    """The report's Headlines, by configuration (the seed's first, then the groups' order), each
    configuration's environments in version order."""
    keys = sorted(group_keys(report), key=lambda k: k != SEED_KEY)
    order = sorted(range(len(report.envs)), key=lambda i: version_key(report.envs[i].env))
    rows = []
    for key in keys:
        for i in order:
            g = next((g for g in report.envs[i].groups if g.key == key), None)
            if g is not None:
                rows.append(step_headline(i, g))
    return rows
