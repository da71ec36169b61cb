"""What every office import shares: reading a CSV/XLSX file into a dataset of known Russian columns, the
widgets of Russian cell values, the resource base with natural keys, and the runner that imports all
or nothing.

Guarantees of :func:`import_file`: a file that cannot be read (not CSV/XLSX, garbled, no header, a
required column missing, too big) raises ValidationError with a Russian message; otherwise every row is
checked and reported as new / update / unchanged / error with Russian messages naming the column; when
``dry_run`` is set or any row fails, nothing is written (one transaction rolled back). A real import
writes one ``office.audit.record`` line (action «import») with the counts.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from import_export import resources, widgets
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import RowResult

from accounts.models import User
from journal.models import AcademicYear, School

# The readers and the cell widgets of the КТП import (journal/plan.py) understand what Russian Excel and
# LibreOffice save (a BOM, Windows-1251, «;», date cells, «да/нет»): one implementation for both imports.
from journal.plan import RowCounts, _read_csv, _read_xlsx, detect_format  # noqa: F401 - detect_format re-exported

from ..audit import record

CSV, XLSX = "csv", "xlsx"
FORMATS = (CSV, XLSX)
MAX_BYTES = 5_000_000
MAX_ROWS = 5_000

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str:
    """A cell as trimmed text; a spreadsheet's whole number 12.0 reads as «12»."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def fold(value: Any) -> str:
    """The comparison form of a name: trimmed, single spaces, case-folded, «ё» as «е»."""
    return text(value).casefold().replace("ё", "е")


# --- widgets ------------------------------------------------------------------------------------------------


class TextWidget(widgets.Widget):
    """Trimmed text of at most ``max_length`` characters; required when ``required``. A value a spreadsheet
    would run as a formula is exported behind «'» (and read back without it)."""

    def __init__(self, max_length: int = 200, required: bool = False) -> None:
        super().__init__()
        self.max_length, self.required = max_length, required

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        result = text(value)
        if result.startswith("'") and result[1:2] and result[1] in _FORMULA_STARTS:
            result = result[1:]
        if self.required and not result:
            raise ValueError(_("The cell is empty; fill it in."))
        if len(result) > self.max_length:
            raise ValueError(_("Longer than %(max)d characters; shorten it.") % {"max": self.max_length})
        return result

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        result = "" if value is None else str(value)
        return "'" + result if result.startswith(_FORMULA_STARTS) else result


