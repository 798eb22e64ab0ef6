"""The streaming XLSX writer, read back by an independent reader (openpyxl): types, values, escaping."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from aigym_analytics.rendering import Table, to_xlsx
from aigym_analytics.xlsx import MAX_CELL_CHARS, column_letter, sheet_name, write_xlsx

BERLIN = dt.timezone(dt.timedelta(hours=1))


def read_back(content: bytes) -> tuple[str, list[tuple[Any, ...]], list[list[str]]]:
    """Sheet title, cell values and openpyxl's data types, row by row."""
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    values = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    types = [[cell.data_type for cell in row] for row in sheet.iter_rows()]
    return sheet.title, values, types


def test_cells_are_typed_and_read_back_equal() -> None:
    columns = ["day", "time", "local", "learner", "count", "ratio", "amount", "done", "missing"]
    rows = [
        [
            dt.date(2026, 3, 1),
            dt.datetime(2026, 3, 1, 9, 30, 15),
            None,
            "l-1",
            42,
            0.125,
            Decimal("2.5"),
            True,
            None,
        ],
        [
            dt.date(1999, 12, 31),
            dt.datetime(2026, 10, 25, 23, 59, 59),
            None,
            "l-2",
            -7,
            1e-9,
            Decimal(3),
            False,
            None,
        ],
    ]
    rows[0][2] = dt.datetime(2026, 3, 1, 10, 0, tzinfo=BERLIN)  # aware: stored as UTC
    rows[1][2] = dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)
    title, values, types = read_back(write_xlsx("Overview", columns, rows))

    assert title == "Overview"
    assert values[0] == tuple(columns)
    assert values[1] == (
        dt.datetime(2026, 3, 1),  # openpyxl reads every date serial as a datetime
        dt.datetime(2026, 3, 1, 9, 30, 15),
        dt.datetime(2026, 3, 1, 9, 0),
        "l-1",
        42,
        0.125,
        2.5,
        True,
        None,
    )
    assert values[2] == (
        dt.datetime(1999, 12, 31),
        dt.datetime(2026, 10, 25, 23, 59, 59),
        dt.datetime(2026, 10, 25, 1, 30),
        "l-2",
        -7,
        1e-9,
        3,
        False,
        None,
    )
    assert types[1] == ["d", "d", "d", "s", "n", "n", "n", "b", "n"]


def test_date_formats_say_what_the_serial_means() -> None:
    content = write_xlsx(
        "T",
        ["d", "t", "u"],
        [[dt.date(2026, 1, 2), dt.datetime(2026, 1, 2, 3), dt.datetime(2026, 1, 2, tzinfo=dt.UTC)]],
    )
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert [c.number_format for c in sheet[2]] == [
        "yyyy-mm-dd",
        "yyyy-mm-dd hh:mm:ss",
        'yyyy-mm-dd hh:mm:ss "UTC"',
    ]
    assert sheet["A1"].font.b  # bold header
    assert sheet.freeze_panes == "A2"


def test_xml_special_and_control_characters_survive() -> None:
    texts = [
        "a < b && c > d",
        "quotes \" and ' apostrophes",
        "]]> and &amp; literally",
        "tab\there\nnew line",
        "carriage\r\nreturn",
        "  leading and trailing spaces  ",
        "unicode: Zürich, 東京, emoji 🎓",
        "nul\x00bell\x07vt\x0bff\x0cesc\x1b",
        "non-characters \ufffe\uffff and a lone surrogate \ud800",
    ]
    content = write_xlsx("Escapes", ["text"], [[t] for t in texts])
    _, values, types = read_back(content)

    read = [row[0] for row in values[1:]]
    assert read[:7] == texts[:7]  # legal XML text comes back as it was, \r included
    # Characters XML 1.0 cannot carry use SpreadsheetML's _xHHHH_ notation (which Excel decodes); openpyxl
    # returns the notation, and its own decoder restores the original text.
    assert read[7] == "nul_x0000_bell_x0007_vt_x000B_ff_x000C_esc_x001B_"
    assert [unescape(v) for v in read[7:]] == texts[7:]
    assert {t[0] for t in types[1:]} == {"s"}


def test_literal_escape_notation_in_data_is_protected() -> None:
    content = write_xlsx("T", ["text"], [["_x0041_ is not an A"], ["snake_x_case_"]])
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        shared = book.read("xl/sharedStrings.xml").decode()
    assert "_x005F_x0041_ is not an A" in shared  # the underscore escaped, as Excel writes it
    _, values, _ = read_back(content)
    assert [row[0] for row in values[1:]] == ["_x0041_ is not an A", "snake_x_case_"]


def test_every_part_is_well_formed_xml() -> None:
    content = write_xlsx("A & B <c>", ["x"], [["\x01<&>"], [1], [dt.date(2026, 1, 1)]])
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        assert book.testzip() is None
        names = book.namelist()
        for name in names:
            ElementTree.fromstring(book.read(name))  # noqa: S314 (our own output; raises if malformed)
    assert names[0] == "[Content_Types].xml"
    assert {"xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml"} <= set(
        names
    )


def test_numbers_a_workbook_cannot_hold_become_text() -> None:
    _, values, types = read_back(
        write_xlsx("T", ["n"], [[float("nan")], [float("inf")], [Decimal("-Infinity")]])
    )
    assert [row[0] for row in values[1:]] == ["nan", "inf", "-Infinity"]
    assert [t[0] for t in types[1:]] == ["s", "s", "s"]


def test_text_longer_than_a_cell_holds_is_cut_with_an_ellipsis() -> None:
    fits, too_long = "a" * MAX_CELL_CHARS, "b" * (MAX_CELL_CHARS + 10)
    _, values, _ = read_back(write_xlsx("T", ["text"], [[fits], [too_long]]))
    assert values[1][0] == fits
    assert values[2][0] == "b" * (MAX_CELL_CHARS - 1) + "\u2026"
    assert len(values[2][0]) == MAX_CELL_CHARS


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Activity export", "Activity export"),
        ("Q1/Q2 [draft]: what? *all*", "Q1_Q2 _draft__ what_ _all_"),
        ("'quoted'", "quoted"),
        ("", "Report"),
        ("x" * 40, "x" * 31),
        ("bell\x07", "bell_"),
    ],
)
def test_sheet_names_are_valid(title: str, expected: str) -> None:
    assert sheet_name(title) == expected
    sheet_title, _, _ = read_back(write_xlsx(title, ["a"], []))
    assert sheet_title == expected


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def test_report_table_renders_all_rows_with_a_header() -> None:
    rows = [
        [dt.datetime(2026, 11, 1, h, tzinfo=dt.UTC), f"learner-{h}", "block", None, None, "b", True, 50.0 + h]
        for h in range(24)
    ]
    columns = ["time", "learner_id", "kind", "course_id", "program_id", "block_id", "completed", "score"]
    _, values, _ = read_back(to_xlsx(Table("Activity", columns, rows)))
    assert values[0] == tuple(columns)
    assert len(values) == 25
    assert values[24] == (dt.datetime(2026, 11, 1, 23), "learner-23", "block", None, None, "b", True, 73.0)
