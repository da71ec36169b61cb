"""The calendar-thematic plan (КТП) of a teaching group (R10): its writes, and its import and export.

Only the group's main teacher keeps the plan (``Action.PERIOD_MARKS``: never a substitute, never a reader);
every write runs in one transaction under the group's row lock, the same lock the journal history takes
for the group (grading/history.py), so two tabs of one teacher cannot interleave renumberings.

Ordinals are unique per group (``plan_item_unique_ordinal``, not deferrable), so a reorder never writes
a final ordinal over one that is still taken: :func:`_reassign` first lifts the moving rows above
``_TEMP_OFFSET`` and then sets their final numbers.

Import (CSV or XLSX, through django-import-export): rows are matched **by ordinal within the group** —
an existing number is updated, a new number creates an item, items missing from the file stay as they
are, and no other group is ever touched. All or nothing: when any row fails, nothing is written and the
result lists every row's error; a dry run previews the same result. Plan items have no history kind in
``grading.models.EventObject``, so these writes leave no ``JournalEvent``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

import tablib
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from import_export import resources, widgets
from import_export.fields import Field
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import RowResult

from accounts.permissions import Action, groups_for

from .models import Lesson, PlanItem, TeachingGroup

MAX_ORDINAL = 1000  # a year of 10 lessons a week is ~340
MAX_HOURS = 100
MAX_IMPORT_ROWS = 1000
MAX_IMPORT_BYTES = 1_000_000
_TEMP_OFFSET = 1_000_000  # above any real ordinal: the parking place while renumbering

CSV, XLSX = "csv", "xlsx"
FORMATS = (CSV, XLSX)

# Column names of the file, in the order they are exported (README.md, "КТП").
COL_ORDINAL, COL_TOPIC, COL_HOURS, COL_DATE, COL_CONTROL = "№", "Тема", "Часы", "Дата", "Контрольная"
COLUMNS = (COL_ORDINAL, COL_TOPIC, COL_HOURS, COL_DATE, COL_CONTROL)
REQUIRED_COLUMNS = (COL_ORDINAL, COL_TOPIC)
# Header spellings people actually type (compared case-insensitively, spaces trimmed).
_HEADER_ALIASES = {
    COL_ORDINAL: {"№", "no", "n", "номер", "№ п/п", "№ урока", "ordinal"},
    COL_TOPIC: {"тема", "тема урока", "topic"},
    COL_HOURS: {"часы", "часов", "кол-во часов", "количество часов", "hours"},
    COL_DATE: {"дата", "дата по плану", "планируемая дата", "planned_date", "date"},
    COL_CONTROL: {"контрольная", "контрольная работа", "к/р", "is_control_work", "control"},
}
_FIELD_COLUMNS = {
    "ordinal": COL_ORDINAL,
    "topic": COL_TOPIC,
    "hours": COL_HOURS,
    "planned_date": COL_DATE,
    "is_control_work": COL_CONTROL,
}
_TRUE_WORDS = {"да", "д", "+", "1", "true", "yes", "y", "истина", "x", "х", "✓", "к/р"}
_FALSE_WORDS = {"", "нет", "н", "-", "—", "0", "false", "no", "n", "ложь"}


# --- checks shared by the forms' services and the import ---------------------------------------------


def _check_editor(actor: Any, group: TeachingGroup) -> None:  # actor: accounts.User or None (a script)
    if actor is not None and not groups_for(actor, Action.PERIOD_MARKS).filter(pk=group.pk).exists():
        raise PermissionDenied(_("Only the teacher of the group keeps its plan."))


def _item_errors(
    group: TeachingGroup, *, topic: str, hours: int | None, planned_date: dt.date | None
) -> dict[str, list[str]]:
    """Field → Russian messages for one item's values (empty when they are fine)."""
    errors: dict[str, list[str]] = {}
    if not topic.strip():
        errors["topic"] = [_("The topic is empty: write what the lesson is about.")]
    elif len(topic.strip()) > 500:
        errors["topic"] = [_("The topic is longer than 500 characters; shorten it.")]
    if hours is None or not 1 <= hours <= MAX_HOURS:
        errors["hours"] = [_("Hours must be a whole number from 1 to %(max)d.") % {"max": MAX_HOURS}]
    year = group.year
    if planned_date is not None and not year.contains(planned_date):
        errors["planned_date"] = [
            _("The date %(date)s is outside the academic year %(year)s (%(start)s–%(end)s).")
            % {
                "date": f"{planned_date:%d.%m.%Y}",
                "year": year,
                "start": f"{year.start:%d.%m.%Y}",
                "end": f"{year.end:%d.%m.%Y}",
            }
        ]
    return errors


