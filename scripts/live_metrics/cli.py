"""Command-line entry point: one program, one subcommand per job.

Each subcommand lives in its own module, which exposes ``register(subparsers)``;
``register`` adds the subparser and sets ``func`` to a callable taking the parsed
arguments and returning an exit code.

Errors a user can fix end with one ``error:`` line on stderr (``main``). When the reader of the output goes
away early (``live-metrics scorecard | head -3``), the program stops quietly like a Unix filter, with no
message and exit status 0 (not 141, the shell's code for a death by SIGPIPE: the reader chose to stop, and
``set -o pipefail`` scripts should not fail for it). Python ignores SIGPIPE, so the closed pipe surfaces as a
``BrokenPipeError`` from a write, or from the flush of buffered output; ``main`` flushes stdout itself to
see that error, then points stdout at /dev/null so the flush at interpreter exit cannot raise again.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from live_metrics import __version__
from live_metrics.bench import bench
from live_metrics.creator import creator
from live_metrics.errors import NoDataYet, UserError
from live_metrics.generator import generate
from live_metrics.ops import materialize, pipeline, publish
from live_metrics.report import check, explain, export, scorecard

SUBCOMMAND_MODULES = (pipeline, generate, check, export, explain, materialize, scorecard, publish, bench, creator)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="live-metrics",
        description=(
            "Tools for the live-streaming success-metrics project: generate raw event logs, "
            "check the semantic layer and its metric tree, export the tree, explain why the north star "
            "moved, and materialize saved queries into the DuckDB warehouse."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMAND_MODULES:
        module.register(subparsers)
    return parser


EXIT_BROKEN_PIPE = 0  # the reader closed the pipe early: not a failure (see the module docstring)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            code = run(argv)
        except SystemExit:  # argparse's --help, --version and usage errors
            sys.stdout.flush()
            raise
        sys.stdout.flush()  # buffered output meets a closed pipe here, not at interpreter exit
        return code
    except BrokenPipeError:
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as error:  # the final flush failed otherwise (a full disk): one line, as in run
        _discard_stdout()
        print(f"error: {error.strerror or error}", file=sys.stderr)
        return 2


def run(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and run the subcommand; errors a user can fix become one line and an exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:
        raise  # the reader went away: main stops quietly
    except NoDataYet as empty:
        print(f"no data yet: {empty}")
        return empty.exit_code
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except OSError as error:  # a file system failure no check above foresaw: still one line, no traceback
        where = f": {error.filename}" if error.filename else ""
        print(f"error: {error.strerror or error}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so what is still buffered goes nowhere instead of raising again at exit
    (what the Python docs recommend for SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor behind stdout (an embedding, a test capture)
        pass
