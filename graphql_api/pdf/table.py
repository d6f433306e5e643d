"""A plain table: a heading row repeated on every page, wrapped cells, rules between rows.

fpdf2's own `table()` lays out every cell with `multi_cell`, which costs about 10 ms a row;
this one measures and draws with `BrandedPdf.wrap` and `draw_text` at a fraction of that.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from graphql_api.pdf.canvas import BrandedPdf

FONT_SIZE = 8
LINE_HEIGHT = 3.8
PADDING = 1.3
HEADING_HEIGHT = LINE_HEIGHT + 2 * PADDING
TITLE_HEIGHT = 7


@dataclass(frozen=True)
class Column:
    """A column: its heading, its width in mm, and "L" or "R" alignment."""

    heading: str
    width: float
    align: str = "L"


def draw_table(
    pdf: BrandedPdf,
    columns: Sequence[Column],
    rows: Iterable[Sequence[str]],
    *,
    title: str | None = None,
) -> None:
    """Draw `rows` (one string per column; newlines allowed) from the current position,
    under `title` if given; a page break repeats the title, marked as continued, and the
    heading row."""
    first = True
    for row in rows:
        pdf.style(FONT_SIZE)
        cells = [pdf.wrap(value, column.width - 2 * PADDING) for value, column in zip(row, columns)]
        height = max(len(lines) for lines in cells) * LINE_HEIGHT + 2 * PADDING
        if first:
            pdf.keep_together(TITLE_HEIGHT * (title is not None) + HEADING_HEIGHT + height)
            _heading_rows(pdf, columns, title)
        elif pdf.will_page_break(height):
            pdf.add_page()
            _heading_rows(pdf, columns, title and f"{title} (continued)")
        pdf.style(FONT_SIZE)
        _draw_row(pdf, columns, cells, height)
        first = False
    if first:
        _heading_rows(pdf, columns, title)


def _heading_rows(pdf: BrandedPdf, columns: Sequence[Column], title: str | None) -> None:
    if title is not None:
        pdf.heading(title)
    pdf.style(FONT_SIZE, bold=True, color=pdf.accent)
    _draw_row(pdf, columns, [[column.heading] for column in columns], HEADING_HEIGHT)


def _draw_row(
    pdf: BrandedPdf, columns: Sequence[Column], cells: Sequence[Sequence[str]], height: float
) -> None:
    top = pdf.get_y()
    x = pdf.l_margin
    for lines, column in zip(cells, columns):
        for index, line in enumerate(lines):
            y = top + PADDING + index * LINE_HEIGHT
            pdf.draw_text(
                x + PADDING, y, column.width - 2 * PADDING, LINE_HEIGHT, line, column.align
            )
        x += column.width
    pdf.line(pdf.l_margin, top + height, x, top + height)
    pdf.set_xy(pdf.l_margin, top + height)
