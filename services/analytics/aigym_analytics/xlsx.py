"""A streaming XLSX writer: one sheet of typed cells written straight into the zip, no object per cell.

An .xlsx file is a zip of a few XML parts (SpreadsheetML, ECMA-376). openpyxl's write-only mode spends
about 0.3 ms per row building and serialising objects; this writer formats each row as a string and
streams it into the deflated sheet part, so a 100,000-row report takes a second or two.

Cell types: `bool` -> boolean; `int`/`float`/`Decimal` -> number (NaN and infinities, which a workbook
cannot hold, become text); `datetime.date` -> a date serial with a `yyyy-mm-dd` format; naive
`datetime` -> a serial with `yyyy-mm-dd hh:mm:ss`; an aware `datetime` is converted to UTC first and its
format says `UTC` (a workbook has no time zones); `None` -> no cell; anything else -> text in the shared
strings table. Text is XML-escaped; characters XML 1.0 cannot carry (C0 controls other than tab and line
feed, U+FFFE/U+FFFF, lone surrogates) use SpreadsheetML's `_xHHHH_` notation, a literal `_xHHHH_` in the
data is protected by escaping its underscore (`_x005F_`), and carriage returns are character references
(an XML parser would otherwise turn them into line feeds). A cell holds at most 32,767 characters (the
spreadsheet applications' limit: a longer one makes them "repair" the file and drop it); longer text is cut
to 32,766 characters and an ellipsis.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

__all__ = ["MAX_CELL_CHARS", "column_letter", "sheet_name", "write_xlsx"]

MAX_CELL_CHARS = 32_767
_EPOCH = dt.date(1899, 12, 30)  # serial 0 of the 1900 date system (serials past 1900-02-28 are exact)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})

# Cell styles (indexes into cellXfs below).
_STYLE_DATE = 1
_STYLE_DATETIME = 2
_STYLE_DATETIME_UTC = 3
_STYLE_HEADER = 4

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" '
    'Target="docProps/app.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    '<Relationship Id="rId3" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/>'
    '<numFmt numFmtId="166" formatCode="yyyy-mm-dd hh:mm:ss &quot;UTC&quot;"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>AI Gym analytics</Application></Properties>"
)


def column_letter(index: int) -> str:
    """The column name of a zero-based column index (0 -> A, 25 -> Z, 26 -> AA)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def sheet_name(title: str) -> str:
    """A valid sheet name for a title: no `[]:*?/\\`, no leading/trailing apostrophe, 1-31 characters."""
    name = _BAD_SHEET_CHARS.sub("_", _NOT_XML.sub("_", title))[:31].strip("'").strip()
    return name or "Report"


def _escape_match(match: re.Match[str]) -> str:
    return f"_x{ord(match.group(0)):04X}_"


def _text(value: str) -> str:
    """Escaped element text in SpreadsheetML's string notation."""
    if _NOT_XML.search(value):
        value = _NOT_XML.sub(_escape_match, value)
    return value.translate(_ESCAPES)


def _serial(value: dt.date) -> str:
    """The 1900-system serial of a date or naive datetime (days since 1899-12-30, time as a fraction)."""
    if isinstance(value, dt.datetime):
        days = (value.date() - _EPOCH).days
        seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
        return repr(days + seconds / 86400) if seconds else str(days)
    return str((value - _EPOCH).days)


class _Strings:
    """The shared strings table: each distinct text once, cells refer to it by index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.count = 0

    def ref(self, value: str) -> int:
        self.count += 1
        if len(value) > MAX_CELL_CHARS:
            value = value[: MAX_CELL_CHARS - 1] + "\u2026"
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.index)
        return found

    def xml(self) -> Iterable[str]:
        yield (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{self.count}" uniqueCount="{len(self.index)}">'
        )
        for value in self.index:  # dicts keep insertion order: the order of the indexes
            space = ' xml:space="preserve"' if value != value.strip() or "\n" in value else ""
            yield f"<si><t{space}>{_text(value)}</t></si>"
        yield "</sst>"


def _number(value: Any) -> str | None:
    """The `<v>` text of a finite number, None for NaN and infinities (not storable in a workbook)."""
    if isinstance(value, float):
        return repr(float(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else None
    return str(int(value))


def _cell(ref: str, value: Any, strings: _Strings, style: int = 0) -> str:
    """One `<c>` element (empty string for None)."""
    if value is None:
        return ""
    styled = f' s="{style}"' if style else ""
    if type(value) is str:  # the common case first
        return f'<c r="{ref}"{styled} t="s"><v>{strings.ref(value)}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{styled} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        number = _number(value)
        if number is not None:
            return f'<c r="{ref}"{styled}><v>{number}</v></c>'
    elif isinstance(value, dt.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            utc = value.astimezone(dt.UTC).replace(tzinfo=None)
            return f'<c r="{ref}" s="{_STYLE_DATETIME_UTC}"><v>{_serial(utc)}</v></c>'
        return f'<c r="{ref}" s="{_STYLE_DATETIME}"><v>{_serial(value.replace(tzinfo=None))}</v></c>'
    elif isinstance(value, dt.date):
        return f'<c r="{ref}" s="{_STYLE_DATE}"><v>{_serial(value)}</v></c>'
    return f'<c r="{ref}"{styled} t="s"><v>{strings.ref(str(value))}</v></c>'


def _sheet(columns: Sequence[str], rows: Iterable[Sequence[Any]], strings: _Strings) -> Iterable[str]:
    """The worksheet XML in chunks: header row (bold, frozen) then one `<row>` per row."""
    width = max(len(columns), 1)
    letters = [column_letter(i) for i in range(width)]
    yield (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
        'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/><sheetData>'
    )
    header = "".join(_cell(f"{letters[i]}1", name, strings, _STYLE_HEADER) for i, name in enumerate(columns))
    yield f'<row r="1">{header}</row>'
    chunk: list[str] = []
    number = 1
    for row in rows:
        number += 1
        if len(row) > len(letters):
            letters.extend(column_letter(i) for i in range(len(letters), len(row)))
        cells = "".join([_cell(f"{letters[i]}{number}", v, strings) for i, v in enumerate(row)])
        chunk.append(f'<row r="{number}">{cells}</row>')
        if len(chunk) == 1000:
            yield "".join(chunk)
            chunk.clear()
    if chunk:
        yield "".join(chunk)
    yield "</sheetData></worksheet>"


def _workbook(name: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{_text(name).replace(chr(34), "&quot;")}" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )


def _core(created: dt.datetime) -> str:
    stamp = created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        "<cp:coreProperties "
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:creator>AI Gym</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        "</cp:coreProperties>"
    )


def write_xlsx(
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    created: dt.datetime | None = None,
) -> bytes:
    """A one-sheet workbook (named after `title`, header row bold and frozen) with typed cells."""
    out = io.BytesIO()
    strings = _Strings()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("docProps/app.xml", _APP)
        book.writestr("docProps/core.xml", _core(created or dt.datetime.now(dt.UTC)))
        book.writestr("xl/workbook.xml", _workbook(sheet_name(title)))
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/styles.xml", _STYLES)
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            for part in _sheet(columns, rows, strings):
                sheet.write(part.encode("utf-8"))
        with book.open("xl/sharedStrings.xml", "w") as table:
            for part in strings.xml():
                table.write(part.encode("utf-8"))
    return out.getvalue()