def _check_ordinal(ordinal: int | None) -> None:
    if ordinal is not None and not 1 <= ordinal <= MAX_ORDINAL:
        raise ValidationError(_("The number must be from 1 to %(max)d.") % {"max": MAX_ORDINAL})


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError([message for messages in errors.values() for message in messages])


def _lock(group: TeachingGroup) -> None:
    TeachingGroup.objects.select_for_update().only("pk").get(pk=group.pk)


def _reassign(group: TeachingGroup, changes: dict[int, int]) -> None:
    """Give items (pk → new ordinal) their new numbers without ever clashing on the unique constraint:
    lift them out of the way, then set the final numbers. The caller holds the group lock and
    guarantees that the final numbers are free or being vacated."""
    if not changes:
        return
    items = list(PlanItem.objects.filter(group=group, pk__in=changes))
    for item in items:
        item.ordinal += _TEMP_OFFSET
    PlanItem.objects.bulk_update(items, ["ordinal"])
    for item in items:
        item.ordinal = changes[item.pk]
    PlanItem.objects.bulk_update(items, ["ordinal"])


def _ordered(group: TeachingGroup) -> list[PlanItem]:
    return list(PlanItem.objects.filter(group=group).order_by("ordinal"))


# --- the page's writes -------------------------------------------------------------------------------


@transaction.atomic
def plan_item_add(
    *,
    actor: Any,
    group: TeachingGroup,
    topic: str,
    hours: int = 1,
    planned_date: dt.date | None = None,
    is_control_work: bool = False,
    ordinal: int | None = None,
) -> PlanItem:
    """Add an item to the group's plan: at the end (``ordinal`` empty), or at ``ordinal`` with the items
    from that number on moved one down. Refuses (ValidationError in Russian) an empty topic, hours out
    of 1..MAX_HOURS and a date outside the group's academic year; PermissionDenied for anybody but the
    group's teacher."""
    _check_editor(actor, group)
    _raise(_item_errors(group, topic=topic, hours=hours, planned_date=planned_date))
    _check_ordinal(ordinal)
    _lock(group)
    last = PlanItem.objects.filter(group=group).aggregate(last=Max("ordinal"))["last"] or 0
    if ordinal is None:
        ordinal = last + 1
    if max(ordinal, last + 1) > MAX_ORDINAL:
        raise ValidationError(_("The plan cannot have more than %(max)d items.") % {"max": MAX_ORDINAL})
    if ordinal <= last:
        later = PlanItem.objects.filter(group=group, ordinal__gte=ordinal).values_list("pk", "ordinal")
        _reassign(group, {pk: n + 1 for pk, n in later})
    return PlanItem.objects.create(
        group=group,
        ordinal=ordinal,
        topic=topic.strip(),
        hours=hours,
        planned_date=planned_date,
        is_control_work=is_control_work,
    )


@transaction.atomic
def plan_item_update(
    *,
    actor: Any,
    item: PlanItem,
    topic: str,
    hours: int,
    planned_date: dt.date | None,
    is_control_work: bool,
) -> PlanItem:
    """Change an item's topic, hours, date and control-work flag (its number changes through
    :func:`plan_item_move`). Lessons that used the item keep it; their own recorded topic is not
    rewritten — the journal keeps what was entered on the lesson."""
    group = item.group
    _check_editor(actor, group)
    _raise(_item_errors(group, topic=topic, hours=hours, planned_date=planned_date))
    _lock(group)
    item.topic, item.hours, item.planned_date, item.is_control_work = (
        topic.strip(),
        hours,
        planned_date,
        is_control_work,
    )
    item.save(update_fields=["topic", "hours", "planned_date", "is_control_work"])
    return item


