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
import os
import signal
import sys

from .errors import BadInput, first_line


class Parser(argparse.ArgumentParser):
    """argparse with the tools' exit policy: a usage error is one line on stderr and exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see --help)\n")

# (module, its subcommands in the order --help lists them)
MODULES = ("bench", "compare", "report", "facts", "peak", "scaling", "gate", "spread", "phases", "site", "merge",
           "branch", "releases", "timeline",
           "answer_page")


def build_parser():
    import importlib
    parser = Parser(
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


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _say(command, text):
    print(f"twolayer-bench{' ' + command if command else ''}: {' '.join(str(text).split())}", file=sys.stderr)


def main(argv=None):
    """Entry point of ``twolayer-bench``; returns the exit status: 0 fine, 1 a finding, 2 bad input
    or an environment problem (one line, never a traceback), 130 interrupted (nothing published)."""
    command = None
    try:
        signal.signal(signal.SIGTERM, _interrupt)     # `kill` cleans up as Ctrl-C does
    except ValueError:          # not the main thread (main called from a test's thread)
        pass
    try:
        args = build_parser().parse_args(argv)
        command = args.command
        status = args.run(args)
    except BadInput as exc:
        _say(command, f"error: {exc}")
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        _say(command, "interrupted; nothing was left half-written")
        return 130
    except OSError as exc:      # an unwritable folder, a full disk, a name too long...
        where = f" {str(exc.filename)[:200]!r}" if getattr(exc, "filename", None) else ""
        _say(command, f"error: {exc.strerror or first_line(exc)}{where}")
        return 2
    except Exception as exc:    # a file of the wrong shape: still one line, still not a finding
        if os.environ.get("TWOLAYER_TRACEBACK"):
            raise
        _say(command, f"error: {type(exc).__name__}: {first_line(exc)[:300]} "
                      "(TWOLAYER_TRACEBACK=1 shows where)")
        return 2
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