class DateWidget(widgets.Widget):
    """14.09.2026, 2026-09-14 or a date cell; empty is no date. Exported as 14.09.2026 (a date cell in XLSX)."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> dt.date | None:
        if blank(value):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"):
            try:
                return dt.datetime.strptime(text(value), fmt).date()
            except ValueError:
                continue
        raise ValueError(_("«%(value)s» is not a date: write it as 14.09.2026.") % {"value": text(value)})

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else f"{value:%d.%m.%Y}"


class NumberWidget(widgets.Widget):
    """A whole number from ``low`` to ``high``; empty is None (or an error when ``required``)."""

    def __init__(self, low: int, high: int, required: bool = False) -> None:
        super().__init__()
        self.low, self.high, self.required = low, high, required

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> int | None:
        if blank(value):
            if self.required:
                raise ValueError(_("The cell is empty; fill it in."))
            return None
        raw = text(value).removesuffix(".")
        if not (raw.isascii() and raw.isdigit()) or not self.low <= int(raw) <= self.high:
            raise ValueError(
                _("«%(value)s» is not a whole number from %(low)d to %(high)d.")
                % {"value": text(value), "low": self.low, "high": self.high}
            )
        return int(raw)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return "" if value is None else value


class ChoiceWidget(widgets.Widget):
    """One of ``choices`` (value → the Russian word exported), read case-insensitively; ``aliases`` are
    more spellings people type. Empty gives ``empty`` (or an error when that is None)."""

    def __init__(self, choices: dict[Any, str], aliases: dict[str, Any] | None = None, empty: Any = None) -> None:
        super().__init__()
        self.choices, self.empty = choices, empty
        self.lookup = {fold(word): value for value, word in choices.items()}
        self.lookup.update({fold(value): value for value in choices if isinstance(value, str)})
        self.lookup.update({fold(word): value for word, value in (aliases or {}).items()})

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        if blank(value):
            if self.empty is None:
                raise ValueError(
                    _("The cell is empty; write one of: %(words)s.") % {"words": ", ".join(self.choices.values())}
                )
            return self.empty
        found = self.lookup.get(fold(value).rstrip("."))
        if found is None:
            raise ValueError(
                _("«%(value)s» is not understood; write one of: %(words)s.")
                % {"value": text(value), "words": ", ".join(self.choices.values())}
            )
        return found

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return self.choices.get(value, "" if value is None else str(value))


class YesNoWidget(ChoiceWidget):
    def __init__(self) -> None:
        super().__init__(
            {True: "да", False: "нет"},
            aliases={"д": True, "+": True, "1": True, "x": True, "х": True, "н": False, "-": False, "0": False},
            empty=False,
        )


# --- the file ----------------------------------------------------------------------------------------------


def _header_key(value: Any) -> str:
    return fold(value).rstrip("*").strip()


def read_table(content: bytes, name: str, columns: list[str], required: list[str]) -> tuple[tablib.Dataset, list[int]]:
    """The file as a dataset with exactly the known columns it has (in ``columns`` spelling) and the file
    line of each row. Blank lines are skipped; ValidationError in Russian when it cannot be read."""
    if not content.strip():
        raise ValidationError(_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 5 MB; split it into parts."))
    lowered = name.lower()
    if lowered and not lowered.endswith((".csv", ".txt", ".xlsx", ".xls")):
        raise ValidationError(_("Upload a CSV or XLSX file (a table saved from Excel or LibreOffice)."))
    fmt = detect_format(name, content)
    if fmt == CSV and b"\x00" in content[:4096]:
        raise ValidationError(
            _("The file is not a readable CSV table. Save it from Excel or LibreOffice as CSV or XLSX.")
        )
    rows = _read_csv(content) if fmt == CSV else _read_xlsx(content)
    known = {_header_key(c): c for c in columns}
    header: list[str | None] | None = None
    data: list[tuple[int, list[Any]]] = []
    for line, values in rows:
        if all(blank(v) for v in values):
            continue
        if header is None:
            header = [known.get(_header_key(v)) for v in values]
            continue
        data.append((line, list(values)))
        if len(data) > MAX_ROWS:
            raise ValidationError(_("The file has more than %(max)d rows; split it into parts.") % {"max": MAX_ROWS})
    header = header or []
    missing = [c for c in required if c not in header]
    if missing:
        raise ValidationError(
            _(
                "The first row of the file must name the columns. Missing: "
                "%(missing)s. Download the template and compare."
            )
            % {"missing": ", ".join(f"«{c}»" for c in missing)}
        )
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        raise ValidationError(_("The column «%(column)s» appears twice in the first row.") % {"column": repeated[0]})
    if not data:
        raise ValidationError(_("The file has no rows under the header."))
    keep = [i for i, c in enumerate(header) if c]
    dataset = tablib.Dataset(headers=[header[i] for i in keep])
    for _line, values in data:
        values = values + [None] * (len(header) - len(values))
        dataset.append([values[i] for i in keep])
    return dataset, [line for line, _values in data]


def write_table(dataset: tablib.Dataset, fmt: str, title: str) -> bytes:
    """CSV in UTF-8 with a BOM and «;» (what Russian Excel opens), or XLSX."""
    if fmt == CSV:
        return ("\ufeff" + dataset.export("csv", delimiter=";")).encode("utf-8")
    dataset.title = title[:31]
    return dataset.export("xlsx")


# --- the resource base --------------------------------------------------------------------------------------


class _KeyLoader(BaseInstanceLoader):
    """Existing objects by natural key, loaded once for the whole file (no query per row)."""

    def __init__(self, resource: OfficeResource, dataset: tablib.Dataset | None = None) -> None:
        super().__init__(resource, dataset)
        resource.existing = resource.load_existing(dataset)

    def get_instance(self, row: dict[str, Any]) -> Model | None:
        try:
            key = self.resource.key_of(row)
        except (ValueError, ValidationError):
            return None
        return self.resource.existing.get(key) if key is not None else None


class OfficeResource(resources.ModelResource):
    """One shape of the office's imports, for one school and academic year.

    Subclasses declare their ``Field``s with Russian ``column_name``s and implement ``load_existing``
    (natural key → object, one query), ``key_of`` (a row's natural key or None for "always new"),
    ``plan_row`` (checks across columns and the related writes the row needs; errors go into a dict
    keyed by field name or column name), ``apply_row`` (those related writes, after the object is saved)
    and ``export_queryset``."""

    shape: ClassVar[str] = ""
    title: ClassVar[str] = ""
    required: ClassVar[tuple[str, ...]] = ()  # required column names
    clean_exclude: ClassVar[tuple[str, ...]] = ()  # fields full_clean must not check (FKs: no query per row)

    class Meta:
        skip_unchanged = True
        report_skipped = True
        skip_html_diff = True
        use_transactions = True
        instance_loader_class = _KeyLoader

    def __init__(self, *, actor: User | None, school: School, year: AcademicYear) -> None:
        super().__init__()
        self.actor, self.school, self.year = actor, school, year
        self.existing: dict[Any, Model] = {}
        self._seen: dict[Any, int] = {}
        self._plans: dict[int, Any] = {}
        self._row_number = 0
        self.lines: list[int] = []

    # subclass API
    def load_existing(self, dataset: tablib.Dataset | None) -> dict[Any, Model]:
        raise NotImplementedError

    def key_of(self, row: dict[str, Any]) -> Any:
        raise NotImplementedError

    def plan_row(self, instance: Model, row: dict[str, Any], errors: dict[str, list[str]]) -> Any:
        """Checks beyond single cells; returns what ``apply_row`` needs, or None when nothing more changes."""
        return None

    def apply_row(self, instance: Model, row: dict[str, Any], plan: Any) -> None:
        pass

    def export_queryset(self) -> QuerySet:
        raise NotImplementedError

    def label_of(self, row: dict[str, Any]) -> str:
        return " ".join(text(row.get(c)) for c in self.required if not blank(row.get(c)))

    # the machinery
    @classmethod
    def columns(cls) -> list[str]:
        """The file's columns in order: every field is declared and listed in ``Meta.fields``."""
        return [cls.fields[name].column_name for name in cls._meta.fields]  # type: ignore[attr-defined]

    def line(self, row_number: int) -> int:
        return self.lines[row_number - 1] if 0 < row_number <= len(self.lines) else row_number + 1

    def get_queryset(self) -> QuerySet:
        return self.export_queryset()

    def before_import_row(self, row: dict[str, Any], **kwargs: Any) -> None:
        self._row_number = kwargs.get("row_number", 0)
        try:
            key = self.key_of(row)
        except (ValueError, ValidationError):
            return  # the cell's own error is reported by import_instance
        if key is None:
            return
        line = self.line(self._row_number)
        first = self._seen.setdefault(key, line)
        if first != line:
            raise ValidationError(
                _("The same row is already on line %(line)d of the file; each must appear once.") % {"line": first}
            )

    def import_instance(self, instance: Model, row: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        plan = self.plan_row(instance, row, errors)
        self._plans[self._row_number] = plan
        if errors:
            raise ValidationError({name: messages for name, messages in errors.items() if messages})

    def skip_row(
        self, instance: Model, original: Model, row: dict[str, Any], import_validation_errors: Any = None
    ) -> bool:
        if self._plans.get(self._row_number) or original is None or original.pk is None:
            return False  # a new object is never "unchanged"
        return super().skip_row(instance, original, row, import_validation_errors)

    def validate_instance(
        self, instance: Model, import_validation_errors: Any = None, validate_unique: bool = True
    ) -> None:
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(
                exclude=[*errors, *self.clean_exclude], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def do_instance_save(self, instance: Model, is_create: bool) -> None:
        with transaction.atomic():  # a database error stays this row's error, not the transaction's end
            instance.save(force_insert=is_create)

    def after_save_instance(self, instance: Model, row: dict[str, Any], **kwargs: Any) -> None:
        plan = self._plans.get(self._row_number)
        if plan:
            self.apply_row(instance, row, plan)  # the services it calls are atomic themselves

    def after_import(self, dataset: tablib.Dataset, result: Any, **kwargs: Any) -> None:
        """No sequence reset (the parent's loaddata habit): our rows never carry ids."""

    def column_of(self, name: str) -> str:
        field_ = self.fields.get(name)
        return field_.column_name if field_ is not None else name


# --- the runner ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    line: int
    label: str
    kind: str  # "new", "update", "unchanged" or "error"
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportResult(RowCounts):
    shape: str
    rows: list[Row]
    errors: list[str] = field(default_factory=list)  # not tied to a row
    written: bool = False

    @property
    def error_rows(self) -> list[Row]:
        return [row for row in self.rows if row.kind == "error"]


_KINDS = {
    RowResult.IMPORT_TYPE_NEW: "new",
    RowResult.IMPORT_TYPE_UPDATE: "update",
    RowResult.IMPORT_TYPE_SKIP: "unchanged",
}


def _messages(resource: OfficeResource, row_result: RowResult) -> list[str]:
    if row_result.validation_error is not None:
        error = row_result.validation_error
        pairs = error.message_dict.items() if hasattr(error, "error_dict") else [(NON_FIELD_ERRORS, error.messages)]
        return [
            message if name == NON_FIELD_ERRORS else f"{resource.column_of(name)}: {message}"
            for name, messages in pairs
            for message in messages
        ]
    return [_("The row could not be saved (%(error)s).") % {"error": e.error} for e in row_result.errors]


def import_file(
    *,
    actor: User | None,
    school: School,
    year: AcademicYear,
    resource_class: type[OfficeResource],
    content: bytes,
    name: str,
    dry_run: bool,
) -> ImportResult:
    """Check (``dry_run``) or import one file of ``resource_class``'s shape into ``school`` and ``year``:
    all rows or none (see the module's docstring)."""
    if year.school_id != school.pk:
        raise ValidationError(_("The academic year belongs to another school."))
    if year.is_closed:
        raise ValidationError(
            _("The academic year %(year)s is closed; nothing can be imported into it.") % {"year": year}
        )
    resource = resource_class(actor=actor, school=school, year=year)
    dataset, lines = read_table(content, name, resource_class.columns(), list(resource_class.required))
    resource.lines = lines
    with transaction.atomic():
        # One import of a school's year at a time: a second one waits for this one's end.
        AcademicYear.objects.select_for_update().filter(pk=year.pk).first()
        result = resource.import_data(
            dataset, dry_run=dry_run, raise_errors=False, use_transactions=True, rollback_on_validation_errors=True
        )
        rows = []
        for index, row_result in enumerate(result.rows):
            values = dict(zip(dataset.headers, dataset[index], strict=True))
            kind = _KINDS.get(row_result.import_type, "error")
            rows.append(
                Row(
                    line=lines[index],
                    label=resource.label_of(values),
                    kind=kind,
                    errors=_messages(resource, row_result) if kind == "error" else [],
                )
            )
        summary = ImportResult(
            shape=resource_class.shape,
            rows=rows,
            errors=[_("The file could not be imported (%(error)s).") % {"error": e.error} for e in result.base_errors],
        )
        if summary.has_errors or dry_run:
            transaction.set_rollback(True)
        else:
            counts = {k: summary.count(k) for k in ("new", "update", "unchanged")}
            record(
                actor=actor,
                school=school,
                action="import",
                object_type=resource_class.shape,
                summary=_(
                    "Import «%(shape)s» from %(file)s (%(year)s): %(new)d new, "
                    "%(update)d updated, %(unchanged)d unchanged"
                )
                % {"shape": resource_class.title, "file": name or "—", "year": year.name, **counts},
                data={"shape": resource_class.shape, "file": name, "year": year.pk, **counts},
            )
            summary.written = True
    return summary


def export_file(*, school: School, year: AcademicYear, resource_class: type[OfficeResource], fmt: str) -> bytes:
    """The shape's rows of ``school`` and ``year`` as a file that :func:`import_file` reads back unchanged."""
    if fmt not in FORMATS:
        raise ValidationError(_("Choose CSV or XLSX."))
    resource = resource_class(actor=None, school=school, year=year)
    dataset = resource.export(queryset=resource.export_queryset(), force_native_type=fmt == XLSX)
    return write_table(dataset, fmt, resource_class.title)


def template_file(*, resource_class: type[OfficeResource], fmt: str) -> bytes:
    """An empty table with the shape's header row."""
    if fmt not in FORMATS:
        raise ValidationError(_("Choose CSV or XLSX."))
    return write_table(tablib.Dataset(headers=resource_class.columns()), fmt, resource_class.title)


_PHONE = re.compile(r"\D+")


def phone_digits(value: str) -> str:
    digits = _PHONE.sub("", value)
    return "7" + digits[1:] if len(digits) == 11 and digits[0] == "8" else digits
