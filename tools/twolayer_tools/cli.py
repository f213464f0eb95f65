"""``twolayer-bench``: one command for every tool around the benchmarks.

    twolayer-bench bench                  # the matrix, then facts, report and the published site
    twolayer-bench compare-envs numpy1.26.4 numpy2.4.6
    twolayer-bench report -E numpy2.4.6,torch2.13.0
    twolayer-bench gate origin/main       # asv continuous, exit 1 on a slowdown
    twolayer-bench --help                 # every subcommand

Exit status, for every subcommand: 0 fine; 1 a finding (something got slower, the site is out of
sync); 2 bad input, with one line on stderr that names what exists. Shared options (--config,
-m/--machine, -c/--commit, -E/--env, -b/--bench) mean the same everywhere (``options.py``).
"""
import argparse
import sys

from .errors import BadInput

# (module, its subcommands in the order --help lists them)
MODULES = ("bench", "compare", "report", "facts", "peak", "scaling", "gate", "spread", "phases", "site", "merge",
           "branch", "releases", "timeline")


def build_parser():
    import importlib
    parser = argparse.ArgumentParser(
        prog="twolayer-bench", description="Run, compare, report and publish twolayer-bench's asv benchmarks.",
        epilog="Exit status: 0 fine, 1 a finding (e.g. a slowdown), 2 bad input.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in MODULES:
        module = importlib.import_module(f"{__package__}.{name}")
        for command, help_text, configure, run in module.COMMANDS:
            p = sub.add_parser(command, help=help_text, description=help_text)
            configure(p)
            p.set_defaults(run=run)
    return parser


def main(argv=None):
    """Entry point of ``twolayer-bench``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        status = args.run(args)
    except BadInput as exc:
        print(f"twolayer-bench {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print(f"twolayer-bench {args.command}: interrupted", file=sys.stderr)
        return 130
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
