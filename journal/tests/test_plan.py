"""The КТП of a group (R10): the services that keep it, the page, import and export, and who may do what.

R10: "Teachers enter their КТП for each group, with import/export"; R15: the class teacher, the deputy
and the director read it, nobody else of another class, family or school sees it.
"""

from __future__ import annotations

import base64
import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.services import staff_role_grant, teacher_assign
from accounts.tests.factories import UserFactory
from journal.models import PlanItem
from journal.plan import (
    CSV,
    XLSX,
    plan_export,
    plan_import,
    plan_item_add,
    plan_item_delete,
    plan_item_move,
    plan_item_update,
    plan_renumber,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]

HEADER = "№;Тема;Часы;Дата;Контрольная"


def _url(group, tail=""):
    return f"/journal/groups/{group.pk}/plan/{tail}"


def _plan(group):
    return list(PlanItem.objects.filter(group=group).order_by("ordinal").values_list("ordinal", "topic"))


def _csv(*lines, header=HEADER, encoding="utf-8-sig"):
    return "\r\n".join([header, *lines]).encode(encoding)


def _xlsx(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


@pytest.fixture
def three(group):
    """Items 1–3 of 5А math."""
    return [
        PlanItem.objects.create(group=group, ordinal=n, topic=topic)
        for n, topic in enumerate(["Натуральные числа", "Дроби", "Проценты"], start=1)
    ]


@pytest.fixture
def other_teacher(school, other_group):
    """The math teacher of 6Б: a colleague of the same school who does not teach 5А."""
    user = UserFactory(username="other_teacher", last_name="Соколова", first_name="Вера")
    staff_role_grant(actor=None, user=user, school=school, role="teacher")
    teacher_assign(actor=None, group=other_group, teacher=user, start=other_group.year.start)
    return user


# --- services ------------------------------------------------------------------------------------------


def test_an_item_is_added_at_the_end_or_inserted_at_a_number(teacher, group, three):  # R10
    """R10: the teacher keeps the КТП; a topic inserted at a taken number moves the later ones down."""
    plan_item_add(actor=teacher, group=group, topic="Повторение", hours=2)
    plan_item_add(
        actor=teacher, group=group, topic="Контрольная работа", ordinal=2, is_control_work=True,
        planned_date=dt.date(2026, 9, 20),
    )  # fmt: skip
    assert _plan(group) == [
        (1, "Натуральные числа"),
        (2, "Контрольная работа"),
        (3, "Дроби"),
        (4, "Проценты"),
        (5, "Повторение"),
    ]
    item = PlanItem.objects.get(group=group, ordinal=2)
    assert (item.is_control_work, item.planned_date, item.hours) == (True, dt.date(2026, 9, 20), 1)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"topic": "  "}, "Тема пустая"),
        ({"hours": 0}, "от 1 до 100"),
        ({"planned_date": dt.date(2027, 6, 15)}, "вне учебного года 2026/2027"),
    ],
)
def test_an_item_with_bad_values_is_refused(teacher, group, three, fields, message):  # R10
    """R10: the plan's dates are inside the group's academic year; a topic is never empty."""
    values = {"topic": "Дроби", "hours": 1, "planned_date": None, "is_control_work": False} | fields
    with pytest.raises(ValidationError) as refused:
        plan_item_update(actor=teacher, item=three[1], **values)
    assert message in " ".join(refused.value.messages)
    with pytest.raises(ValidationError):
        plan_item_add(actor=teacher, group=group, **values)
    assert _plan(group) == [(1, "Натуральные числа"), (2, "Дроби"), (3, "Проценты")]


