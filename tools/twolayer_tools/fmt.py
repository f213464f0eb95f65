"""Formatting, in one place: times, signed differences and Markdown tables."""
import math


def is_number(v):
    """True for a finite int or float (not None, nan, or a failed result)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def fmt_time(seconds):
    """'254 µs', '1.52 ms', '3.10 s' (3 significant figures); 'n/a' for a missing value."""
    if not is_number(seconds):
        return "n/a"
    a = abs(seconds)
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        if a >= scale or unit == "ns":
            return f"{seconds / scale:.3g} {unit}"
    return "n/a"


def fmt_delta(seconds):
    """'+46.5 µs', '−1.2 ms', '±0'."""
    if abs(seconds) < 5e-10:
        return "±0"
    return ("+" if seconds >= 0 else "−") + fmt_time(abs(seconds))


def fmt_count(n):
    """'76.4 k', '3.48 M', '950' instructions (3 significant figures); 'n/a' for a missing value."""
    if not is_number(n):
        return "n/a"
    for scale, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(n) >= scale:
            return f"{n / scale:.3g}{suffix}"
    return f"{n:.0f}"


def fmt_ratio(r):
    """'1.24' (a ratio, torch over numpy)."""
    return f"{r:.2f}" if is_number(r) else "n/a"


UNIT_FORMATTERS = {
    "seconds": fmt_time,
    "bytes": lambda v: f"{v / 1e6:.1f} MB",
    "instructions": lambda v: fmt_count(v) + " instr",
    "ratio": fmt_ratio,
}
"""One formatter per measurement kind (asv's unit): times, memory, instruction counts, ratios."""


def fmt_value(value, unit):
    """A result in its unit (``UNIT_FORMATTERS``); any other unit with 4 significant figures."""
    if not is_number(value):
        return "n/a"
    if unit in UNIT_FORMATTERS:
        return UNIT_FORMATTERS[unit](value)
    return f"{value:.4g} {unit}" if unit else f"{value:.4g}"


def markdown_table(headers, rows):
    """A Markdown table; cells are str()-ed, '|' escaped."""
    def cell(v):
        return str(v).replace("|", "\\|")
    out = ["| " + " | ".join(cell(h) for h in headers) + " |",
           "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(out)


def fmt_result(rec):
    """An asv result as asv compare prints it: value±error in its unit (asv's own human_value),
    'failed' or 'n/a'; a track_ benchmark's own unit with 4 significant figures."""
    from asv.util import human_value
    if rec is None:
        return "n/a"
    if rec.value is None:
        return "failed"
    if not is_number(rec.value):
        return "n/a"
    err = None
    if rec.stats:
        from asv_runner.statistics import get_err
        try:
            err = get_err(rec.value, rec.stats)
        except (KeyError, TypeError):
            err = None
    if rec.unit in ("seconds", "bytes"):
        return human_value(rec.value, rec.unit, err=err)
    if rec.unit in UNIT_FORMATTERS:
        return UNIT_FORMATTERS[rec.unit](rec.value) + (f"±{err:.2g}" if err else "")
    return f"{rec.value:.4g}" + (f"±{err:.2g}" if err else "")
