"""The timeline page: every op and the whole loop against NumPy and torch releases, from the
release sweep's results (``releases/<machine>/``, see ``releases.py``), into ``html/timeline/``.

NumPy releases (numpy's time) and torch releases (torch's time) share one date axis; a point
carries its median, IQR, the BLAS and OpenMP its release ships (from the facts) and the
reliability mark. A step between consecutive releases of a line is listed under "What changed"
when asv's own test (``asv.commands.compare._is_result_better``, asv compare's factor 1.1) calls
it real; a step with an unstable side is listed, marked. The page loads only the site's vendored
jQuery and flot, so it works offline.

    twolayer-bench timeline [--machine NAME]    # write html/timeline/ (publish does it too)
"""
import html
import json
from pathlib import Path

from . import options
from .atomic import oserror, write_text
from .errors import BadInput, listing
from .facts import load_facts_for_run
from .fmt import fmt_time, is_number, markdown_table
from .releases import LINES, REPEAT_DIR, RESULTS_DIR, load_status
from .results import UNSTABLE_SPREAD, load_config, load_result_set, machines

TIMELINE_DIR = "timeline"
LOOP = "loop"
"""The selector's name for ``loop.Loop.time_train`` (the 500-step loop) beside the op names."""
STEP_FACTOR = 1.1
"""asv compare's default factor: a smaller step is never listed, whatever the test says."""
SINGLE_RUN_THREADS = (1,)
"""Thread counts at which one run of a release is a claim: across runs on other days, 99-100 % of
1-thread medians agree within 10 %, 58-77 % of 2-thread ones (docs/noise.md); a 2-thread step is
claimed only where a repeat pass (``releases-repeat/``) measured both sides again."""
VENDOR = ("jquery-3.3.1/jquery.min.js", "flot-0.8.3/jquery.flot.js", "flot-0.8.3/jquery.flot.time.js")


def releases_conf(config=None, results_dir=RESULTS_DIR):
    """The project's asv configuration reading the release sweep's results (``releases/``, or
    `results_dir`) instead of ``results/``."""
    conf = load_config(config)
    conf.results_dir = str(Path(conf.path).parent / results_dir)
    return conf


def _blas(facts, lib):
    """The BLAS `lib` ships: its own build report, else threadpoolctl's pool it owns (NumPy < 1.25
    reports no build configuration), with the kernels OpenBLAS chose for this CPU."""
    blas = ((facts or {}).get(lib) or {}).get("blas") or {}
    pools = [p for p in (facts or {}).get("threadpools", []) if p.get("user_api") == "blas"
             and p.get("owner") == lib]
    if not blas.get("name") and pools:
        blas = {"name": pools[0].get("internal_api"), "version": pools[0].get("version")}
    text = " ".join(str(x) for x in (blas.get("name"), blas.get("version")) if x) or "?"
    kernel = pools[0].get("architecture") if pools else None
    return f"{text} ({kernel} kernels)" if kernel else text


def _openmp(facts):
    pools = [p for p in (facts or {}).get("threadpools", []) if p.get("user_api") == "openmp"]
    return ", ".join(sorted({f"{p.get('prefix')}{' ' + p['version'] if p.get('version') else ''}" for p in pools})) or "none"


def _points(result_set, env, line):
    """{'op|dtype|threads': point} of `line`'s backend (naive lines) in `env`."""
    points = {}
    for rec in result_set.records(env, r"^(ops\.PerOp\.time_|loop\.Loop\.time_train$)"):
        p = rec.params
        if p.get("backend") != line or p.get("variant") != "naive" or not rec.ok:
            continue
        op = LOOP if rec.name.startswith("loop.") else rec.name.rsplit("time_", 1)[1]
        st = rec.stats or {}
        points[f"{op}|{p['dtype']}|{p['threads']}"] = {
            "median": rec.value, "q25": st.get("q_25"), "q75": st.get("q_75"), "repeat": None,
            "unstable": rec.unstable, "_rec": rec}
    return points


def _repeat_pass(config, machine):
    """The repeat pass's (result set, status) for `machine`, or (None, {}) when there is none."""
    rconf = releases_conf(config, REPEAT_DIR)
    status = load_status(rconf.results_dir, machine)
    if not status:
        return None, {}
    return load_result_set(rconf, machine), status