def test_items_move_up_and_down_past_the_unique_number(teacher, group, three):  # R10
    """R10: reordering swaps numbers inside one transaction without breaking plan_item_unique_ordinal."""
    plan_item_move(actor=teacher, item=three[2], direction="up")
    assert _plan(group) == [(1, "Натуральные числа"), (2, "Проценты"), (3, "Дроби")]
    plan_item_move(actor=teacher, item=three[0], direction="down")
    assert _plan(group) == [(1, "Проценты"), (2, "Натуральные числа"), (3, "Дроби")]
    plan_item_move(actor=teacher, item=three[2], direction="up")  # "Проценты" is first now
    plan_item_move(actor=teacher, item=PlanItem.objects.get(group=group, ordinal=1), direction="up")  # no-op
    assert [n for n, _t in _plan(group)] == [1, 2, 3]


def test_deleting_an_item_closes_the_gap_and_renumbering_closes_others(teacher, group, three):  # R10
    """R10: the plan stays numbered 1, 2, 3… after a deletion; gaps from an import can be closed."""
    plan_item_delete(actor=teacher, item=three[0])
    assert _plan(group) == [(1, "Дроби"), (2, "Проценты")]
    PlanItem.objects.create(group=group, ordinal=7, topic="Повторение")
    assert plan_renumber(actor=teacher, group=group) == 1
    assert _plan(group) == [(1, "Дроби"), (2, "Проценты"), (3, "Повторение")]


def test_an_item_a_lesson_uses_is_not_deleted(teacher, group, three, make_lesson):  # R10
    """R10: a lesson records its topic from the КТП; deleting that item would unlink the lesson."""
    make_lesson(date=dt.date(2026, 9, 14), status="held", topic="Дроби", plan_item=three[1])
    with pytest.raises(ValidationError) as refused:
        plan_item_delete(actor=teacher, item=three[1])
    assert "14.09.2026" in " ".join(refused.value.messages)
    assert len(_plan(group)) == 3


@pytest.mark.parametrize("reader", ["class_teacher", "deputy", "director"])
def test_only_the_groups_teacher_writes_through_the_services(request, group, three, reader):  # R10, R15
    """R10/R15: readers of the journal cannot change the plan, whatever door they use."""
    user = request.getfixturevalue(reader)
    with pytest.raises(PermissionDenied):
        plan_item_add(actor=user, group=group, topic="Чужая тема")
    with pytest.raises(PermissionDenied):
        plan_import(actor=user, group=group, file=_csv("9;Чужая тема;1;;"), format=CSV, dry_run=False)
    assert len(_plan(group)) == 3


# --- import --------------------------------------------------------------------------------------------


def test_a_dry_run_previews_and_writes_nothing(teacher, group, three):  # R10
    """R10 import (DESIGN §6): a dry run lists what would happen to each row and writes nothing."""
    content = _csv("2;Обыкновенные дроби;2;15.09.2026;нет", "3;Проценты;1;;", "4;Контрольная работа;1;2026-09-25;да")
    result = plan_import(actor=teacher, group=group, file=content, format=CSV, dry_run=True)
    assert [(r.line, r.ordinal, r.kind) for r in result.rows] == [
        (2, "2", "update"),
        (3, "3", "unchanged"),
        (4, "4", "new"),
    ]
    assert result.rows[0].old_topic == "Дроби" and not result.has_errors and not result.written
    assert _plan(group) == [(1, "Натуральные числа"), (2, "Дроби"), (3, "Проценты")]


def test_a_valid_file_writes_every_row_and_touches_nothing_else(teacher, group, other_group, three):  # R10
    """R10 import: matched by № within the group — updated, created; items not in the file and other
    groups stay as they are."""
    foreign = PlanItem.objects.create(group=other_group, ordinal=2, topic="Тема 6Б")
    content = _csv("2;Обыкновенные дроби;2;15.09.2026;нет", "4;Контрольная работа;1;2026-09-25;да", "5;Повторение;;;")
    result = plan_import(actor=teacher, group=group, file=content, format=CSV, dry_run=False)
    assert result.written and (result.count("new"), result.count("update")) == (2, 1)
    assert _plan(group) == [
        (1, "Натуральные числа"),
        (2, "Обыкновенные дроби"),
        (3, "Проценты"),
        (4, "Контрольная работа"),
        (5, "Повторение"),
    ]
    control = PlanItem.objects.get(group=group, ordinal=4)
    assert (control.is_control_work, control.planned_date, control.hours) == (True, dt.date(2026, 9, 25), 1)
    assert PlanItem.objects.get(group=group, ordinal=2).hours == 2
    foreign.refresh_from_db()
    assert (foreign.group_id, foreign.topic) == (other_group.pk, "Тема 6Б")


