"""The project's dbt profile (profiles.yml) as the commands read it: where it is, its targets, the
``{{ env_var() }}`` calls dbt allows in it, and where a DuckDB target's file is.

Shared by the MetricFlow session (mf_engine), the Spark client (spark_client) and the commands that only
need to know where the warehouse is (answers, options, the benchmark): none of them imports another for it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from live_metrics.errors import UserError

SPARK_ADAPTER_TYPE = "spark"  # dbt-spark's adapter type: MetricFlow runs there through spark_client
ACCESS_MODE_OPTION = "access_mode"  # DuckDB's open option, in the profile's config_options
ACCESS_MODE_ENV_VAR = "LIVE_DUCKDB_ACCESS_MODE"  # what profiles.yml reads it from (default read_only)
READ_WRITE = "read_write"


def profiles_dir_for(project_dir: Path) -> Path:
    """``DBT_PROFILES_DIR`` when set, else the project dir (where this repo keeps profiles.yml)."""
    env_value = os.environ.get("DBT_PROFILES_DIR")
    return Path(env_value).resolve() if env_value else project_dir


def render_env_vars(text: str) -> str:
    """Render the ``{{ env_var('NAME', 'default') }}`` calls dbt allows in profiles.yml."""
    pattern = re.compile(r"\{\{\s*env_var\(\s*['\"]([^'\"]+)['\"]\s*(?:,\s*['\"]([^'\"]*)['\"]\s*)?\)\s*\}\}")

    def replace(match: re.Match[str]) -> str:
        value = os.environ.get(match.group(1), match.group(2))
        if value is None:
            raise UserError(f"profiles.yml needs environment variable {match.group(1)}, which is not set")
        return value

    return pattern.sub(replace, text)


@dataclass(frozen=True)
class ProfileTarget:
    """One output of the project's dbt profile: its name (the dbt target) and its settings as written."""

    name: str
    output: dict[str, Any]

    @property
    def adapter_type(self) -> str:
        return str(self.output.get("type") or "")


@dataclass(frozen=True)
class _Profile:
    name: str
    default_target: str | None
    outputs: dict[str, Any]
    file: Path


def _read_profile(project_dir: Path, profiles_dir: Path) -> _Profile:
    """The project's profile in profiles.yml (one-line errors for a missing or unparsable file)."""
    import yaml  # installed with dbt

    profiles_file = profiles_dir / "profiles.yml"
    project_file = project_dir / "dbt_project.yml"
    if not profiles_file.exists():
        raise UserError(f"no profiles.yml in {profiles_dir}: set DBT_PROFILES_DIR to the repo root")
    if not project_file.exists():
        raise UserError(f"no dbt_project.yml in {project_dir}: pass --project-dir pointing at the dbt project")
    try:
        project = yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}
        profiles = yaml.safe_load(profiles_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise UserError(f"cannot parse dbt_project.yml/profiles.yml: {str(error).splitlines()[0]}") from error
    profile = profiles.get(project.get("profile")) if isinstance(profiles, dict) else None
    if not isinstance(profile, dict):
        raise UserError(f"profile '{project.get('profile')}' not found in {profiles_file}")
    outputs = profile.get("outputs")
    default = profile.get("target")
    return _Profile(
        name=str(project.get("profile")),
        default_target=str(default) if default is not None else None,
        outputs=outputs if isinstance(outputs, dict) else {},
        file=profiles_file,
    )


def load_profile_target(project_dir: Path, profiles_dir: Path, target: str | None = None) -> ProfileTarget:
    """The profile's output for ``target`` (default: ``DBT_TARGET``, else the profile's default target)."""
    profile = _read_profile(project_dir, profiles_dir)
    name = target or os.environ.get("DBT_TARGET") or profile.default_target
    known = ", ".join(str(key) for key in profile.outputs)
    if not name:
        raise UserError(f"profile '{profile.name}' in {profile.file} names no default target: pass --target")
    output = profile.outputs.get(name)
    if not isinstance(output, dict):
        raise UserError(
            f"profile '{profile.name}' in {profile.file} has no target '{name}'"
            + (f" (its targets: {known})" if known else "")
        )
    return ProfileTarget(name=str(name), output=output)


def find_profile_target(project_dir: Path, target: str | None = None) -> ProfileTarget | None:
    """``load_profile_target`` with the usual profiles dir, or None (no error) when the profile cannot tell."""
    try:
        return load_profile_target(project_dir, profiles_dir_for(project_dir), target)
    except (UserError, OSError):
        return None


def duckdb_path_of(target: ProfileTarget, project_dir: Path) -> Path | None:
    """The DuckDB file ``target`` points at (absolute), or None if it is not a DuckDB file target."""
    if target.adapter_type != "duckdb":
        return None
    raw_path = render_env_vars(str(target.output.get("path") or ":memory:")).strip()
    if raw_path == ":memory:" or raw_path.startswith("md:"):
        return None
    path = Path(raw_path)
    return path if path.is_absolute() else (project_dir / path)


def duckdb_path_from_profile(project_dir: Path, profiles_dir: Path) -> Path | None:
    """The DuckDB file the dbt profile points at (absolute), or None if it is not a DuckDB file profile."""
    profile = _read_profile(project_dir, profiles_dir)
    name = os.environ.get("DBT_TARGET") or profile.default_target
    output = profile.outputs.get(name) if name else None
    if not isinstance(output, dict):
        return None
    return duckdb_path_of(ProfileTarget(name=str(name), output=output), project_dir)
