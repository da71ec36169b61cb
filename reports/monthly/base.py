"""Shared parts of the monthly analysis: constants, small helpers, the per-group numbers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    DateTimeField,
    Func,
    Value,
)

from journal.models import (
    StudyPeriod,
)

from ..tables import Row

MONTHS = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь",
          "декабрь"]  # fmt: skip

STUDENT = ("student__last_name", "student__first_name")
ACTOR = ("actor__last_name", "actor__first_name", "actor__patronymic")
TEACHER = ("teacher__last_name", "teacher__first_name", "teacher__patronymic")
LESSON_OF_MARK = ("column__lesson__group_id", "column__lesson__date")

GROUP_COLUMNS = [
    "Учитель",
    "Группа",
    "Проведено уроков",
    "Уроков без темы",
    "ДЗ записано, %",
    "Учеников",
    "Без отметок, %",
    "С одной отметкой, %",
    "Ниже нормы накопляемости",
    "Отметок с опозданием",
    "ДЗ с опозданием",
    "Изменено отметок после дня урока",
    "Замещённых уроков",
    "Часов проведено с начала года",
    "Часов по КТП к концу месяца",
    "Выполнение КТП, %",
]

GROUPS_NOTE = (
    "Строка — группа и её основной учитель на последний учебный день месяца. Уроки — проведённые уроки "
    "с датой в этом месяце; «без темы» — с пустой темой. «ДЗ записано» — доля проведённых уроков, к которым "
    "записано хотя бы одно домашнее задание. «Учеников» — состоявшие в группе в течение месяца; «без отметок» "
    "и «с одной отметкой» считаются по отметкам за уроки месяца («осв» — не отметка, «4/3» — две отметки). "
    "Отметка внесена с опозданием, если дата её внесения (по времени школы) позже даты урока плюс срок "
    "политики: устная — {oral} дн., письменная — {junior} дн. (2–9 классы) или {senior} дн. (10–11 классы). "
    "ДЗ с опозданием — записано позже чем через {hw} ч после звонка с урока (если звонка нет — после дня урока); "
    "заданное заранее опозданием не считается. «Изменено отметок» — изменения и удаления отметок, сделанные "
    "в этом месяце позже дня урока. Выполнение КТП — проведённые с начала года уроки (часы) к часам пунктов "
    "КТП с плановой датой не позже конца месяца (в итоге — по группам, у которых есть КТП). "
    "«—» — считать нечего (или в 1 классе отметок нет, R1)."
)

BELOW_NORM_NOTE = (
    "Накопляемость (R6). Берётся учебный период класса (четверть, триместр, полугодие), в который попадает "
    "конец месяца (или последний, закончившийся в этом месяце), и день проверки — конец месяца, но не позже "
    "конца периода. Для ученика отсчёт идёт с начала периода или с даты, когда он пришёл в группу, если позже. "
    "Пока с начала отсчёта прошло не больше льготных недель ({grace} нед., при 1 ч в неделю — {grace_one} нед.), "
    "ученик не проверяется; если это верно для начала периода — не проверяется вся группа («—»). Иначе нужно "
    "не меньше ⌈норма × прошедшие дни / дни периода⌉ отметок за уроки периода до дня проверки, где норма — "
    "{q1}/{q2} отметок за четверть или триместр и {h1}/{h2} за полугодие (1 ч / 2 и более ч в неделю). "
    "Ученики, не присутствовавшие ни на одном проведённом уроке группы за это время, не считаются."
)


# --- small helpers -------------------------------------------------------------------------------------


def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural form for ``n``: 1 урок, 2 урока, 5 уроков."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _ru_number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _mark_text(data: dict | None) -> str:
    """How the journal writes a mark stored in a history event: «5», «4/3», «зач», «—» for none."""
    if not data:
        return "—"
    code = data.get("code") or ""
    if code:
        return {"pass": "зач", "fail": "незач", "exempt": "осв"}.get(code, code)
    value, value2 = data.get("value"), data.get("value2")
    if value is None:
        return "—"
    return f"{value}/{value2}" if value2 else str(value)


def _person(last: str | None, first: str | None, patronymic: str | None = "") -> str:
    if not last and not first:
        return "—"
    initials = "".join(f"{p[0]}. " for p in (first, patronymic) if p).strip()
    return f"{last} {initials}".strip()


def _student(last: str | None, first: str | None) -> str:
    return f"{last or ''} {first or ''}".strip() or "—"


def _student_of(row: dict) -> str:
    return _student(row["student__last_name"], row["student__first_name"])


def _parse_month(value: Any) -> tuple[dt.date, dt.date]:
    try:
        year, month = (int(part) for part in str(value).split("-"))
        start = dt.date(year, month, 1)
    except (TypeError, ValueError) as error:
        raise ValidationError("Укажите месяц в виде ГГГГ-ММ.") from error
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


class LocalMoment(Func):
    """The instant of ``date + time`` on the clock of the time zone ``tz`` (PostgreSQL ``AT TIME ZONE``)."""

    output_field = DateTimeField()

    def __init__(self, date: Any, time: Any, tz: str) -> None:
        super().__init__(date, time, Value(tz))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        parts, params = [], []
        for expression in self.source_expressions:
            sql, sql_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(sql_params)
        date, time, tz = parts
        return f"(({date} + {time}) AT TIME ZONE {tz})", params


@dataclass
class GroupStats:
    """The numbers of one teacher × group row, filled metric by metric."""

    group_id: int
    name: str
    teacher_id: int | None
    teacher: str
    hours: Any
    has_marks: bool
    senior: bool
    period: StudyPeriod | None = None
    cutoff: dt.date | None = None
    held: int = 0
    no_topic: int = 0
    with_homework: int = 0
    substituted: int = 0
    held_in_year: int = 0
    planned_hours: int = 0
    students: int = 0
    no_marks: int = 0
    one_mark: int = 0
    below_norm: int | None = None
    late_marks: int = 0
    late_homework: int = 0
    changed: int = 0
    drills: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