def test_one_bad_row_writes_nothing_and_every_error_is_listed(teacher, group, three):  # R10
    """R10 import: all or nothing, with a Russian message per row and the file's line number."""
    content = _csv(
        "2;Обыкновенные дроби;2;15.09.2026;нет",  # line 2: fine
        "",  # line 3: blank, skipped
        "4;;1;;",  # line 4: no topic
        "5;Проценты;0;31.02.2027;может быть",  # line 5: hours, date, flag
        "6;Повторение;1;01.07.2027;",  # line 6: after the year
        "4;Ещё раз четвёртая;1;;",  # line 7: the number repeats
        "семь;Тема;1;;",  # line 8: not a number
    )
    result = plan_import(actor=teacher, group=group, file=content, format=CSV, dry_run=False)
    assert not result.written and result.has_errors
    errors = {row.line: " ".join(row.errors) for row in result.rows if row.kind == "error"}
    assert set(errors) == {4, 5, 6, 7, 8}
    assert "Тема" in errors[4] and "пустая" in errors[4]
    assert "«0»" in errors[5] and "«31.02.2027» — не дата" in errors[5] and "«может быть»" in errors[5]
    assert "01.07.2027" in errors[6] and "вне учебного года" in errors[6]
    assert "уже есть в строке 4" in errors[7]
    assert "«семь»" in errors[8]
    assert _plan(group) == [(1, "Натуральные числа"), (2, "Дроби"), (3, "Проценты")]


def test_an_xlsx_file_is_read_with_its_date_cells(teacher, group, three):  # R10
    """R10 import from XLSX: a date cell, numbers as numbers, «да» for a control work."""
    content = _xlsx(
        [
            ["№", "Тема", "Часы", "Дата", "Контрольная"],
            [4, "Контрольная работа «Дроби»", 1, dt.datetime(2026, 9, 28), "да"],
            [5.0, "Повторение", 2, None, None],
        ]
    )
    preview = plan_import(actor=teacher, group=group, file=content, format=XLSX, dry_run=True)
    assert [r.kind for r in preview.rows] == ["new", "new"] and len(_plan(group)) == 3
    plan_import(actor=teacher, group=group, file=content, format=XLSX, dry_run=False)
    item = PlanItem.objects.get(group=group, ordinal=4)
    assert (item.topic, item.planned_date, item.is_control_work) == (
        "Контрольная работа «Дроби»",
        dt.date(2026, 9, 28),
        True,
    )
    assert PlanItem.objects.get(group=group, ordinal=5).hours == 2


def test_an_xlsx_file_with_a_bad_row_writes_nothing(teacher, group, three):  # R10
    """R10 import from XLSX: all or nothing."""
    content = _xlsx([["№", "Тема", "Дата"], [4, "Повторение", dt.datetime(2026, 10, 1)], [5, "Итог", "завтра"]])
    result = plan_import(actor=teacher, group=group, file=content, format=XLSX, dry_run=False)
    assert not result.written and [r.kind for r in result.rows] == ["new", "error"]
    assert "«завтра» — не дата" in " ".join(result.rows[1].errors)
    assert len(_plan(group)) == 3


