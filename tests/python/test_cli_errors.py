"""The CLI on bad input: exit non-zero with ONE `error:` line on stderr and no traceback; and the
`check --no-warehouse` exit codes (0 good, 1 broken)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import HANG_GUARD_SECONDS, PROJECT_ENV_VARS, launch_clean
from conftest import LAUNCHER as RUN_CLI
from live_metrics.tree.rules import RULE_NAMES

FIXTURES = Path(__file__).parent / "fixtures"
GOOD_MANIFEST = FIXTURES / "manifest_good.json"
GOOD_CATALOGUE = FIXTURES / "catalogue_good.csv"


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real launcher with an environment free of the caller's project settings."""
    return launch_clean(*args, env=env, cwd=cwd)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def write_manifest(tmp_path: Path, mutate: Any = None) -> Path:
    document = json.loads(GOOD_MANIFEST.read_text(encoding="utf-8"))
    if mutate is not None:
        mutate(document)
    path = tmp_path / "semantic_manifest.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def live_viewers(document: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in document["metrics"] if m["name"] == "live_viewers")


# --- check --no-warehouse exit codes -------------------------------------------------------------------


def test_check_no_warehouse_passes_on_the_good_fixture() -> None:
    result = run_cli("check", "--no-warehouse", "--manifest", str(GOOD_MANIFEST), "--catalogue", str(GOOD_CATALOGUE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    header, rule_line = result.stdout.splitlines()[:2]
    assert header.split() == ["rule", "status", "detail"] and set(rule_line.replace(" ", "")) == {"-"}
    assert all(" PASS " in line for line in result.stdout.splitlines()[2:10])
    assert f"check passed: {len(RULE_NAMES)} PASS, 0 FAIL, 0 WARN" in result.stdout


def test_check_no_warehouse_fails_on_a_broken_tree(tmp_path: Path) -> None:
    def break_it(document: dict[str, Any]) -> None:
        live_viewers(document)["config"]["meta"]["parent"] = "nowhere"

    manifest = write_manifest(tmp_path, break_it)
    result = run_cli("check", "--no-warehouse", "--manifest", str(manifest), "--catalogue", str(GOOD_CATALOGUE))
    assert result.returncode == 1
    assert "every parent exists" in result.stdout and "'nowhere' is not a metric" in result.stdout


def test_check_json_output(tmp_path: Path) -> None:
    result = run_cli(
        "check", "--no-warehouse", "--json", "--manifest", str(GOOD_MANIFEST), "--catalogue", str(GOOD_CATALOGUE)
    )
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert document["ok"] is True and len(document["results"]) == len(RULE_NAMES)


def test_missing_meta_keys_are_a_rule_failure_for_check(tmp_path: Path) -> None:
    def strip_meta(document: dict[str, Any]) -> None:
        live_viewers(document)["config"] = {"meta": {}}

    manifest = write_manifest(tmp_path, strip_meta)
    result = run_cli("check", "--no-warehouse", "--manifest", str(manifest), "--catalogue", str(GOOD_CATALOGUE))
    assert result.returncode == 1
    assert "live_viewers: no stakeholder, no tier, no direction, no owner" in result.stdout


# --- manifest problems ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["check", "--no-warehouse"], ["export", "--no-values"], ["scorecard"], ["materialize"]]
)
def test_missing_manifest(tmp_path: Path, command: list[str]) -> None:
    result = run_cli(
        *command, "--manifest", str(tmp_path / "target" / "semantic_manifest.json"), "--project-dir", str(tmp_path)
    )
    assert_one_line_error(result, "semantic manifest not found", "make build", "dbt parse")


def test_missing_manifest_by_default_points_at_target(tmp_path: Path) -> None:
    result = run_cli("check", "--no-warehouse", "--project-dir", str(tmp_path), "--catalogue", str(GOOD_CATALOGUE))
    assert_one_line_error(result, str(tmp_path / "target" / "semantic_manifest.json"), "make build")


@pytest.mark.parametrize("text", ['{"metrics": [', "not json at all", ""])
def test_malformed_json_manifest(tmp_path: Path, text: str) -> None:
    manifest = tmp_path / "semantic_manifest.json"
    manifest.write_text(text, encoding="utf-8")
    result = run_cli("check", "--no-warehouse", "--manifest", str(manifest), "--catalogue", str(GOOD_CATALOGUE))
    assert_one_line_error(result, "not valid JSON", "line 1")


def test_manifest_that_is_not_a_semantic_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "semantic_manifest.json"
    manifest.write_text('{"nodes": {}}', encoding="utf-8")
    result = run_cli("export", "--no-values", "--manifest", str(manifest), "--out", str(tmp_path / "out"))
    assert_one_line_error(result, "no `metrics` list")


@pytest.mark.parametrize("command", [["check", "--no-warehouse"], ["export", "--no-values"], ["scorecard"]])
def test_malformed_meta_names_the_metric(tmp_path: Path, command: list[str]) -> None:
    def malform(document: dict[str, Any]) -> None:
        live_viewers(document)["config"]["meta"] = "stakeholder: viewers"

    manifest = write_manifest(tmp_path, malform)
    catalogue = ["--catalogue", str(GOOD_CATALOGUE)] if command[0] != "scorecard" else []
    result = run_cli(*command, "--manifest", str(manifest), *catalogue)
    assert_one_line_error(result, "metric 'live_viewers'", "malformed config.meta")


@pytest.mark.parametrize("command", [["export", "--no-values"], ["scorecard"]])
def test_missing_meta_names_the_metric(tmp_path: Path, command: list[str]) -> None:
    def strip(document: dict[str, Any]) -> None:
        del live_viewers(document)["config"]["meta"]["tier"]

    manifest = write_manifest(tmp_path, strip)
    extra = ["--out", str(tmp_path / "out")] if command[0] == "export" else []
    result = run_cli(*command, *extra, "--manifest", str(manifest))
    assert_one_line_error(result, "metric 'live_viewers'", "no tier")


def test_missing_catalogue(tmp_path: Path) -> None:
    result = run_cli(
        "check", "--no-warehouse", "--manifest", str(GOOD_MANIFEST), "--catalogue", str(tmp_path / "x.csv")
    )
    assert_one_line_error(result, "metric catalogue not found")


# --- no traceback whatever the manifest holds -------------------------------------------------------

ODD_VALUES: list[Any] = [None, 7, "text", [], {}, [1, "a"], {"name": 3}]


def test_odd_json_values_give_a_result_or_a_user_error() -> None:
    """Replace each field of some metrics (and of the top level) with values of other JSON types: loading,
    building the tree, the rules and every exporter either work or raise UserError, never anything else."""
    from live_metrics.engine.manifest import parse_manifest
    from live_metrics.errors import UserError
    from live_metrics.render.exporters import build_document, render_html, render_markdown, render_mermaid
    from live_metrics.tree.catalogue import load_catalogue
    from live_metrics.tree.rules import require_valid_tags, run_rules
    from live_metrics.tree.tree import build_tree

    catalogue = load_catalogue(GOOD_CATALOGUE)
    good = json.loads(GOOD_MANIFEST.read_text(encoding="utf-8"))

    def exercise(document: Any) -> None:
        try:
            tree = build_tree(parse_manifest(document, Path("odd.json")))
            run_rules(tree, catalogue)
            data = build_document(tree)
            render_mermaid(data), render_markdown(data), render_html(data)
            require_valid_tags(tree)
        except UserError as error:
            assert "\n" not in str(error)

    targets: list[tuple[dict[str, Any], str]] = [(good, key) for key in list(good)]
    for metric_document in good["metrics"][:6]:
        targets += [(metric_document, key) for key in list(metric_document)]
        targets += [(metric_document["type_params"], key) for key in list(metric_document["type_params"])]
        targets += [(metric_document["config"]["meta"], key) for key in list(metric_document["config"]["meta"])]
    for container, key in targets:
        original = container[key]
        for value in ODD_VALUES:
            container[key] = value
            exercise(json.loads(json.dumps(good)))
        container[key] = original
    exercise(good)


# --- unknown names -------------------------------------------------------------------------------------


def test_export_unknown_metric(tmp_path: Path) -> None:
    result = run_cli(
        "export",
        "--no-values",
        "--manifest",
        str(GOOD_MANIFEST),
        "--out",
        str(tmp_path),
        "--metrics",
        "live_viewers,live_viewer",
    )
    assert_one_line_error(result, "unknown metric 'live_viewer'", "--metrics", "did you mean 'live_viewers'")
    assert not list(tmp_path.iterdir())


def test_scorecard_unknown_metric() -> None:
    result = run_cli("scorecard", "--manifest", str(GOOD_MANIFEST), "--metric", "foo")
    assert_one_line_error(result, "unknown metric 'foo'", "--metric")


def test_materialize_unknown_saved_query() -> None:
    result = run_cli("materialize", "--manifest", str(GOOD_MANIFEST), "--saved-query", "platform_dayly")
    assert_one_line_error(
        result, "unknown saved query 'platform_dayly'", "did you mean 'platform_daily'", "saved queries"
    )


@pytest.mark.parametrize(
    "command", [["export", "--no-values", "--manifest", str(GOOD_MANIFEST)], ["generate", "--days", "1"]]
)
def test_unwritable_out_directory(tmp_path: Path, command: list[str]) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory", encoding="utf-8")
    result = run_cli(*command, "--out", str(blocker / "out"))
    assert_one_line_error(result, "cannot create output directory", str(blocker / "out"))


def test_export_subset_without_values(tmp_path: Path) -> None:
    result = run_cli(
        "export",
        "--no-values",
        "--manifest",
        str(GOOD_MANIFEST),
        "--out",
        str(tmp_path),
        "--metrics",
        "rebuffer_ms_total",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "metric_tree.json").read_text(encoding="utf-8"))
    assert {n["name"] for n in data["nodes"]} == {
        "rebuffer_ms_total",
        "rebuffer_ratio",
        "watch_minutes_per_viewer",
        "live_watch_minutes",
    }