def build(rconf, machine=None, config=None):
    """The page's data: releases per line with their points (marked unstable where the samples'
    IQR or a repeat pass disagrees by more than 10 %), and the steps asv's test calls real, each a
    claim or not (with the reason)."""
    from .compare import compare_records
    result_set = load_result_set(rconf, machine)
    machine = result_set.machine
    status = load_status(rconf.results_dir, machine)
    repeat_set, repeat_status = _repeat_pass(config, machine)
    from twolayer.problem import OPS
    ops = [{"name": op.name, "line": op.line} for op in OPS] + [
        {"name": LOOP, "line": "the 500-step loop (loop.Loop.time_train)"}]
    lines, excluded = {}, []
    for line, dates in LINES.items():
        out = []
        for release, date in dates.items():
            st = status.get(f"{line} {release}", {})
            if st.get("outcome") != "measured":
                if st.get("outcome"):
                    excluded.append({"line": line, "release": release, "outcome": st["outcome"],
                                     "detail": st.get("detail", "")})
                continue
            env = st["env_name"]
            if env not in result_set.results:
                continue
            facts = load_facts_for_run(rconf.results_dir, machine, env, result_set.results[env])
            points = _points(result_set, env, line)
            again = repeat_status.get(f"{line} {release}", {})
            if again.get("outcome") == "measured" and again["env_name"] in repeat_set.results:
                for key, q in _points(repeat_set, again["env_name"], line).items():
                    if key in points:
                        p = points[key]
                        p["repeat"] = q["median"]
                        if abs(q["median"] / p["median"] - 1) > UNSTABLE_SPREAD:
                            p["unstable"] = True
            out.append({"release": release, "date": date, "env": env, "numpy": st["numpy"],
                        "torch": st["torch"], "blas": _blas(facts, line), "openmp": _openmp(facts),
                        "seconds": st.get("seconds", {}), "points": points})
        lines[line] = out
    steps = []
    for line, rels in lines.items():
        for before, after in zip(rels, rels[1:]):
            for key, a in before["points"].items():
                b = after["points"].get(key)
                if b is None:
                    continue
                (row,) = compare_records([(key, a["_rec"], b["_rec"])], factor=STEP_FACTOR)
                if row.mark not in ("+", "-") or not is_number(row.ratio):
                    continue
                op, dtype, threads = key.split("|")
                threads = int(threads)
                repeated = a["repeat"] is not None and b["repeat"] is not None
                if a["unstable"] or b["unstable"]:
                    why_not = "a side is unstable"
                elif threads not in SINGLE_RUN_THREADS and not repeated:
                    why_not = f"{threads} threads, measured once"
                elif repeated and (b["repeat"] / a["repeat"] > 1) != (row.ratio > 1):
                    why_not = "the repeat pass goes the other way"
                else:
                    why_not = ""
                steps.append({"line": line, "from": before["release"], "to": after["release"], "op": op,
                              "dtype": dtype, "threads": threads, "before": a["median"],
                              "after": b["median"], "ratio": row.ratio, "slower": row.mark == "+",
                              "unstable": a["unstable"] or b["unstable"], "claim": not why_not,
                              "why_not": why_not,
                              "shipped": "; ".join(f"{what} {before[k]} → {after[k]}" for what, k in
                                                   (("BLAS", "blas"), ("OpenMP", "openmp")) if before[k] != after[k])})
    # the claims first, largest first; then the steps that are listed but not claimed
    steps.sort(key=lambda s: (not s["claim"], -max(s["ratio"], 1 / s["ratio"]), s["line"], s["op"]))
    for rels in lines.values():
        for r in rels:
            for p in r["points"].values():
                p.pop("_rec")
    return {"machine": machine, "commit": result_set.commit, "ops": ops, "lines": lines,
            "steps": steps, "excluded": excluded}


