"""The end-of-period journal copy and the summary sheets as PDF (issue 6, point 1; R23)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from typing import Any

import pytest
from pypdf import PdfReader

from archive.journal_copy import (
    MAX_DATES,
    journal_copy_data,
    journal_copy_html,
    render_journal_copy,
    render_summary_sheet,
    summary_sheet_html,
)
from attendance.tests.factories import AbsenceFactory
from grading.tests.factories import MarkColumnFactory, MarkFactory
from journal.services import enrollment_admit
from journal.tests.factories import (
    GroupMembershipFactory,
    StudentFactory,
    SubjectFactory,
    TeachingGroupFactory,
)

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _font_names(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


def _school_days(start: dt.date, count: int) -> list[dt.date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def test_it_renders_the_copy_with_every_part_of_the_paper_journal(school_class: Any, journal: Any) -> None:
    copy = render_journal_copy(school_class, journal["period"])

    reader, text = _text(copy.pdf)
    # title, class list, the math grid, the math lessons, the closing page
    assert copy.pages == len(reader.pages) == 5
    assert copy.sha256 == hashlib.sha256(copy.pdf).hexdigest()
    assert copy.seconds > 0
    assert "Классный журнал" in text
    assert "5А" in text
    assert "1 четверть 2026/2027" in text
    assert "Морозова Светлана" in text  # the class teacher on the title page
    assert "Математика" in text
    assert "Иванов Пётр" in text and "Сидорова Ольга" in text
    assert "5 4" in text  # two columns on one date: two marks in one cell
    assert {"Б", "О"} <= set(text.split())
    assert "Натуральные числа и шкалы" in text
    assert "§ 1, задачи 12–14" in text
    assert "Учитель: ____________________ Петрова М. П." in text
    assert "Директор:" in text and "Заместитель директора:" in text
    assert "лист 1 из 5" in text and "лист 5 из 5" in text


def test_it_shows_the_period_mark_right_after_the_last_date(school_class: Any, journal: Any) -> None:
    html, data = journal_copy_html(school_class, journal["period"])

    (chunk,) = data.sheets[0].chunks
    assert chunk.days == [14, 16]
    ivanov = next(row for row in chunk.rows if row[1].startswith("Иванов"))
    assert ivanov[2:] == (["5 4", "О"], "5")
    assert "<th>Иванов Пётр</th><td>5 4</td><td>О</td><td>5</td>" in html
    assert "1 четв." in html


def test_the_fonts_are_dejavu_on_every_page(school_class: Any, journal: Any) -> None:
    reader, _text_ = _text(render_journal_copy(school_class, journal["period"]).pdf)

    names = _font_names(reader)
    assert names
    assert all("DejaVu" in name for name in names), names


def test_a_long_period_splits_the_grid_and_no_table_runs_off_the_page(
    school_class: Any, quarters: Any, group: Any, student: Any, make_lesson: Any
) -> None:
    days = _school_days(dt.date(2026, 9, 1), 20)  # two lessons a day: 40 lessons in quarter I
    lessons = [
        make_lesson(date=day, number=number, topic=f"Урок {n}-{number}")
        for n, day in enumerate(days, 1)
        for number in (1, 2)
    ]
    MarkFactory(column=MarkColumnFactory(lesson=lessons[-1]), student=student, value=3)

    html, data = journal_copy_html(school_class, quarters[0])

    chunks = data.sheets[0].chunks
    assert [len(c.days) for c in chunks] == [MAX_DATES, 40 - MAX_DATES]
    assert [c.last for c in chunks] == [False, True]
    grids = re.findall(r'<table class="g".*?</table>', html, re.S)
    assert len(grids) == 2
    for grid in grids:
        assert grid.count('<col style="width:8mm">') <= MAX_DATES
        assert "Иванов Пётр" in grid  # the names repeat in every chunk
    assert grids[1].count("<td>3</td>") == 1  # the mark of the last lesson lands in the second chunk

    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    document = HTML(string=html).render()
    # title, class list, two grid pages, the lessons (40 rows spill onto a second page), the closing page
    assert len(document.pages) >= 6

    def walk(box: Any) -> Any:
        yield box
        for child in getattr(box, "children", ()):
            yield from walk(child)

    grid_pages = 0
    for page in document.pages:
        page_box = page._page_box
        right_edge = page_box.margin_width() - page_box.margin_right
        tables = [b for b in walk(page_box) if isinstance(b, boxes.TableBox)]
        assert all(t.position_x + t.margin_width() <= right_edge + 0.5 for t in tables)
        texts = "".join(b.text for b in walk(page_box) if isinstance(b, boxes.TextBox))
        grid_pages += "Учащийся" in texts
    assert grid_pages >= 2


def test_another_classes_students_never_appear(
    school: Any,
    school_class: Any,
    parallel_class: Any,
    journal: Any,
    student: Any,
    other_student: Any,
    make_lesson: Any,
) -> None:
    stream = TeachingGroupFactory(
        year=school_class.year,
        subject=SubjectFactory(school=school, name="Информатика"),
        kind="stream",
        name="5А+6Б, информатика",
        classes=[school_class, parallel_class],
    )
    GroupMembershipFactory(group=stream, student=other_student)
    GroupMembershipFactory(group=stream, student=student)
    lesson = make_lesson(date=dt.date(2026, 9, 15), group=stream)
    MarkFactory(column=MarkColumnFactory(lesson=lesson), student=other_student, value=2)

    html, data = journal_copy_html(school_class, journal["period"])

    (sheet,) = [sheet for sheet in data.sheets if sheet.group.pk == stream.pk]
    assert [row[1] for row in sheet.chunks[0].rows] == ["Иванов Пётр"]
    assert sheet.chunks[0].rows[0][2] == [""]  # the other class's mark stays out too
    assert "Информатика" in html
    assert "Смирнова" not in html


def test_it_covers_subgroups_ordered_by_subject(
    school: Any, school_class: Any, group: Any, journal: Any, student: Any
) -> None:
    english = TeachingGroupFactory(
        year=school_class.year,
        subject=SubjectFactory(school=school, name="Английский язык"),
        kind="subgroup",
        subgroup_number=1,
        name="5А, английский, группа 1",
        classes=[school_class],
    )
    GroupMembershipFactory(group=english, student=student)

    copy = render_journal_copy(school_class, journal["period"])

    assert copy.groups == [english.pk, group.pk]
    _reader, text = _text(copy.pdf)
    assert "5А, английский, группа 1" in text


def test_it_reads_the_class_in_a_fixed_number_of_queries(
    school: Any, school_class: Any, group: Any, journal: Any, django_assert_num_queries: Any
) -> None:
    for _ in range(5):
        child = StudentFactory(school=school)
        enrollment_admit(actor=None, student=child, school_class=school_class, start=school_class.year.start)
        MarkFactory(column=MarkColumnFactory(lesson=journal["lessons"][1]), student=child, value=4)
        AbsenceFactory(lesson=journal["lessons"][0], student=child)

    with django_assert_num_queries(12):
        data = journal_copy_data(school_class, journal["period"])
    assert len(data.sheets[0].chunks[0].rows) == 7


def test_the_year_copy_has_the_year_mark_column(school_class: Any, quarters: Any, journal: Any) -> None:
    html, data = journal_copy_html(school_class, quarters[2])

    assert data.period_name == "2026/2027 учебный год"
    assert ">Год</th>" in html


@pytest.mark.parametrize(
    ("kind", "title"),
    [("marks", "Сводная ведомость успеваемости"), ("attendance", "Сводная ведомость посещаемости")],
)
def test_the_summary_sheets_render(school_class: Any, journal: Any, kind: str, title: str) -> None:
    html, document = summary_sheet_html(school_class, journal["period"], kind)
    assert document.title == title

    copy = render_summary_sheet(school_class, journal["period"], kind)

    reader, text = _text(copy.pdf)
    assert copy.pages == len(reader.pages) >= 1
    assert title in text
    assert "Иванов Пётр" in text
    assert f"лист 1 из {copy.pages}" in text
    assert all("DejaVu" in name for name in _font_names(reader))
