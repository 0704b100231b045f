"""The metric catalogue (``seeds/metric_catalogue.csv``): docs/contract/metrics.md as data, the contract to check
against."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from live_metrics.errors import UserError

COLUMNS = ("metric_name", "stakeholder", "tier", "parent", "direction", "threshold", "definition")


@dataclass(frozen=True)
class CatalogueEntry:
    metric_name: str
    stakeholder: str
    tier: str
    parent: str | None
    direction: str
    threshold: str | None  # the text as written: a number, "none", or None when empty
    definition: str


def load_catalogue(path: Path) -> tuple[CatalogueEntry, ...]:
    """Read the catalogue CSV; a missing file or wrong header is a ``UserError``."""
    if not path.exists():
        raise UserError(f"metric catalogue not found at {path} (expected seeds/metric_catalogue.csv)")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = tuple(reader.fieldnames or ())
            if header != COLUMNS:
                raise UserError(f"metric catalogue {path} has columns {','.join(header)}; expected {','.join(COLUMNS)}")
            entries: list[CatalogueEntry] = []
            for line_number, row in enumerate(reader, start=2):
                name = (row.get("metric_name") or "").strip()
                if not name:
                    raise UserError(f"metric catalogue {path} line {line_number}: empty metric_name")
                entries.append(
                    CatalogueEntry(
                        metric_name=name,
                        stakeholder=(row.get("stakeholder") or "").strip(),
                        tier=(row.get("tier") or "").strip(),
                        parent=(row.get("parent") or "").strip() or None,
                        direction=(row.get("direction") or "").strip(),
                        threshold=(row.get("threshold") or "").strip() or None,
                        definition=(row.get("definition") or "").strip(),
                    )
                )
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UserError(f"cannot read metric catalogue {path}: {error}") from error
    names = [entry.metric_name for entry in entries]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise UserError(f"metric catalogue {path} lists {', '.join(duplicates)} more than once")
    return tuple(entries)
