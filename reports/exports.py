"""A report's document as files (issue 5, point 5): XLSX (one sheet per table), CSV (one table; UTF-8
with a BOM and «;», so Russian Excel opens it) and PDF for the summary sheets (WeasyPrint, DejaVu Sans)."""

from __future__ import annotations

import csv
import io
import re

from django.template.loader import render_to_string

from .tables import Document, Table


def _safe(cell):  # noqa: ANN001, ANN202
    """A text cell is never a formula in a spreadsheet."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@"):
        return "'" + cell
    return cell


def to_xlsx(document: Document) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in document.tables:
        name = re.sub(r"[\[\]:*?/\\]", " ", table.title)[:28] or "Лист"
        base, n = name, 2
        while name in used:
            name, n = f"{base[:25]} {n}", n + 1
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append(table.columns)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_safe(c) for c in row.cells])
        if table.note:
            sheet.append([])
            sheet.append([table.note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if c is None else _safe(c) for c in row.cells])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_pdf(document: Document, school_name: str) -> bytes:
    from weasyprint import HTML

    tables = [t for t in document.tables if not t.detail]
    html = render_to_string("reports/print.html", {"document": document, "tables": tables, "school": school_name})
    return HTML(string=html).write_pdf()
