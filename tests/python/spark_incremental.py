"""An incremental build on Spark over daily drops with late events, for the cross-engine tests.

    python tests/python/spark_incremental.py ROOT

Writes ROOT/raw_7 (the drops of days 1-7) and ROOT/raw_8 (days 1-8) from the generated days of
test_incremental.py, its stragglers planted (in drop 8: a late stream_started, a late leave, the end
of a stream across midnight, a copy of a day-7 event), and ROOT/planted.json; builds the landing and
the gate on Spark (LIVE_SPARK_HOME=ROOT/spark) from drops 1-7, then incrementally with drop 8; and
writes both tables to ROOT/parquet/staging/<table>/ (spark_tables.py) for DuckDB to compare.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(REPO_ROOT / "scripts")]

import test_incremental  # noqa: E402  (the generated days and their stragglers)

GATE_MODELS = ("base_live__raw_events", "base_live__events")


def write_drops(root: Path) -> dict[str, Path]:
    drops = test_incremental.Drops.generate(root / "generated")
    test_incremental.plant_stragglers(drops)
    planted = {kind: row["event_id"] for kind, row in drops.planted.items()}
    planted["late_stream_started_stream"] = drops.planted["late_stream_started"]["stream_id"]
    (root / "planted.json").write_text(json.dumps(planted, indent=2))
    return {day: drops.write(root / f"raw_{day}", int(day)) for day in ("7", "8")}


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
    for day in ("7", "8"):
        run(
            [dbt, "run", "--target", "spark", "--select", *GATE_MODELS, "--target-path", str(root / "target"),
             "--log-path", str(root / "logs")],
            {**env, "LIVE_RAW_DATA_PATH": str(raw[day])},
        )  # fmt: skip
    tables = [f"staging.{model}" for model in GATE_MODELS]
    run([sys.executable, str(HERE / "spark_tables.py"), str(root / "parquet"), *tables], env)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
