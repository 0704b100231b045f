"""The suite's one Spark run: an incremental build over daily drops with late events, for the cross-engine tests.

    python tests/python/spark_incremental.py ROOT

Writes ROOT/raw_7 (the drops of days 1-7) and ROOT/raw_8 (days 1-8) from the generated days of
background/story_incremental.py, its stragglers planted (in drop 8: a late stream_started, a late leave, the end
of a stream across midnight, a copy of a day-7 event), and ROOT/planted.json; damages one record of
drop 7 (a .csv.gz: too many fields) and one of drop 8 (written as a plain CSV: bare quotes), each after
a record spanning two lines, so that the quarantine's line and text are compared too. Then, on Spark
(LIVE_SPARK_HOME=ROOT/spark):

1. the landing (with its per-file record, base_live__raw_files) and the gate from drops 1-7;
2. `dbt build` of the whole project with drop 8: the landing and the gate incrementally, every other model
   (on Spark the models after the gate are tables, built whole from the incremental gate), the seeds, every
   data test and every unit test (ROOT/target/run_results.json);
3. `live-metrics materialize --target spark` (ROOT/materialized.json, its --json summary);
4. the three, every mart and every metrics table to ROOT/parquet/<schema>/<table>/ (spark_tables.py), for
   DuckDB to compare with the same drops built there.

One run serves every Spark test of test_spark_engine.py: a build of the project on Spark costs minutes of
JVM and query planning, and this one covers what a build of the demo did (every node, every mart, every
metric) plus the incremental path.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(REPO_ROOT / "scripts")]

from background import story_incremental as test_incremental  # noqa: E402  (the generated days and stragglers)

MODELS = ("base_live__raw_events", "base_live__raw_files", "base_live__events")
# damaged records: too many fields (in drop 7, a .csv.gz) and bare quotes in a quoted field (drop 8, plain CSV)
TOO_MANY_FIELDS = (
    b'"hx_extra","like_sent","{day}T20:00:00.000Z","{day}T20:00:01.000Z","u_000001","s_00001",'
    b'"{""count"": 1}","ios","1.0","US","extra"\n'
)
BARE_QUOTES = (
    b'"hx_quote","comment_posted","{day}T20:00:00.000Z","{day}T20:00:01.000Z","u_000001","s_00001",'
    b'"{""comment_id"": """hx_c"q"", ""text"": ""he said hi ok""}","ios","1.0","US"\n'
)


def with_damaged_record(content: bytes, record: bytes) -> bytes:
    """The CSV text with ``record`` inserted after its first record spanning two lines (else after the header)."""
    ends, inside = [], False
    for offset, byte in enumerate(content):
        if byte == ord('"'):
            inside = not inside
        elif byte == ord("\n") and not inside:
            ends.append(offset + 1)
    spanning = [end for start, end in pairwise(ends) if content[start:end].count(b"\n") > 1]
    at = spanning[0] if spanning else ends[0]
    return content[:at] + record + content[at:]


def damage(raw: Path, day: int) -> None:
    """Drop 7 (a .csv.gz) gets a record with too many fields; drop 8 becomes a plain CSV with bare quotes."""
    folder = raw / "raw_live_events" / f"received_date={test_incremental.DAY[day].isoformat()}"
    text = gzip.decompress((folder / "part-0.csv.gz").read_bytes())
    if day == 7:
        damaged = with_damaged_record(text, TOO_MANY_FIELDS.replace(b"{day}", str(test_incremental.DAY[7]).encode()))
        (folder / "part-0.csv.gz").write_bytes(gzip.compress(damaged, mtime=0))
    else:
        damaged = with_damaged_record(text, BARE_QUOTES.replace(b"{day}", str(test_incremental.DAY[8]).encode()))
        (folder / "part-0.csv.gz").unlink()
        (folder / "part-0.csv").write_bytes(damaged)


def write_drops(root: Path) -> dict[str, Path]:
    drops = test_incremental.Drops.generate(root / "generated")
    test_incremental.plant_stragglers(drops)
    planted = {kind: row["event_id"] for kind, row in drops.planted.items()}
    planted["late_stream_started_stream"] = drops.planted["late_stream_started"]["stream_id"]
    (root / "planted.json").write_text(json.dumps(planted, indent=2))
    raw = {day: drops.write(root / f"raw_{day}", int(day)) for day in ("7", "8")}
    damage(raw["7"], 7)
    damage(raw["8"], 7)  # the same bytes as raw_7's drop 7: landed already, only touched
    damage(raw["8"], 8)
    return raw


def run(command: list[str], env: dict[str, str]) -> None:
    print("$", " ".join(command), flush=True)
    completed = subprocess.run(command, cwd=REPO_ROOT, env=env, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"failed (exit {completed.returncode}): {' '.join(command)}")


def main(argv: list[str]) -> int:
    root = Path(argv[0]).resolve()
    root.mkdir(parents=True, exist_ok=True)
    raw = write_drops(root)
    dbt = str(Path(sys.executable).parent / "dbt")
    env = {**os.environ, "LIVE_SPARK_HOME": str(root / "spark"), "TZ": "UTC"}
    paths = ["--target-path", str(root / "target"), "--log-path", str(root / "logs")]
    run([dbt, "run", "--target", "spark", "--select", *MODELS, *paths], {**env, "LIVE_RAW_DATA_PATH": str(raw["7"])})
    # drop 8: the landing and the gate incrementally, then every other node of the project
    run([dbt, "build", "--target", "spark", *paths], {**env, "LIVE_RAW_DATA_PATH": str(raw["8"])})
    launcher = [sys.executable, str(REPO_ROOT / "scripts" / "live-metrics")]
    manifest = str(root / "target" / "semantic_manifest.json")
    materialize = [*launcher, "materialize", "--target", "spark", "--manifest", manifest, "--json"]
    print("$", " ".join(materialize), flush=True)
    materialized = subprocess.run(materialize, cwd=REPO_ROOT, env=env, check=False, capture_output=True, text=True)
    if materialized.returncode != 0:
        raise SystemExit(f"failed (exit {materialized.returncode}): {materialized.stderr[-2000:]}")
    (root / "materialized.json").write_text(materialized.stdout)
    tables = [f"staging.{model}" for model in MODELS] + ["marts", "metrics"]
    run([sys.executable, str(HERE / "spark_tables.py"), str(root / "parquet"), *tables], env)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