def test_a_windows_1251_csv_with_commas_is_read(teacher, group):  # R10
    """R10 import: Excel in Russian saves plain CSV in Windows-1251; commas also work as separators."""
    content = _csv('1,"Числа, цифры",1,,', header="№,Тема,Часы,Дата,Контрольная", encoding="cp1251")
    plan_import(actor=teacher, group=group, file=content, format=CSV, dry_run=False)
    assert _plan(group) == [(1, "Числа, цифры")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "пуст"),
        ("Тема;Часы\r\nДроби;1".encode(), "«№»"),
        ("№;Тема".encode(), "нет строк"),
    ],
)
def test_an_unreadable_file_is_refused_as_a_whole(teacher, group, content, message):  # R10
    """R10 import: a file without the plan's columns is refused before any row is looked at."""
    with pytest.raises(ValidationError) as refused:
        plan_import(actor=teacher, group=group, file=content, format=CSV, dry_run=True)
    assert message in " ".join(refused.value.messages)


# --- export --------------------------------------------------------------------------------------------


def test_the_csv_export_has_a_bom_and_comes_back_unchanged(teacher, group, three):  # R10
    """R10 export: UTF-8 with a BOM so that Excel shows Cyrillic; the import reads it back as is."""
    plan_item_update(
        actor=teacher,
        item=three[2],
        topic="=Проценты",
        hours=3,
        planned_date=dt.date(2026, 10, 1),
        is_control_work=True,
    )
    content = plan_export(group=group, format=CSV)
    text = content.decode("utf-8")
    assert content.startswith(b"\xef\xbb\xbf") and text.lstrip("\ufeff").startswith(HEADER)
    assert "3;'=Проценты;3;01.10.2026;да" in text  # a formula never runs in Excel
    result = plan_import(actor=teacher, group=group, file=content, format=CSV, dry_run=False)
    assert [r.kind for r in result.rows] == ["unchanged"] * 3
    assert PlanItem.objects.get(pk=three[2].pk).topic == "=Проценты"


def test_the_xlsx_export_comes_back_unchanged(teacher, group, three):  # R10
    """R10 export to XLSX: a real workbook with date cells that the import reads back."""
    plan_item_update(
        actor=teacher, item=three[0], topic="Натуральные числа", hours=2, planned_date=dt.date(2026, 9, 2),
        is_control_work=False,
    )  # fmt: skip
    content = plan_export(group=group, format=XLSX)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert [c.value for c in sheet[1]] == ["№", "Тема", "Часы", "Дата", "Контрольная"]
    assert sheet["D2"].value == dt.datetime(2026, 9, 2)
    result = plan_import(actor=teacher, group=group, file=content, format=XLSX, dry_run=True)
    assert [r.kind for r in result.rows] == ["unchanged"] * 3


# --- the pages ------------------------------------------------------------------------------------------


def test_the_teacher_sees_the_plan_with_coverage(client, teacher, group, three, make_lesson):  # R10
    """R10: each item shows the held lessons that covered it; a late item is marked."""
    PlanItem.objects.filter(pk=three[2].pk).update(planned_date=dt.date(2026, 10, 1))
    lesson = make_lesson(date=dt.date(2026, 9, 14), status="held", topic="Дроби", plan_item=three[1])
    client.force_login(teacher)
    html = client.get(_url(group)).content.decode()
    assert "Дроби" in html and f'href="/journal/lessons/{lesson.pk}/"' in html and "14.09.2026" in html
    assert "Пройдено тем: 1 из 3" in html and "ещё не пройдена" in html
    assert 'name="action" value="edit"' in html and 'value="move"' in html and 'data-testid="plan-add"' in html


