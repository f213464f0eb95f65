"""The options every subcommand shares, each with one meaning (pyperf's shared option helpers)."""
import argparse
import math


def config(p):
    p.add_argument("--config", metavar="PATH",
                   help="asv configuration (default: asv.conf.json in the current directory)")


def machine(p):
    p.add_argument("-m", "--machine", metavar="NAME",
                   help="asv machine name (default: the one `asv run` uses on this host, as "
                        "`asv machine` recorded it)")


def commit(p):
    p.add_argument("-c", "--commit", metavar="REV",
                   help="commit: hash prefix or git name (default: the latest with results)")


def env(p, default=None):
    what = f"default: {default}" if default else "repeatable; default: every environment"
    p.add_argument("-E", "--env", action="append", default=[], metavar="SELECTOR",
                   help="environments whose names match: an asv environment name or parts of it, "
                        f"e.g. numpy2.4.6,torch2.13.0 or numpy=1.26.4 ({what})")


def bench(p):
    p.add_argument("-b", "--bench", action="append", default=[], metavar="REGEX",
                   help="only benchmarks matching this regular expression (repeatable; matched, as "
                        "asv does, against names and names with parameters)")


def ratio_above_one(text):
    """A factor "slower than": a finite number above 1 (argparse type; else exit 2, one line)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 1):
        raise argparse.ArgumentTypeError(f"must be a finite number above 1 (e.g. 1.1), not {text!r}")
    return value


def positive_int(text):
    """A count of at least 1 (argparse type; else exit 2, one line)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text!r}")
    return value


def factor(p, default):
    p.add_argument("-f", "--factor", type=ratio_above_one, default=default,
                   help=f"ratio beyond which a difference counts, above 1 (default {default})")
