"""The weekly timetable and the КТП (calendar-thematic plans) of the year's groups.

Timetable: one row per slot — group, weekday, lesson number, room, valid from / to. Matched by group,
weekday, lesson number and «valid from» (empty: the year's first day); a slot of the same group at the
same hour whose dates overlap is refused, and so is every clash the timetable page refuses (a teacher,
a room or a class in two places at once, ``office.timetable.slot_clashes``). Lessons are generated from the slots on the
timetable page.

КТП: one row per plan item — group, №, topic, hours, planned date, control work. Matched by group and
№ (as the group's own plan import, ``journal.plan``, does); items missing from the file stay.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import tablib
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from import_export.fields import Field

from journal.models import PlanItem, TeachingGroup, TimetableSlot, Weekday
from journal.plan import MAX_HOURS, MAX_ORDINAL
from office.timetable import slot_clashes

from .base import ChoiceWidget, DateWidget, NumberWidget, OfficeResource, TextWidget, YesNoWidget, fold, text

COL_GROUP, COL_WEEKDAY, COL_NUMBER, COL_ROOM = "Группа", "День недели", "Урок", "Кабинет"
COL_FROM, COL_TO = "Действует с", "Действует по"
COL_ORDINAL, COL_TOPIC, COL_HOURS, COL_DATE, COL_CONTROL = "№", "Тема", "Часы", "Дата", "Контрольная"

WEEKDAY_WIDGET = ChoiceWidget(
    {
        Weekday.MONDAY: "понедельник",
        Weekday.TUESDAY: "вторник",
        Weekday.WEDNESDAY: "среда",
        Weekday.THURSDAY: "четверг",
        Weekday.FRIDAY: "пятница",
        Weekday.SATURDAY: "суббота",
    },
    aliases={
        **{str(n): n for n in range(1, 7)},
        **dict(zip(("пн", "вт", "ср", "чт", "пт", "сб"), range(1, 7), strict=True)),
    },
)


class _GroupColumn:
    """The «Группа» column: a group of the year by name."""

    def _groups(self) -> dict[str, TeachingGroup]:
        if not hasattr(self, "_by_name"):
            self._by_name = {fold(g.name): g for g in TeachingGroup.objects.filter(year=self.year)}  # type: ignore[attr-defined]
        return self._by_name

    def group_of(self, row: dict[str, Any], errors: dict[str, list[str]] | None = None) -> TeachingGroup | None:
        group = self._groups().get(fold(row.get(COL_GROUP)))
        if group is None and errors is not None:
            errors.setdefault(COL_GROUP, []).append(
                _("There is no group «%(value)s» in the year %(year)s; import the groups first or correct the name.")
                % {"value": text(row.get(COL_GROUP)), "year": self.year.name}  # type: ignore[attr-defined]
            )
        return group

    def dehydrate_group(self, obj: Any) -> str:
        return obj.group.name


class TimetableResource(_GroupColumn, OfficeResource):
    shape = "timetable"
    title = "Расписание"
    required = (COL_GROUP, COL_WEEKDAY, COL_NUMBER)
    clean_exclude = ("group",)

    group = Field(column_name=COL_GROUP, readonly=True)
    weekday = Field(attribute="weekday", column_name=COL_WEEKDAY, widget=WEEKDAY_WIDGET)
    number = Field(attribute="number", column_name=COL_NUMBER, widget=NumberWidget(0, 12, required=True))
    room = Field(attribute="room", column_name=COL_ROOM, widget=TextWidget(30))
    valid_from = Field(attribute="valid_from", column_name=COL_FROM, widget=DateWidget())
    valid_to = Field(attribute="valid_to", column_name=COL_TO, widget=DateWidget())

    class Meta(OfficeResource.Meta):
        model = TimetableSlot
        fields = ("group", "weekday", "number", "room", "valid_from", "valid_to")
        import_order = export_order = fields
        import_id_fields = ("weekday",)

    def export_queryset(self) -> QuerySet:
        return (
            TimetableSlot.objects.filter(group__year=self.year)
            .select_related("group")
            .order_by("weekday", "number", "group__name", "valid_from")
        )

    def key_of(self, row: dict[str, Any]) -> Any:
        group = self.group_of(row)
        if group is None:
            return None
        start = DateWidget().clean(row.get(COL_FROM)) or self.year.start
        return (
            group.pk,
            WEEKDAY_WIDGET.clean(row.get(COL_WEEKDAY)),
            NumberWidget(0, 12).clean(row.get(COL_NUMBER)),
            start,
        )

    def load_existing(self, dataset: tablib.Dataset | None) -> dict[Any, TimetableSlot]:
        slots = list(self.export_queryset())
        self.by_hour: dict[tuple[int, int, int], list[TimetableSlot]] = defaultdict(list)
        for slot in slots:
            self.by_hour[(slot.group_id, slot.weekday, slot.number)].append(slot)
        return {(s.group_id, s.weekday, s.number, s.valid_from): s for s in slots}

    def init_instance(self, row: Any = None) -> TimetableSlot:
        return TimetableSlot()

    def plan_row(self, instance: TimetableSlot, row: dict[str, Any], errors: dict[str, list[str]]) -> Any:
        group = self.group_of(row, errors)
        if group is not None:
            instance.group = group
        if instance.valid_from is None:
            instance.valid_from = self.year.start
        for attr in ("valid_from", "valid_to"):
            day = getattr(instance, attr)
            if day is not None and not self.year.contains(day) and attr not in errors:
                errors.setdefault(attr, []).append(
                    _("The date %(date)s is outside the academic year %(year)s.")
                    % {"date": f"{day:%d.%m.%Y}", "year": self.year.name}
                )
        if instance.valid_to and instance.valid_from and instance.valid_to < instance.valid_from:
            errors.setdefault("valid_to", []).append(_("The end date is before the start date."))
        if group is None or errors:
            return None
        far = dt.date.max
        for other in self.by_hour.get((group.pk, instance.weekday, instance.number), []):
            if other.pk == instance.pk:
                continue
            if other.valid_from <= (instance.valid_to or far) and instance.valid_from <= (other.valid_to or far):
                errors.setdefault("__all__", []).append(
                    _(
                        "The group already has this lesson in the timetable from "
                        "%(date)s; give the old slot an end date first."
                    )
                    % {"date": f"{other.valid_from:%d.%m.%Y}"}
                )
                return None
        # The same clash checks as the timetable page; the file's earlier rows are already saved in this
        # transaction (dry run included), so a clash between two rows of the file is found too.
        clashes = slot_clashes(
            group=group,
            weekday=instance.weekday,
            number=instance.number,
            room=instance.room or "",
            valid_from=instance.valid_from,
            valid_to=instance.valid_to,
            exclude_pk=instance.pk,
        )
        if clashes:
            errors.setdefault("__all__", []).extend(clashes)
            return None
        self.by_hour[(group.pk, instance.weekday, instance.number)].append(instance)
        return None

    def label_of(self, row: dict[str, Any]) -> str:
        return f"{text(row.get(COL_GROUP))}: {text(row.get(COL_WEEKDAY))}, {text(row.get(COL_NUMBER))}"


class PlanResource(_GroupColumn, OfficeResource):
    shape = "plan"
    title = "КТП"
    required = (COL_GROUP, COL_ORDINAL, COL_TOPIC)
    clean_exclude = ("group",)

    group = Field(column_name=COL_GROUP, readonly=True)
    ordinal = Field(attribute="ordinal", column_name=COL_ORDINAL, widget=NumberWidget(1, MAX_ORDINAL, required=True))
    topic = Field(attribute="topic", column_name=COL_TOPIC, widget=TextWidget(500, required=True))
    hours = Field(attribute="hours", column_name=COL_HOURS, widget=NumberWidget(1, MAX_HOURS))
    planned_date = Field(attribute="planned_date", column_name=COL_DATE, widget=DateWidget())
    is_control_work = Field(attribute="is_control_work", column_name=COL_CONTROL, widget=YesNoWidget())

    class Meta(OfficeResource.Meta):
        model = PlanItem
        fields = ("group", "ordinal", "topic", "hours", "planned_date", "is_control_work")
        import_order = export_order = fields
        import_id_fields = ("ordinal",)

    def export_queryset(self) -> QuerySet:
        return PlanItem.objects.filter(group__year=self.year).select_related("group").order_by("group__name", "ordinal")

    def key_of(self, row: dict[str, Any]) -> Any:
        group = self.group_of(row)
        return (group.pk, NumberWidget(1, MAX_ORDINAL).clean(row.get(COL_ORDINAL))) if group else None

    def load_existing(self, dataset: tablib.Dataset | None) -> dict[Any, PlanItem]:
        return {(item.group_id, item.ordinal): item for item in self.export_queryset()}

    def init_instance(self, row: Any = None) -> PlanItem:
        return PlanItem()

    def plan_row(self, instance: PlanItem, row: dict[str, Any], errors: dict[str, list[str]]) -> Any:
        group = self.group_of(row, errors)
        if group is not None:
            instance.group = group
        if instance.hours is None:
            instance.hours = 1
        day = instance.planned_date
        if day is not None and not self.year.contains(day):
            errors.setdefault("planned_date", []).append(
                _("The date %(date)s is outside the academic year %(year)s.")
                % {"date": f"{day:%d.%m.%Y}", "year": self.year.name}
            )
        return None

    def label_of(self, row: dict[str, Any]) -> str:
        return f"{text(row.get(COL_GROUP))}: {text(row.get(COL_ORDINAL))}. {text(row.get(COL_TOPIC))}"