def test_the_teacher_adds_edits_moves_and_deletes_on_the_page(client, teacher, group, three):  # R10
    """R10: create / edit / reorder / delete through the page's forms."""
    client.force_login(teacher)
    added = client.post(_url(group), {"action": "add", "topic": "Повторение", "hours": "2", "planned_date": ""})
    assert added.status_code == 302
    new = PlanItem.objects.get(group=group, topic="Повторение")
    assert (new.ordinal, new.hours) == (4, 2)
    edited = client.post(
        _url(group),
        {"action": "edit", "item": three[1].pk, "topic": "Обыкновенные дроби", "hours": "3",
         "planned_date": "2026-09-16", "is_control_work": "1"},
    )  # fmt: skip
    assert edited.status_code == 302
    three[1].refresh_from_db()
    assert (three[1].topic, three[1].hours, three[1].planned_date, three[1].is_control_work) == (
        "Обыкновенные дроби", 3, dt.date(2026, 9, 16), True,
    )  # fmt: skip
    client.post(_url(group), {"action": "move", "item": new.pk, "direction": "up"})
    assert _plan(group)[2:] == [(3, "Повторение"), (4, "Проценты")]
    client.post(_url(group), {"action": "delete", "item": three[0].pk})
    assert _plan(group) == [(1, "Обыкновенные дроби"), (2, "Повторение"), (3, "Проценты")]


def test_refused_input_comes_back_in_its_form(client, teacher, group, three, make_lesson):  # R10
    """R10: a date outside the year is refused with the typed values kept; a used item is not deleted."""
    client.force_login(teacher)
    response = client.post(
        _url(group),
        {
            "action": "edit",
            "item": three[1].pk,
            "topic": "Дроби и проценты",
            "hours": "1",
            "planned_date": "2027-07-01",
        },
    )
    html = response.content.decode()
    assert response.status_code == 422 and "вне учебного года" in html and 'value="Дроби и проценты"' in html
    assert PlanItem.objects.get(pk=three[1].pk).topic == "Дроби"
    bad_add = client.post(_url(group), {"action": "add", "topic": "", "hours": "1"})
    assert bad_add.status_code == 422 and 'data-testid="add-errors"' in bad_add.content.decode()
    make_lesson(date=dt.date(2026, 9, 21), status="held", topic="Дроби", plan_item=three[1])
    refused = client.post(_url(group), {"action": "delete", "item": three[1].pk}, follow=True)
    assert "21.09.2026" in refused.content.decode() and len(_plan(group)) == 3


def test_the_import_page_previews_then_writes_on_confirmation(client, teacher, group, three):  # R10
    """R10 import through the page: the upload is a dry run; the confirmation writes the same file."""
    client.force_login(teacher)
    content = _csv("4;Контрольная работа;1;25.09.2026;да")
    preview = client.post(_url(group, "import/"), {"file": SimpleUploadedFile("ktp.csv", content, "text/csv")})
    html = preview.content.decode()
    assert preview.status_code == 200 and 'data-kind="new"' in html and 'data-testid="confirm"' in html
    assert len(_plan(group)) == 3
    encoded = base64.b64encode(content).decode()
    done = client.post(_url(group, "import/"), {"content": encoded, "name": "ktp.csv"})
    assert done.status_code == 302 and done.url == _url(group)
    assert _plan(group)[-1] == (4, "Контрольная работа")


def test_the_import_page_lists_row_errors_and_offers_no_confirmation(client, teacher, group, three):  # R10
    """R10 import through the page: with a bad row the preview says nothing is written."""
    client.force_login(teacher)
    content = _xlsx([["№", "Тема", "Часы"], [4, "Повторение", 1], [5, "Итог", "много"]])
    response = client.post(_url(group, "import/"), {"file": SimpleUploadedFile("ktp.xlsx", content)})
    html = response.content.decode()
    assert 'data-testid="nothing-written"' in html and "«много»" in html and 'data-testid="confirm"' not in html
    old_excel = client.post(
        _url(group, "import/"), {"file": SimpleUploadedFile("ktp.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")}
    )
    assert ".xls" in old_excel.content.decode() and 'data-testid="file-errors"' in old_excel.content.decode()
    assert len(_plan(group)) == 3