@transaction.atomic
def plan_item_delete(*, actor: Any, item: PlanItem) -> None:
    """Delete an item no lesson uses, and close the gap (the items after it move one up).

    Refuses an item that a lesson records as its topic, naming the lesson's date: deleting it would
    silently unlink the lesson from the plan."""
    group = item.group
    _check_editor(actor, group)
    _lock(group)
    # A lesson being linked to the item right now holds a key lock on it until it commits, and then
    # wants the group lock we hold for its history event: waiting here would deadlock, so don't wait.
    try:
        with transaction.atomic():
            locked = PlanItem.objects.select_for_update(nowait=True).filter(pk=item.pk, group=group).first()
    except DatabaseError as exc:
        raise ValidationError(_("A lesson is being saved with this topic right now; try again in a moment.")) from exc
    if locked is None:
        return
    dates = list(Lesson.objects.filter(plan_item=locked).order_by("date", "number").values_list("date", flat=True)[:4])
    if dates:
        shown = ", ".join(f"{d:%d.%m.%Y}" for d in dates[:3]) + ("…" if len(dates) > 3 else "")
        raise ValidationError(
            _(
                "Item %(ordinal)d is already the topic of a lesson (%(dates)s). Choose another topic for "
                "that lesson first, or change the item instead of deleting it."
            )
            % {"ordinal": locked.ordinal, "dates": shown}
        )
    ordinal = locked.ordinal
    locked.delete()
    later = PlanItem.objects.filter(group=group, ordinal__gt=ordinal).values_list("pk", "ordinal")
    _reassign(group, {pk: n - 1 for pk, n in later})


@transaction.atomic
def plan_item_move(*, actor: Any, item: PlanItem, direction: str) -> PlanItem:
    """Swap the item with its neighbour above (``"up"``) or below (``"down"``). At the top or the
    bottom nothing changes."""
    if direction not in ("up", "down"):
        raise ValidationError(_("Move an item up or down."))
    group = item.group
    _check_editor(actor, group)
    _lock(group)
    item = PlanItem.objects.get(pk=item.pk)
    neighbours = PlanItem.objects.filter(group=group)
    if direction == "up":
        other = neighbours.filter(ordinal__lt=item.ordinal).order_by("-ordinal").first()
    else:
        other = neighbours.filter(ordinal__gt=item.ordinal).order_by("ordinal").first()
    if other is None:
        return item
    _reassign(group, {item.pk: other.ordinal, other.pk: item.ordinal})
    item.ordinal = other.ordinal
    return item


@transaction.atomic
def plan_renumber(*, actor: Any, group: TeachingGroup) -> int:
    """Number the group's items 1, 2, 3… in their present order (closes gaps left by an import).
    Returns how many items got a new number."""
    _check_editor(actor, group)
    _lock(group)
    changes = {item.pk: n for n, item in enumerate(_ordered(group), start=1) if item.ordinal != n}
    _reassign(group, changes)
    return len(changes)


# --- import and export (django-import-export) ------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _whole_number(value: Any) -> int | None:
    """A whole number from a cell: 3, 3.0 (a spreadsheet's number), "3" or "3." (a numbered list)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip().removesuffix(".")
    return int(text) if text.isascii() and text.isdigit() else None


class OrdinalWidget(widgets.Widget):
    """The item's number, 1..MAX_ORDINAL; required."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> int:
        if _blank(value):
            raise ValueError(_("The number of the item is empty."))
        number = _whole_number(value)
        if number is None or not 1 <= number <= MAX_ORDINAL:
            raise ValueError(
                _("«%(value)s» is not a number of an item: write a whole number from 1 to %(max)d.")
                % {"value": value, "max": MAX_ORDINAL}
            )
        return number

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return value


class HoursWidget(widgets.Widget):
    """Hours for the item; an empty cell means 1 (the field's default)."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> int | None:
        if _blank(value):
            return None
        number = _whole_number(value)
        if number is None or not 1 <= number <= MAX_HOURS:
            raise ValueError(
                _("«%(value)s» is not a number of hours: write a whole number from 1 to %(max)d.")
                % {"value": value, "max": MAX_HOURS}
            )
        return number

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return value


class TopicWidget(widgets.CharWidget):
    """Text, trimmed. A topic that a spreadsheet would run as a formula is exported behind «'» (and
    read back without it), so opening an export never runs anything."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = "" if value is None else str(value).strip()
        if text.startswith("'") and text[1:2] and text[1] in _FORMULA_STARTS:
            text = text[1:]
        return text

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        text = value or ""
        return "'" + text if text.startswith(_FORMULA_STARTS) else text