def step_text(s):
    """'torch 2.4.1 → 2.5.1: grad_w2 float64 2 threads 12.1 µs → 30.2 µs (2.50× slower)'."""
    how = f"{s['ratio']:.2f}× slower" if s["slower"] else f"{1 / s['ratio']:.2f}× faster"
    threads = "1 thread" if s["threads"] == 1 else f"{s['threads']} threads"
    return (f"{s['line']} {s['from']} → {s['to']}: {s['op']} {s['dtype']} {threads} "
            f"{fmt_time(s['before'])} → {fmt_time(s['after'])} ({how})"
            + (f"; shipped: {s['shipped']}" if s["shipped"] else "")
            + (f" — not claimed: {s['why_not']}" if s["why_not"] else ""))


def render(data):
    """The page (one HTML file; the data inline, so it also opens from disk)."""
    e = html.escape
    claims = [s for s in data["steps"] if s["claim"]]
    doubtful = [s for s in data["steps"] if not s["claim"]]

    def items(steps, limit=40):
        out = "\n".join(f"<li class='{'unstable' if s['unstable'] else ('slower' if s['slower'] else 'faster')}'>"
                        f"{e(step_text(s))}</li>" for s in steps[:limit])
        more = f"<li>… {len(steps) - limit} smaller: in the table under the plot, op by op</li>" if len(steps) > limit else ""
        return (out + more) or "<li>none</li>"
    changed = items(claims)
    unclaimed = items(doubtful, 20)
    facts_rows = []
    for line, rels in data["lines"].items():
        for r in rels:
            secs = r["seconds"]
            cost = f"{secs.get('build_s', '?')} s + {secs.get('run_s', '?')} s" if secs else "?"
            facts_rows.append(f"<tr><td>{e(line)} {e(r['release'])}</td><td>{e(r['date'])}</td>"
                              f"<td>numpy {e(r['numpy'])} + torch {e(r['torch'])}</td><td>{e(r['blas'])}</td>"
                              f"<td>{e(r['openmp'])}</td><td>{e(cost)}</td></tr>")
    excluded = "".join(f"<li>{e(x['line'])} {e(x['release'])}: {e(x['outcome'])}: {e(x['detail'])}</li>"
                       for x in data["excluded"]) or "<li>none</li>"
    payload = json.dumps({k: data[k] for k in ("ops", "lines", "steps")}, sort_keys=True, separators=(",", ":"))
    scripts = "".join(f"<script src='../vendor/{v}'></script>" for v in VENDOR)
    return f"""<!DOCTYPE html>
<html><head><meta charset='utf-8'><title>twolayer-bench: time against release</title>{scripts}
<style>body{{font-family:sans-serif;max-width:1100px;margin:1em auto;padding:0 1em}}
#plot{{width:100%;height:380px}} #tip{{position:absolute;display:none;background:#fff;border:1px solid #888;
padding:4px 6px;font-size:13px;pointer-events:none}} table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:left}} .unstable{{color:#8a6d00}} .slower{{color:#a00}}
.faster{{color:#060}} label{{margin-right:1em}}</style></head><body>
<p><a href='../index.html'>asv site</a> · <a href='../report/index.html'>Report</a></p>
<h1>Time against release</h1>
<p>Machine <code>{e(data['machine'])}</code>, workload commit <code>{e(data['commit'][:8])}</code>, the seed's
(naive) lines, asv medians. NumPy releases are timed with numpy's lines, torch releases with torch's, on one
date axis. A hollow point is <span class='unstable'>unstable</span> (its samples' IQR is above 10 % of the
median): read no step from it.</p>
<p><label>op <select id='op'></select></label><label>dtype <select id='dtype'><option>float64</option>
<option>float32</option></select></label><label>threads <select id='threads'><option>1</option><option>2</option>
</select></label> <span id='line-text'></span></p>
<div id='plot'></div><div id='tip'></div>
<h2>Releases for this op</h2><table id='points'></table>
<h2>What changed</h2><p>Steps between consecutive releases that asv's test calls real (factor
{STEP_FACTOR}) between two stable medians, at 1 thread or repeated, largest first, every op, dtype and
thread count.</p>
<ol id='changed'>{changed}</ol>
<h3>Listed, not claimed</h3><p>asv's test calls these real too, but a side is unstable (its IQR, or a repeat
pass, is more than 10 % off its median), or the step is at 2 threads and was measured once: on this 2-core
machine a 2-thread median moves with the host between runs. They are listed, not explained.</p>
<ol id='unclaimed'>{unclaimed}</ol>
<h2>Releases measured</h2><table id='facts'><tr><th>release</th><th>date</th><th>environment</th>
<th>BLAS it ships</th><th>OpenMP</th><th>cost: build + run</th></tr>{''.join(facts_rows)}</table>
<h2>Not measured</h2><ul id='excluded'>{excluded}</ul>
<script>var TIMELINE = {payload};</script>
<script>{_SCRIPT}</script></body></html>
"""


