"""Readable, aligned plain-text tables (no third-party formatter)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

DEFAULT_WRAP = 100  # wider cells wrap onto continuation lines


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _looks_numeric(text: str) -> bool:
    stripped = text.strip().replace(",", "").replace("%", "").replace("$", "").lstrip("+-−")
    if not stripped:
        return False
    try:
        float(stripped)
    except ValueError:
        return False
    return True


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]], wrap: int = DEFAULT_WRAP) -> str:
    """Render ``rows`` under ``headers`` as an aligned text table.

    Columns whose cells all look numeric (or are empty, or ``—``) are right-aligned, others left-aligned.
    Cells longer than ``wrap`` characters continue on the following lines of the same column.
    """
    column_count = len(headers)
    text_rows = [[_cell_text(cell) for cell in row] for row in rows]
    for row in text_rows:
        if len(row) != column_count:
            raise ValueError(f"row has {len(row)} cells, expected {column_count}: {row!r}")
    numeric = [
        any(row[index] for row in text_rows)
        and all(_looks_numeric(row[index]) or row[index] in ("", "—") for row in text_rows)
        for index in range(column_count)
    ]
    wrapped_rows = [[textwrap.wrap(cell, wrap) or [""] for cell in row] for row in text_rows]
    widths = [len(header) for header in headers]
    for wrapped in wrapped_rows:
        for index, cell_lines in enumerate(wrapped):
            widths[index] = max(widths[index], *(len(line) for line in cell_lines))

    def render(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(widths[index]) if numeric[index] else cell.ljust(widths[index])
            for index, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    lines = [render(list(headers)), render(["-" * width for width in widths])]
    for wrapped in wrapped_rows:
        height = max(len(cell_lines) for cell_lines in wrapped)
        for line_index in range(height):
            lines.append(render([cell[line_index] if line_index < len(cell) else "" for cell in wrapped]))
    return "\n".join(lines)