class RussianDateWidget(widgets.Widget):
    """14.09.2026 (also 4.9.2026), 2026-09-14, or a spreadsheet's date cell; empty means no date.
    Exported as 14.09.2026 (a real date cell in XLSX)."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> dt.date | None:
        if _blank(value):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise ValueError(_("«%(value)s» is not a date: write it as 14.09.2026 or 2026-09-14.") % {"value": value})

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else f"{value:%d.%m.%Y}"


class YesNoWidget(widgets.Widget):
    """да / нет (also 1 / 0, + / -, empty = нет)."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            value = _whole_number(value)
        word = "" if value is None else str(value).strip().casefold()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        raise ValueError(
            _("«%(value)s» is not understood: write «да» or «нет» (or leave it empty).") % {"value": value}
        )

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "да" if value else "нет"


class _GroupPlanLoader(BaseInstanceLoader):
    """The group's items by ordinal, loaded once (one query for the whole file)."""

    def __init__(self, resource: PlanItemResource, dataset: tablib.Dataset | None = None) -> None:
        super().__init__(resource, dataset)
        self.by_ordinal = {item.ordinal: item for item in resource.get_queryset()}

    def get_instance(self, row: dict[str, Any]) -> PlanItem | None:
        try:
            return self.by_ordinal.get(self.resource.fields["ordinal"].clean(row))
        except ValueError:
            return None  # a bad number: the row is refused by import_instance