def test_the_export_links_download_csv_and_xlsx(client, class_teacher, group, three):  # R10
    """R10 export: a reader downloads the plan too."""
    client.force_login(class_teacher)
    csv_response = client.get(_url(group, "export/?format=csv"))
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    assert csv_response.content.startswith(b"\xef\xbb\xbf") and "attachment" in csv_response["Content-Disposition"]
    xlsx_response = client.get(_url(group, "export/?format=xlsx"))
    assert xlsx_response.status_code == 200 and xlsx_response.content[:2] == b"PK"
    assert client.get(_url(group, "export/?format=pdf")).status_code == 404


@pytest.mark.parametrize("reader", ["class_teacher", "deputy", "director"])
def test_readers_see_the_plan_but_cannot_change_it(client, request, group, three, reader):  # R10, R15
    """R15: the class teacher and the school's leaders read every journal of the class, without editing."""
    client.force_login(request.getfixturevalue(reader))
    html = client.get(_url(group)).content.decode()
    assert "Дроби" in html and 'data-testid="read-only"' in html
    assert (
        'value="edit"' not in html and 'data-testid="plan-add"' not in html and 'data-testid="import-link"' not in html
    )
    assert client.post(_url(group), {"action": "add", "topic": "Чужая тема", "hours": "1"}).status_code == 403
    assert client.post(_url(group), {"action": "delete", "item": three[0].pk}).status_code == 403
    assert client.get(_url(group, "import/")).status_code == 403
    upload = SimpleUploadedFile("ktp.csv", _csv("4;Чужая тема;1;;"))
    assert client.post(_url(group, "import/"), {"file": upload}).status_code == 403
    assert len(_plan(group)) == 3


@pytest.mark.parametrize("stranger", ["outsider", "parent", "student_user", "secretary", "substitute", "other_teacher"])
def test_strangers_get_404_on_every_plan_url(client, request, group, three, stranger):  # R10, R15
    """R15: another school's deputy, a parent, a student, the secretary, a substitute (who reads only the
    lessons they substitute) and the teacher of another group do not learn that the plan exists."""
    client.force_login(request.getfixturevalue(stranger))
    assert client.get(_url(group)).status_code == 404
    assert client.get(_url(group, "export/?format=csv")).status_code == 404
    assert client.get(_url(group, "import/")).status_code == 404
    assert client.post(_url(group), {"action": "delete", "item": three[0].pk}).status_code == 404
    upload = SimpleUploadedFile("ktp.csv", _csv("4;Чужая тема;1;;"))
    assert client.post(_url(group, "import/"), {"file": upload}).status_code == 404
    assert len(_plan(group)) == 3


def test_an_item_of_another_group_is_not_found(client, teacher, group, other_group, three):  # R10
    """R10: the page only ever touches the group's own items."""
    foreign = PlanItem.objects.create(group=other_group, ordinal=1, topic="Тема 6Б")
    client.force_login(teacher)
    assert client.post(_url(group), {"action": "delete", "item": foreign.pk}).status_code == 404
    assert PlanItem.objects.filter(pk=foreign.pk).exists()


@pytest.mark.parametrize("size", [2, 40])
def test_the_plan_page_query_count_does_not_grow_with_the_plan(
    client, teacher, group, make_lesson, size, django_assert_max_num_queries
):  # R10
    """R10: the КТП page reads the items and their lessons in a fixed number of queries."""
    for n in range(1, size + 1):
        item = PlanItem.objects.create(group=group, ordinal=n, topic=f"Тема {n}", planned_date=dt.date(2026, 9, 1))
        make_lesson(date=dt.date(2026, 9, 1) + dt.timedelta(days=n), number=1, status="held", plan_item=item)
    client.force_login(teacher)
    client.get(_url(group))  # the first request of a session also stores the school's time zone in it
    with django_assert_max_num_queries(6):  # session, user, group, may edit?, items, their lessons
        response = client.get(_url(group))
    assert response.status_code == 200 and response.content.decode().count('data-testid="plan-item"') == size
