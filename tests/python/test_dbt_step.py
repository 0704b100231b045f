"""The one line a person sees when dbt fails: the words of the first node that failed, not of one after it.

dbt's JSON events are fed to the step as dbt prints them (names, levels and fields as dbt 1.11 writes them).
"""

from __future__ import annotations

import json

from live_metrics.ops.dbt_step import DbtReport, take_event

RAW_MODEL = "base_live__raw_events"
CAUSE = (
    "raw_live_events: the drop received_date=2026-09-27 (raw/received_date=2026-09-27/part-0.csv.gz) is new but "
    "older than 2026-09-29, the newest drop already loaded: drops load in the order they were received."
)


def event(name: str, level: str, msg: str, node: str | None = None, **data: object) -> str:
    if node is not None:
        data["node_info"] = {"node_name": node, "unique_id": f"model.live_streaming.{node}"}
    return json.dumps({"info": {"name": name, "level": level, "msg": msg}, "data": data}) + "\n"


def model_result(index: int, node: str, status: str) -> str:
    level = "error" if status == "error" else "info"
    word = "ERROR creating" if status == "error" else "OK created"
    return event(
        "LogModelResult",
        level,
        f"{index} of 362 {word} sql table model staging.{node} [{status}]",
        node,
        index=index,
        total=362,
        status=status,
    )


def cause_error() -> list[str]:
    path = f"models/staging/live_raw/base/{RAW_MODEL}.sql"
    return [
        event("RunResultFailure", "error", f"Failure in model {RAW_MODEL} ({path})", RAW_MODEL),
        event(
            "RunResultError",
            "error",
            f"  Compilation Error in model {RAW_MODEL} ({path})\n  {CAUSE}\n  \n  > in macro live_landing_plan "
            "(macros/raw_files.sql)\n  > called by model base_live__raw_events",
            RAW_MODEL,
        ),
    ]


def fold(lines: list[str]) -> DbtReport:
    report = DbtReport()
    for line in lines:
        take_event(line, report)
    return report


def test_a_neighbour_failing_after_the_cause_does_not_hide_it() -> None:
    echo = "Connection Error: Connection already closed!"
    lines = [
        event("LogStartLine", "info", f"1 of 362 START {RAW_MODEL}", RAW_MODEL),
        event("LogStartLine", "info", "3 of 362 START stg_live__coin_prices", "stg_live__coin_prices"),
        model_result(1, RAW_MODEL, "error"),
        event("LogCancelLine", "error", "CANCEL query model.live_streaming.stg_live__coin_prices [CANCEL]"),
        event(
            "GenericExceptionOnRun",
            "error",
            f"Unhandled error while executing target/run/stg_live__coin_prices.sql\n{echo}",
            "stg_live__coin_prices",
        ),
        model_result(3, "stg_live__coin_prices", "error"),
        *cause_error(),
        event("StatsLine", "info", "Done. PASS=1 WARN=0 ERROR=2 SKIP=359 NO-OP=0 TOTAL=362"),
    ]
    report = fold(lines)
    assert report.first_failed == RAW_MODEL
    assert report.error == CAUSE
    assert [node for node, _ in report.errors] == ["stg_live__coin_prices", RAW_MODEL]
    assert report.errors[0][1].endswith(echo)  # it was heard, only not chosen
    assert report.done == 2 and report.total == 362


def test_a_failing_test_is_named_before_its_words() -> None:
    lines = [
        event(
            "LogTestResult",
            "error",
            "7 of 362 FAIL 3 not_null_fct_live_streams_stream_id [FAIL 3]",
            "not_null_fct_live_streams_stream_id",
            index=7,
            total=362,
            status="fail",
        ),
        event(
            "RunResultFailure",
            "error",
            "Failure in test not_null_fct_live_streams_stream_id (models/x.yml)",
            "not_null_fct_live_streams_stream_id",
        ),
        event(
            "RunResultError",
            "error",
            "  Got 3 results, configured to fail if != 0",
            "not_null_fct_live_streams_stream_id",
        ),
    ]
    assert fold(lines).error == "test not_null_fct_live_streams_stream_id: Got 3 results, configured to fail if != 0"


def test_an_error_before_any_node_is_said_as_it_is() -> None:
    lines = [
        event("MainReportVersion", "info", "Running with dbt=1.11.16"),
        event("MainEncounteredError", "error", "Encountered an error:\nParsing Error\n  at path ['models']: bad yaml"),
    ]
    report = fold(lines)
    assert report.first_failed == "" and report.error == "at path ['models']: bad yaml"


def test_no_error_is_no_line() -> None:
    report = fold([event("StatsLine", "info", "Done. PASS=3 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=3")])
    assert report.error == "" and report.summary.startswith("Done. PASS=3")
