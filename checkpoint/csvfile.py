"""CSV files people open in Excel: the BOM it needs for UTF-8, and cells it never runs as formulas."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

# Without it Excel reads UTF-8 as the Windows code page and garbles the accents.
BOM = "\ufeff"
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value) -> str:
    """A value as a spreadsheet will show it, never as a formula it would run."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[list]) -> str:
    """The whole file as text, BOM first; the rows are written as given."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return BOM + buffer.getvalue()
