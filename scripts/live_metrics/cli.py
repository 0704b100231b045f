"""Command-line entry point: one program, one subcommand per job.

Each subcommand lives in its own module, which exposes ``register(subparsers)``;
``register`` adds the subparser and sets ``func`` to a callable taking the parsed
arguments and returning an exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from live_metrics import __version__, check, explain, export, generate, materialize, scorecard
from live_metrics.errors import NoDataYet, UserError

SUBCOMMAND_MODULES = (generate, check, export, explain, materialize, scorecard)


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
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
