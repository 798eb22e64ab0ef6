"""Report files and charts: a table (with an optional chart) rendered as CSV, XLSX, PDF or PNG."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aigym_analytics.reports import ReportFormat
from aigym_analytics.xlsx import write_xlsx

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib is imported where used: importing it costs a second of CPU, which every
# worker and server process would otherwise pay at start-up for a feature most of them never call.
# `Figure` is used directly (never pyplot), so no GUI backend is ever selected.

MEDIA_TYPES = {
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.PDF: "application/pdf",
}
PDF_TABLE_ROWS = 40  # rows per PDF page; the full data is in CSV/XLSX


@dataclass(frozen=True)
class Chart:
    """A chart of some columns of the table: `line` (x = first column) or `bar` (labels, one series)."""

    kind: str
    x: str
    series: tuple[str, ...]
    title: str = ""


@dataclass
class Table:
    """A report's data: a title, named columns, rows and an optional chart."""

    title: str
    columns: list[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    chart: Chart | None = None
    subtitle: str = ""


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def to_csv(table: Table) -> bytes:
    """UTF-8 CSV with a header row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue().encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """A workbook with one sheet (header row bold and frozen), typed cells (aigym_analytics.xlsx)."""
    return write_xlsx(table.title, table.columns, table.rows)


def _draw(figure: Figure, table: Table, chart: Chart) -> None:
    axes = figure.add_subplot(1, 1, 1)
    index = table.columns.index(chart.x)
    labels = [str(_cell(row[index])) for row in table.rows]
    for name in chart.series:
        col = table.columns.index(name)
        values = [float(row[col] or 0) for row in table.rows]
        if chart.kind == "bar":
            axes.barh(labels[::-1], values[::-1], label=name)
        else:
            axes.plot(range(len(values)), values, marker="o", markersize=2, label=name)
    if chart.kind != "bar" and labels:
        step = max(1, len(labels) // 8)
        axes.set_xticks(range(0, len(labels), step), labels[::step], rotation=30, ha="right", fontsize=7)
    axes.set_title(chart.title or table.title)
    axes.legend(fontsize=7)
    axes.grid(alpha=0.3)
    figure.tight_layout()


def to_png(table: Table, chart: Chart) -> bytes:
    """The chart as a PNG image."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5), dpi=100)
    _draw(figure, table, chart)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def to_pdf(table: Table) -> bytes:
    """A PDF: the chart (if any) on the first page, then the table in pages of PDF_TABLE_ROWS rows."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    out = io.BytesIO()
    with PdfPages(out) as pdf:
        first = Figure(figsize=(11.69, 8.27))
        first.suptitle(f"{table.title}\n{table.subtitle}", fontsize=12)
        if table.chart and table.rows:
            _draw(first, table, table.chart)
        elif not table.rows:
            first.text(0.5, 0.5, "No data for this period.", ha="center")
        pdf.savefig(first)
        for start in range(0, min(len(table.rows), PDF_TABLE_ROWS * 25), PDF_TABLE_ROWS):
            page = Figure(figsize=(11.69, 8.27))
            axes = page.add_subplot(1, 1, 1)
            axes.axis("off")
            chunk = [[str(_cell(v)) for v in row] for row in table.rows[start : start + PDF_TABLE_ROWS]]
            grid = axes.table(cellText=chunk, colLabels=table.columns, loc="upper center", fontsize=6)
            grid.auto_set_font_size(False)
            grid.set_fontsize(6)
            pdf.savefig(page)
    return out.getvalue()


def render(table: Table, fmt: ReportFormat) -> bytes:
    """The table in the requested format."""
    if fmt is ReportFormat.CSV:
        return to_csv(table)
    if fmt is ReportFormat.XLSX:
        return to_xlsx(table)
    return to_pdf(table)