class PlanItemResource(resources.ModelResource):
    """The КТП of ONE group as a table: №, Тема, Часы, Дата, Контрольная. Rows are matched by № within
    the group; every new row belongs to the group. Checks each row like the page's form does."""

    ordinal = Field(attribute="ordinal", column_name=COL_ORDINAL, widget=OrdinalWidget())
    topic = Field(attribute="topic", column_name=COL_TOPIC, widget=TopicWidget())
    hours = Field(attribute="hours", column_name=COL_HOURS, widget=HoursWidget(), default=1)
    planned_date = Field(attribute="planned_date", column_name=COL_DATE, widget=RussianDateWidget())
    is_control_work = Field(attribute="is_control_work", column_name=COL_CONTROL, widget=YesNoWidget())

    class Meta:
        model = PlanItem
        fields = ("ordinal", "topic", "hours", "planned_date", "is_control_work")
        import_order = fields
        export_order = fields
        import_id_fields = ("ordinal",)
        instance_loader_class = _GroupPlanLoader
        skip_unchanged = True
        report_skipped = True
        skip_html_diff = True
        use_transactions = True

    def __init__(self, group: TeachingGroup, lines: list[int] | None = None) -> None:
        super().__init__()
        self.group = group
        self.lines = lines or []  # the file's line of each dataset row, for messages
        self._seen: dict[int, int] = {}  # ordinal → line where it first appeared

    def get_queryset(self):  # noqa: ANN201
        return PlanItem.objects.filter(group=self.group).order_by("ordinal")

    def init_instance(self, row: Any = None) -> PlanItem:
        return PlanItem(group=self.group)

    def _line(self, row_number: int) -> int:
        return self.lines[row_number - 1] if 0 < row_number <= len(self.lines) else row_number + 1

    def before_import_row(self, row: dict[str, Any], **kwargs: Any) -> None:
        # Refused here, before the row is matched: a second row with the same number would otherwise
        # "update" the item the first one wrote.
        try:
            ordinal = self.fields["ordinal"].clean(row)
        except ValueError:
            return
        line = self._line(kwargs.get("row_number", 0))
        first = self._seen.setdefault(ordinal, line)
        if first != line:
            raise ValidationError(
                {
                    "ordinal": _("Number %(n)d is already on line %(line)d of the file; numbers must not repeat.")
                    % {"n": ordinal, "line": first}
                }
            )

    def validate_instance(
        self,
        instance: PlanItem,
        import_validation_errors: dict[str, Any] | None = None,
        validate_unique: bool = True,
    ) -> None:
        errors = dict(import_validation_errors or {})
        checked = _item_errors(
            self.group,
            topic=instance.topic if "topic" not in errors else "-",
            hours=instance.hours if "hours" not in errors else 1,
            planned_date=instance.planned_date if "planned_date" not in errors else None,
        )
        for name, messages in checked.items():
            errors[name] = [ValidationError(m) for m in messages]
        try:
            # The group is ours and the number is checked above: no per-row queries for them.
            instance.full_clean(exclude=[*errors, "group"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


@dataclass
class PlanImportRow:
    line: int  # the line of the file (the header is line 1 when it is the first line)
    ordinal: str
    topic: str
    kind: str  # "new", "update", "unchanged" or "error"
    old_topic: str = ""  # an update that changes the topic: what it was
    errors: list[str] = field(default_factory=list)


class RowCounts:
    """What an import's result says about its rows (``rows`` with a ``kind`` each, and ``errors`` not tied
    to a row); shared by the КТП import here and the office's imports (``office.imports.base``)."""

    rows: list
    errors: list[str]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(row.kind == "error" for row in self.rows)

    def count(self, kind: str) -> int:
        return sum(1 for row in self.rows if row.kind == kind)

    # For templates, which cannot pass an argument.
    count_new = property(lambda self: self.count("new"))
    count_update = property(lambda self: self.count("update"))
    count_unchanged = property(lambda self: self.count("unchanged"))
    count_error = property(lambda self: self.count("error"))


@dataclass
class PlanImportResult(RowCounts):
    rows: list[PlanImportRow]
    ignored_columns: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # not tied to a row
    written: bool = False


def _canonical(header: Any) -> str | None:
    word = "" if header is None else " ".join(str(header).split()).casefold()
    return next((name for name, aliases in _HEADER_ALIASES.items() if word in aliases), None)


def _read_csv(content: bytes) -> Iterable[tuple[int, list[Any]]]:
    # Excel in Russian saves "CSV UTF-8" with a BOM, and plain "CSV" in Windows-1251, with «;».
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1251", errors="replace")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(";,\t", key=first.count) if any(c in first for c in ";,\t") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for values in reader:
            yield start, values
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ValidationError(_("The file is not a readable CSV table (%(error)s).") % {"error": exc}) from exc


def _read_xlsx(content: bytes) -> list[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            return [(n, list(values)) for n, values in enumerate(book.active.iter_rows(values_only=True), start=1)]
        finally:
            book.close()
    except Exception as exc:  # noqa: BLE001 - any upload may arrive here; openpyxl fails in many ways on junk
        raise ValidationError(
            _("The file is not a readable XLSX workbook. Save it from Excel or LibreOffice as .xlsx or as CSV.")
        ) from exc


def detect_format(name: str, content: bytes) -> str:
    """CSV or XLSX, from the content (an XLSX is a zip) and then the name; an old .xls is refused."""
    if content[:4] == b"PK\x03\x04":
        return XLSX
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or name.lower().endswith(".xls"):
        raise ValidationError(_("This is an old Excel file (.xls). Save it as .xlsx or as CSV and upload it again."))
    return CSV


def _dataset(content: bytes, fmt: str) -> tuple[tablib.Dataset, list[int], list[str]]:
    """The file as a dataset of the known columns, the file line of each row, and the ignored columns.
    Blank lines are dropped (their numbers are kept for messages); every row gets the header's width."""
    if fmt not in FORMATS:
        raise ValidationError(_("Upload a CSV or XLSX file."))
    if len(content) > MAX_IMPORT_BYTES:
        raise ValidationError(_("The file is larger than 1 MB, much more than a plan takes: check the file."))
    if not content.strip():
        raise ValidationError(_("The file is empty."))
    rows = _read_csv(content) if fmt == CSV else _read_xlsx(content)
    header: list[Any] | None = None
    data: list[tuple[int, list[Any]]] = []
    for line, values in rows:
        if all(_blank(v) for v in values):
            continue
        if header is None:
            header = values
            continue
        data.append((line, values))
        if len(data) > MAX_IMPORT_ROWS:
            raise ValidationError(_("The file has more than %(max)d rows.") % {"max": MAX_IMPORT_ROWS})
    names = [_canonical(h) for h in header or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise ValidationError(
            _("The first row must name the columns: %(columns)s. Missing: %(missing)s.")
            % {"columns": ", ".join(COLUMNS), "missing": ", ".join(f"«{c}»" for c in missing)}
        )
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        raise ValidationError(
            _("The column %(column)s appears twice in the first row.") % {"column": f"«{repeated[0]}»"}
        )
    if not data:
        raise ValidationError(_("The file has no rows under the header."))
    keep = [i for i, n in enumerate(names) if n]
    ignored = [str(header[i]) for i, n in enumerate(names) if not n and not _blank(header[i])]  # type: ignore[index]
    dataset = tablib.Dataset(headers=[names[i] for i in keep])
    for _line, values in data:
        values = list(values) + [None] * (len(names) - len(values))
        dataset.append([values[i] for i in keep])
    return dataset, [line for line, _values in data], ignored


def _row_messages(row_result: RowResult) -> list[str]:
    if row_result.validation_error is not None:
        error = row_result.validation_error
        pairs = error.message_dict.items() if hasattr(error, "error_dict") else [("__all__", error.messages)]
        return [
            f"{_FIELD_COLUMNS[name]}: {message}" if name in _FIELD_COLUMNS else message
            for name, messages in pairs
            for message in messages
        ]
    return [_("The row could not be saved (%(error)s).") % {"error": e.error} for e in row_result.errors]


def _summary(result: Any, dataset: tablib.Dataset, lines: list[int]) -> list[PlanImportRow]:
    rows = []
    for index, row_result in enumerate(result.rows):
        values = dict(zip(dataset.headers, dataset[index], strict=True))
        kind = {
            RowResult.IMPORT_TYPE_NEW: "new",
            RowResult.IMPORT_TYPE_UPDATE: "update",
            RowResult.IMPORT_TYPE_SKIP: "unchanged",
        }.get(row_result.import_type, "error")
        original = row_result.original
        topic = TopicWidget().clean(values.get(COL_TOPIC))
        rows.append(
            PlanImportRow(
                line=lines[index],
                ordinal="" if values.get(COL_ORDINAL) is None else str(values[COL_ORDINAL]).strip(),
                topic=topic,
                kind=kind,
                old_topic=original.topic if kind == "update" and original and original.topic != topic else "",
                errors=_row_messages(row_result) if kind == "error" else [],
            )
        )
    return rows


def plan_import(
    *, actor: Any, group: TeachingGroup, file: bytes | IO[bytes], format: str, dry_run: bool
) -> PlanImportResult:
    """Import the group's КТП from a CSV or XLSX file (columns №, Тема, Часы, Дата, Контрольная).

    Guarantees: rows are matched by № within ``group`` (update), unknown numbers are created, items not
    in the file and every other group stay untouched; nothing is written when ``dry_run`` is set or
    when any row fails — the result then lists each row with its Russian error messages. A file that
    cannot be read at all (not CSV/XLSX, no «№» or «Тема» column, no rows) raises ValidationError.
    PermissionDenied for anybody but the group's teacher.
    """
    _check_editor(actor, group)
    content = file if isinstance(file, bytes) else file.read(MAX_IMPORT_BYTES + 1)
    dataset, lines, ignored = _dataset(content, format)
    resource = PlanItemResource(group, lines)
    with transaction.atomic():
        _lock(group)
        # Each row runs in its own savepoint; a row that fails (even on a database constraint) is
        # reported and the whole import is rolled back below.
        result = resource.import_data(
            dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True
        )
        summary = PlanImportResult(
            rows=_summary(result, dataset, lines),
            ignored_columns=ignored,
            errors=[_("The file could not be imported (%(error)s).") % {"error": e.error} for e in result.base_errors],
        )
        if summary.has_errors or dry_run:
            transaction.set_rollback(True)
        else:
            summary.written = True
    return summary


def plan_export(*, group: TeachingGroup, format: str) -> bytes:
    """The group's КТП as a file that :func:`plan_import` reads back unchanged: CSV in UTF-8 with a BOM
    and «;» between columns (what Excel in Russian expects), or XLSX with real date cells."""
    if format not in FORMATS:
        raise ValidationError(_("Upload a CSV or XLSX file."))
    resource = PlanItemResource(group)
    if format == CSV:
        return ("\ufeff" + resource.export().export("csv", delimiter=";")).encode("utf-8")
    dataset = resource.export(force_native_type=True)
    dataset.title = "КТП"
    return dataset.export("xlsx")