_SCRIPT = r"""
(function () {
  var T = TIMELINE, COLORS = {numpy: "#1f77b4", torch: "#d62728"};
  function fmt(s) {
    if (s == null) return "n/a";
    var u = [[1, "s"], [1e-3, "ms"], [1e-6, "µs"], [1e-9, "ns"]];
    for (var i = 0; i < u.length; i++) if (Math.abs(s) >= u[i][0] || i == u.length - 1)
      return (s / u[i][0]).toPrecision(3) + " " + u[i][1];
  }
  function day(d) { return Date.parse(d + "T00:00:00Z"); }
  $.each(T.ops, function (_, op) { $("#op").append($("<option>").val(op.name).text(op.name)); });
  function key() { return $("#op").val() + "|" + $("#dtype").val() + "|" + $("#threads").val(); }
  function draw() {
    var k = key(), series = [], rows = [];
    var op = T.ops.filter(function (o) { return o.name == $("#op").val(); })[0];
    $("#line-text").text(op.line);
    $.each(T.lines, function (line, rels) {
      var solid = [], hollow = [], meta = [];
      $.each(rels, function (_, r) {
        var p = r.points[k];
        if (!p) return;
        var xy = [day(r.date), p.median];
        (p.unstable ? hollow : solid).push(xy);
        meta.push([xy, line, r, p]);
        rows.push([line, r, p]);
      });
      series.push({label: line, color: COLORS[line], data: meta.map(function (m) { return m[0]; }),
                   lines: {show: true}, points: {show: false}, meta: meta});
      series.push({color: COLORS[line], data: solid, points: {show: true, fill: true, fillColor: COLORS[line]},
                   meta: meta.filter(function (m) { return !m[3].unstable; })});
      series.push({color: COLORS[line], data: hollow, points: {show: true, fill: true, fillColor: "#fff", radius: 5},
                   meta: meta.filter(function (m) { return m[3].unstable; })});
    });
    window.timelinePlot = $.plot("#plot", series, {xaxis: {mode: "time", timeformat: "%Y-%m", minTickSize: [3, "month"]},
                             yaxis: {min: 0, tickFormatter: function (v) { return fmt(v); }},
                             grid: {hoverable: true}, legend: {position: "nw"}});
    var t = $("#points").empty();
    t.append("<tr><th>release</th><th>date</th><th>median</th><th>IQR</th><th>BLAS</th><th>OpenMP</th><th>step</th></tr>");
    $.each(rows, function (_, x) {
      var line = x[0], r = x[1], p = x[2], step = "";
      var s = T.steps.filter(function (s) { return s.line == line && s.to == r.release && s.op + "|" + s.dtype + "|" + s.threads == k; })[0];
      if (s) step = (s.slower ? s.ratio.toFixed(2) + "× slower" : (1 / s.ratio).toFixed(2) + "× faster") + (s.why_not ? " (not claimed: " + s.why_not + ")" : "");
      var iqr = (p.q25 != null && p.q75 != null) ? fmt(p.q75 - p.q25) : "n/a";
      $("<tr>").toggleClass("unstable", p.unstable).append(
        $("<td>").text(line + " " + r.release), $("<td>").text(r.date),
        $("<td>").text(fmt(p.median) + (p.unstable ? " ?" : "")), $("<td>").text(iqr),
        $("<td>").text(r.blas), $("<td>").text(r.openmp), $("<td>").text(step)).appendTo(t);
    });
  }
  $("#plot").bind("plothover", function (ev, pos, item) {
    if (!item || !item.series.meta || !item.series.meta[item.dataIndex]) { $("#tip").hide(); return; }
    var m = item.series.meta[item.dataIndex], r = m[2], p = m[3];
    $("#tip").html("").append($("<b>").text(m[1] + " " + r.release), $("<br>"),
      $("<span>").text(r.date + ": " + fmt(p.median) + (p.unstable ? " (unstable)" : "")), $("<br>"),
      $("<span>").text("IQR " + fmt(p.q25) + " – " + fmt(p.q75)), $("<br>"),
      $("<span>").text("BLAS " + r.blas + "; OpenMP " + r.openmp))
      .css({left: item.pageX + 12, top: item.pageY + 12}).show();
  });
  $("#op, #dtype, #threads").change(draw);
  draw();
})();
"""


