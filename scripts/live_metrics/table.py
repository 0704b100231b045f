"""Readable, aligned plain-text tables (no third-party formatter)."""

from __future__ import annotations

from collections.abc import Sequence

Cell = object


def _cell_text(value: Cell) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split()) if "\n" in str(value) else str(value)


def _looks_numeric(text: str) -> bool:
    stripped = text.strip().replace(",", "").replace("%", "").replace("$", "").lstrip("+-−")
    if not stripped:
        return False
    try:
        float(stripped)
    except ValueError:
        return False
    return True


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    max_width: int | None = None,
) -> str:
    """Render ``rows`` under ``headers`` as an aligned text table.

    Numeric-looking columns are right-aligned, everything else left-aligned. Cells longer than
    ``max_width`` characters are cut with an ellipsis so one long detail cannot wreck the layout.
    """
    text_rows = [[_cell_text(cell) for cell in row] for row in rows]
    if max_width is not None:
        text_rows = [[_truncate(cell, max_width) for cell in row] for row in text_rows]
    column_count = len(headers)
    for row in text_rows:
        if len(row) != column_count:
            raise ValueError(f"row has {len(row)} cells, expected {column_count}: {row!r}")
    widths = [len(header) for header in headers]
    for row in text_rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    numeric = [
        bool(text_rows) and all(_looks_numeric(row[index]) or not row[index] for row in text_rows)
        and any(row[index] for row in text_rows)
        for index in range(column_count)
    ]

    def render(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(widths[index]) if numeric[index] else cell.ljust(widths[index])
            for index, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    lines = [render(list(headers)), "  ".join("-" * width for width in widths)]
    lines.extend(render(row) for row in text_rows)
    return "\n".join(lines)


def _truncate(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + "…"