def test_bad_grain_is_an_argparse_error() -> None:
    result = run_cli("export", "--grain", "year", "--manifest", str(GOOD_MANIFEST))
    assert result.returncode == 2 and "invalid choice" in result.stderr and "Traceback" not in result.stderr


def test_export_unknown_format(tmp_path: Path) -> None:
    result = run_cli(
        "export", "--no-values", "--manifest", str(GOOD_MANIFEST), "--out", str(tmp_path), "--format", "svg"
    )
    assert_one_line_error(result, "unknown format 'svg'", "--format")
    assert not list(tmp_path.iterdir())


def test_export_some_formats(tmp_path: Path) -> None:
    result = run_cli(
        "export", "--no-values", "--manifest", str(GOOD_MANIFEST), "--out", str(tmp_path), "--format", "json,html"
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metric_tree.html", "metric_tree.json"]


# --- a reader that stops early (`live-metrics scorecard | head -3`) -------------------------------------

# A subcommand that prints far more than a pipe holds, so its writes (not just the final flush) hit the
# closed pipe; run through the real cli.main.
NOISY_CLI = f"""
import sys
sys.path.insert(0, {str(RUN_CLI.parent)!r})
from live_metrics import cli


class Noisy:
    @staticmethod
    def register(subparsers):
        parser = subparsers.add_parser("noisy")
        parser.set_defaults(func=lambda args: sum(print(f"line {{i}}") is None for i in range(200_000)) and 0)


cli.SUBCOMMAND_MODULES = (*cli.SUBCOMMAND_MODULES, Noisy)
raise SystemExit(cli.main(sys.argv[1:]))
"""


def run_into_closed_pipe(command: list[str], buffered: bool) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with stdout a pipe whose reading end is already closed: every write fails (EPIPE).
    Buffered, small outputs meet the closed pipe only when stdout is flushed at the end; unbuffered
    (PYTHONUNBUFFERED=1), at the first print."""
    env = {key: value for key, value in os.environ.items() if key not in (*PROJECT_ENV_VARS, "PYTHONUNBUFFERED")}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            command,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=HANG_GUARD_SECONDS,
            env=env,
            check=False,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize(
    "args",
    [
        ["check", "--no-warehouse", "--manifest", str(GOOD_MANIFEST), "--catalogue", str(GOOD_CATALOGUE)],
        ["export", "--help"],  # argparse prints, then exits
        ["noisy"],  # far more than a pipe holds
    ],
    ids=["check", "help", "noisy"],
)
def test_a_closed_pipe_ends_the_cli_quietly(args: list[str], buffered: bool) -> None:
    launcher = [sys.executable, "-c", NOISY_CLI] if args == ["noisy"] else [sys.executable, str(RUN_CLI)]
    result = run_into_closed_pipe([*launcher, *args], buffered)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_full_disk_at_the_final_flush_is_one_error_line() -> None:
    env = {key: value for key, value in os.environ.items() if key not in (*PROJECT_ENV_VARS, "PYTHONUNBUFFERED")}
    args = ["check", "--no-warehouse", "--manifest", str(GOOD_MANIFEST), "--catalogue", str(GOOD_CATALOGUE)]
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, str(RUN_CLI), *args], stdout=full, stderr=subprocess.PIPE, text=True, env=env, check=False
        )
    assert_one_line_error(result, "No space left on device")
    assert result.returncode == 2


def test_a_reader_that_stops_after_three_lines() -> None:
    """Like `| head -3`: the reader takes three lines and closes; the writer stops without a word."""
    with subprocess.Popen(
        [sys.executable, "-c", NOISY_CLI, "noisy"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        head = [process.stdout.readline() for _ in range(3)]
        process.stdout.close()
        stderr = process.stderr.read()
        returncode = process.wait(timeout=HANG_GUARD_SECONDS)
    assert head == ["line 0\n", "line 1\n", "line 2\n"]
    assert (returncode, stderr) == (0, "")


# --- the warehouse -------------------------------------------------------------------------------------


def make_project(tmp_path: Path, database: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "dbt_project.yml").write_text(
        'name: toy\nversion: "1.0.0"\nconfig-version: 2\nprofile: toy\n', encoding="utf-8"
    )
    (project / "profiles.yml").write_text(
        "toy:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: \"{{{{ env_var('TOY_DUCKDB_PATH', '{database}') }}}}\"\n",
        encoding="utf-8",
    )
    return project


def test_missing_warehouse_file(tmp_path: Path) -> None:
    project = make_project(tmp_path, tmp_path / "absent.duckdb")
    result = run_cli("scorecard", "--project-dir", str(project), "--manifest", str(GOOD_MANIFEST))
    assert_one_line_error(result, "does not exist", "make run")
    assert not (tmp_path / "absent.duckdb").exists()


def test_manifest_parsed_for_another_duckdb_file(tmp_path: Path) -> None:
    import duckdb

    database = tmp_path / "other.duckdb"
    duckdb.connect(str(database)).close()
    project = make_project(tmp_path, database)
    result = run_cli(
        "export", "--out", str(tmp_path / "out"), "--project-dir", str(project), "--manifest", str(GOOD_MANIFEST)
    )
    assert_one_line_error(result, "parsed for DuckDB database 'live'", "database 'other'", "dbt parse")


HOLD_LOCK = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("create table if not exists t as select 1 as x")
print("locked", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize(
    "command",
    [["scorecard"], ["materialize"], ["export", "--out", "OUT"], ["check", "--catalogue", str(GOOD_CATALOGUE)]],
)
def test_locked_duckdb_file(tmp_path: Path, command: list[str]) -> None:
    database = tmp_path / "locked.duckdb"
    project = make_project(tmp_path, database)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(database)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        args = [str(tmp_path / "out") if part == "OUT" else part for part in command]
        result = run_cli(*args, "--project-dir", str(project), "--manifest", str(GOOD_MANIFEST))
        line = assert_one_line_error(result, str(database), "locked by another process")
        assert f"PID {holder.pid}" in line
        assert holder.poll() is None  # answered while the lock was still held: it did not wait for the lock
    finally:
        holder.kill()
        holder.wait(timeout=HANG_GUARD_SECONDS)


def test_every_subcommand_explains_itself() -> None:
    """`--help` of the tool and of every subcommand renders (a stray % in a help text broke one)."""
    import argparse

    from live_metrics.cli import build_parser

    parser = build_parser()
    actions = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    subcommands = actions[0].choices
    assert {"build", "daily", "export", "generate", "bench"} <= set(subcommands)
    assert "usage:" in parser.format_help()
    for name, subparser in subcommands.items():
        text = subparser.format_help()
        assert text.startswith("usage:") and len(text.splitlines()) > 3, name