def sweep_machine(rconf, machine=None):
    """The machine whose sweep to show: `machine`, else the only one with a sweep; None when this
    checkout holds no sweep and no machine was asked for; BadInput otherwise."""
    found = [m for m in machines(rconf.results_dir) if load_status(rconf.results_dir, m)]
    if machine is None and not found:
        return None
    if machine is None and len(found) > 1:
        raise BadInput(f"release sweep results exist for several machines: {listing(found)}; "
                       "choose one with --machine")
    if machine is not None and machine not in found:
        raise BadInput(f"no release sweep results for machine {machine!r} in {rconf.results_dir}; "
                       f"machines with them: {listing(found)} (run 'make releases')")
    return machine or found[0]


def write(config=None, html_dir=None, machine=None):
    """Write ``<html>/timeline/index.html`` from the release sweep's results. Returns its path, or
    None when this checkout holds no sweep results (nothing to show)."""
    from .site import check_release_inputs
    rconf = releases_conf(config)
    check_release_inputs(rconf.path)        # a damaged file is bad input before anything is written
    machine = sweep_machine(rconf, machine)
    if machine is None:
        return None
    data = build(rconf, machine, config)
    out = Path(html_dir) if html_dir else Path(load_config(config).html_dir)
    path = out / TIMELINE_DIR / "index.html"
    page = render(data)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise oserror(exc, "create the folder") from None
    return write_text(path, page)


def changes_table(data, top):
    """The `top` largest steps between stable medians as a Markdown table (the README's answer
    across releases)."""
    rows = []
    for s in [s for s in data["steps"] if s["claim"]][:top]:
        how = f"{s['ratio']:.2f}× slower" if s["slower"] else f"{1 / s['ratio']:.2f}× faster"
        rows.append([f"{s['line']} {s['from']} → {s['to']}", f"`{s['op']}`", s["dtype"], s["threads"],
                     f"{fmt_time(s['before'])} → {fmt_time(s['after'])}", how + (" ?" if s["unstable"] else "")])
    return markdown_table(["release step", "op", "dtype", "threads", "median", "change", "what the release ships changed"],
                          [row + [s["shipped"] or "—"] for row, s in
                           zip(rows, [s for s in data["steps"] if s["claim"]])])


def configure(p):
    options.config(p)
    options.machine(p)
    p.add_argument("--html-dir", help="the site's folder (default: the asv html_dir)")
    p.add_argument("--top", type=int, metavar="N",
                   help="print the N largest release-to-release steps as a Markdown table instead")


def run(args):
    if args.top is not None:
        if args.top < 1:
            raise BadInput(f"--top must be at least 1, not {args.top}")
        from .site import check_release_inputs
        rconf = releases_conf(args.config)
        check_release_inputs(rconf.path)
        machine = sweep_machine(rconf, args.machine)
        if machine is None:
            raise BadInput(f"no release sweep results in {RESULTS_DIR}/; run 'make releases' first")
        print(changes_table(build(rconf, machine, args.config), args.top))
        return 0
    path = write(args.config, args.html_dir, args.machine)
    if path is None:
        raise BadInput(f"no release sweep results in {RESULTS_DIR}/; run 'make releases' first")
    print(f"timeline: {path}")
    return 0


COMMANDS = [("timeline", "write the site's timeline page (time against NumPy and torch release) "
                         "from the release sweep's results", configure, run)]
