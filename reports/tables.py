"""The one shape every report returns (issue 5): a document of titled tables, plain JSON-able data, so a
run's result is stored as it is in ``ReportRun.result`` and the same data is rendered as a page, exported
as XLSX / CSV, printed as PDF and asserted in tests.

A report computation is a function ``(school, params, progress) -> Document``; ``progress(percent)``
may be called as it goes. Cells are ``str | int | float | None`` (and a number a rounded ``float``);
a row may carry ``drill``: the key of another table of the same document that holds the rows behind
it (e.g. the students below the accumulation norm of one teacher × group).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Cell = str | int | float | None


@dataclass
class Row:
    cells: list[Cell]
    drill: str = ""  # key of the table with the rows behind this one ("" — none)
    emphasis: str = ""  # "" | "total" | "warn" — how the page shows the row
    ref: dict[str, int] = field(default_factory=dict)  # ids the row is about ({"teacher": …, "group": …})


@dataclass
class Table:
    key: str  # unique in the document: "teachers", "below_norm:12:34", …
    title: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    note: str = ""  # how the numbers are counted, in Russian, shown under the table
    detail: bool = False  # a drill-down table: shown on its own page, not on the report's page
    # A bar chart of one column by another: {"label": column index, "value": column index, "title": str,
    # "max": 100 for percentages}; rows with emphasis "total" are left out.
    chart: dict[str, Any] = field(default_factory=dict)


@dataclass
class Document:
    title: str
    subtitle: str = ""
    tables: list[Table] = field(default_factory=list)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Document:
        tables = [Table(**{**t, "rows": [Row(**r) for r in t.get("rows", [])]}) for t in data.get("tables", [])]
        return cls(title=data["title"], subtitle=data.get("subtitle", ""), tables=tables)


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in %, one decimal; None when there is nothing to count."""
    return round(100 * part / whole, 1) if whole else None
