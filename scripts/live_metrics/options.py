"""Command-line options shared by the metric-tree subcommands, and their resolution to paths."""

from __future__ import annotations

import argparse
import difflib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from live_metrics.errors import UserError

DEFAULT_MANIFEST = Path("target") / "semantic_manifest.json"
DEFAULT_CATALOGUE = Path("seeds") / "metric_catalogue.csv"


def repo_root() -> Path:
    """The repository holding this program (scripts/live_metrics/ → the repo root)."""
    return Path(__file__).resolve().parents[2]


def default_project_dir() -> Path:
    env_value = os.environ.get("DBT_PROJECT_DIR")
    return Path(env_value).resolve() if env_value else repo_root()


@dataclass(frozen=True)
class ProjectPaths:
    project_dir: Path
    manifest: Path
    catalogue: Path
    catalogue_given: bool
    target: str | None = None  # the dbt target (--target or DBT_TARGET); None: the profile's default


def target_manifest(target: str) -> Path:
    """Where `dbt parse --target T --target-path target/T` writes the semantic manifest of a Spark target."""
    return Path("target") / target / "semantic_manifest.json"


def add_project_arguments(
    parser: argparse.ArgumentParser,
    *,
    catalogue: bool = True,
    json_help: str | None = "print machine-readable JSON instead of text tables",
) -> None:
    group = parser.add_argument_group("project")
    group.add_argument(
        "--project-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="the dbt project (dbt_project.yml, profiles.yml); default: $DBT_PROJECT_DIR or this repo's root",
    )
    group.add_argument(
        "--manifest",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"dbt's semantic manifest; default: {DEFAULT_MANIFEST} in the project (created by `dbt parse`)",
    )
    group.add_argument(
        "--target",
        default=None,
        metavar="NAME",
        help="the dbt target to query (an output of the profile in profiles.yml, e.g. spark for Apache Spark); "
        "default: $DBT_TARGET, else the profile's default target. A spark target's default --manifest "
        "is target/NAME/semantic_manifest.json (`dbt parse --target NAME --target-path target/NAME`)",
    )
    if catalogue:
        group.add_argument(
            "--catalogue",
            type=Path,
            default=None,
            metavar="PATH",
            help=(
                "the metric catalogue CSV (docs/contract/metrics.md as data); "
                f"default: {DEFAULT_CATALOGUE} in the project"
            ),
        )
    if json_help:
        parser.add_argument("--json", action="store_true", help=json_help)


def resolve_paths(args: argparse.Namespace) -> ProjectPaths:
    project_dir = (args.project_dir or default_project_dir()).resolve()
    if not project_dir.is_dir():
        raise UserError(f"project dir {project_dir} does not exist")
    target = getattr(args, "target", None) or os.environ.get("DBT_TARGET") or None
    manifest = args.manifest.resolve() if args.manifest else default_manifest(project_dir, target)
    given = getattr(args, "catalogue", None)
    catalogue = given.resolve() if given else project_dir / DEFAULT_CATALOGUE
    return ProjectPaths(
        project_dir=project_dir, manifest=manifest, catalogue=catalogue, catalogue_given=bool(given), target=target
    )


def default_manifest(project_dir: Path, target: str | None) -> Path:
    """target/semantic_manifest.json, or for a Spark target target/<target>/semantic_manifest.json.

    dbt bakes relation names into the manifest at parse time (DuckDB's name a database, Spark's do not),
    so a Spark target has a manifest of its own; a missing one is reported with the command that makes it.
    """
    from live_metrics.engine.profile import SPARK_ADAPTER_TYPE, find_profile_target

    found = find_profile_target(project_dir, target)
    if found is None or found.adapter_type != SPARK_ADAPTER_TYPE:
        return project_dir / DEFAULT_MANIFEST
    name = found.name
    manifest = project_dir / target_manifest(name)
    if not manifest.exists():
        raise UserError(
            f"semantic manifest not found at {manifest}: run `dbt parse --target {name} --target-path "
            f"target/{name}` (DBT_PROFILES_DIR set to the repo root) to create it"
        )
    return manifest


def split_names(values: Iterable[str] | None) -> list[str]:
    """Names given as repeated flags and/or comma-separated lists, in order, without duplicates."""
    names: list[str] = []
    for value in values or []:
        for part in value.split(","):
            name = part.strip()
            if name and name not in names:
                names.append(name)
    return names


def plural(noun: str, count: int) -> str:
    """``noun`` for one, else its plural ("saved query" → "saved queries")."""
    if count == 1:
        return noun
    return noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"


def check_known(names: Sequence[str], known: Sequence[str], what: str, flag: str) -> None:
    """Raise a one-line ``UserError`` for the first unknown name, with a close match if there is one."""
    known_set = set(known)
    for name in names:
        if name not in known_set:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise UserError(
                f"unknown {what} '{name}' passed to {flag}{hint}; "
                f"the manifest has {len(known)} {plural(what, len(known))}"
            )


def writable_dir(path: Path) -> Path:
    """Create ``path`` (an --out directory) if needed; a one-line ``UserError`` if it cannot be written."""
    if path.exists() and not path.is_dir():
        raise UserError(f"--out {path} exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create output directory {path}: {error.strerror or error}") from error
    if not os.access(path, os.W_OK | os.X_OK):
        raise UserError(f"output directory {path} is not writable")
    return path


def whole_number_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``, else a one-line error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from error
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is too small: give {minimum} or more")
        return value

    return parse


positive_int = whole_number_at_least(2)  # --anomaly-window: a period and at least one before it


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from error
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} must be a positive number")
    return value


def add_anomaly_arguments(parser: argparse.ArgumentParser) -> None:
    """--anomaly-window / --anomaly-sigma: the rule that flags a metric's latest period as unusual."""
    from live_metrics.tree.anomaly import DEFAULT_SIGMA, DEFAULT_WINDOW

    group = parser.add_argument_group("anomalies")
    group.add_argument(
        "--anomaly-window",
        type=positive_int,
        default=DEFAULT_WINDOW,
        metavar="N",
        help=f"compare the latest period with the N periods before it (default {DEFAULT_WINDOW}); "
        "also the length of the sparklines",
    )
    group.add_argument(
        "--anomaly-sigma",
        type=positive_float,
        default=DEFAULT_SIGMA,
        metavar="K",
        help=f"flag values outside mean ± K standard deviations of those periods (default {DEFAULT_SIGMA:g})",
    )
