"""The school office's front page and its change log (issue 7): each role sees its sections, nobody else
gets in, and the log shows who changed what in this school only."""

from __future__ import annotations

import pytest

from office.audit import record

pytestmark = pytest.mark.django_db

SECTIONS = {
    "director": {"section-imports", "section-students"},  # students with parents are imported by any of them
    "deputy": {"section-year", "section-timetable", "section-imports", "section-students", "section-accounts"},
    "administrator": {"section-year", "section-timetable", "section-imports", "section-students", "section-accounts"},
    "secretary": {"section-imports", "section-students", "section-accounts"},
}
ALL = {"section-year", "section-timetable", "section-imports", "section-students", "section-accounts"}


@pytest.mark.parametrize("role", sorted(SECTIONS))
def test_each_role_sees_its_sections_of_the_office(client, request, school, role):
    client.force_login(request.getfixturevalue(role))
    html = client.get("/office/").content.decode()
    shown = {name for name in ALL if f'data-testid="{name}"' in html}
    assert shown == SECTIONS[role]
    assert "Канцелярия" in html


@pytest.mark.parametrize("stranger", ["teacher", "class_teacher", "parent", "student_user"])
def test_others_do_not_get_in(client, request, stranger):
    client.force_login(request.getfixturevalue(stranger))
    assert client.get("/office/").status_code == 404
    assert client.get("/office/changes/").status_code == 404


def test_the_log_shows_who_changed_what_in_this_school_only(client, school, other_school, deputy, outsider):
    record(actor=deputy, school=school, action="create", object_type="class", summary="Создан класс 5В")
    record(actor=outsider, school=other_school, action="create", object_type="class", summary="Создан класс 7Г")
    client.force_login(deputy)
    html = client.get(f"/office/changes/?school={other_school.pk}").content.decode()
    assert "Создан класс 5В" in html and deputy.short_name in html
    assert "7Г" not in html  # the other school's log stays with it, whatever ?school= says
    client.force_login(outsider)
    assert "5В" not in client.get(f"/office/changes/?school={school.pk}").content.decode()


def test_the_home_page_links_the_office_for_the_administration(client, deputy, teacher):
    client.force_login(deputy)
    assert 'data-testid="office-link"' in client.get("/").content.decode()
    client.force_login(teacher)
    assert 'data-testid="office-link"' not in client.get("/").content.decode()
