"""Announcements reach exactly their audience; only the class teacher and the administration publish."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from messaging.models import Announcement
from messaging.selectors import announcements_for
from messaging.services import announcement_publish

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]

PEOPLE = ["director", "deputy", "secretary", "class_teacher", "teacher", "parent", "student_user", "other_parent",
          "outsider"]  # fmt: skip


def _readers(request, announcement):
    return {name for name in PEOPLE if announcements_for(request.getfixturevalue(name)).filter(pk=announcement.pk)}


@pytest.fixture
def people(request, other_parent):
    return {name: request.getfixturevalue(name) for name in PEOPLE}


def test_the_whole_school_reaches_everybody_of_the_school_only(request, people, director, school):
    announcement = announcement_publish(actor=director, audience="school", title="Собрание", text="В пятницу")
    assert announcement.school == school
    assert _readers(request, announcement) == set(PEOPLE) - {"outsider"}


def test_staff_announcements_reach_only_the_staff(request, people, deputy):
    announcement = announcement_publish(actor=deputy, audience="staff", title="Педсовет", text="В 15:00")
    assert _readers(request, announcement) == {"director", "deputy", "secretary", "class_teacher", "teacher"}


@pytest.mark.parametrize(
    ("audience", "families"),
    [("class", {"parent", "student_user"}), ("class_parents", {"parent"}), ("class_students", {"student_user"})],
)
def test_a_class_teacher_announces_to_the_class(request, people, class_teacher, school_class, audience, families):
    announcement = announcement_publish(
        actor=class_teacher, audience=audience, school_class=school_class, title="Экскурсия", text="Во вторник"
    )
    assert _readers(request, announcement) == {"class_teacher"} | families


def test_a_class_teacher_cannot_announce_to_another_class_or_the_school(class_teacher, parallel_class, other_class):
    for school_class in (parallel_class, other_class):
        with pytest.raises(PermissionDenied):
            announcement_publish(actor=class_teacher, audience="class", school_class=school_class, title="Т", text="Т")
    with pytest.raises(PermissionDenied):
        announcement_publish(actor=class_teacher, audience="school", title="Т", text="Т")
    assert not Announcement.objects.exists()


@pytest.mark.parametrize("who", ["teacher", "parent", "student_user", "secretary", "outsider"])
def test_others_cannot_publish(request, who, school):
    with pytest.raises(PermissionDenied):
        announcement_publish(actor=request.getfixturevalue(who), audience="school", school=school, title="Т", text="Т")


def test_the_page_publishes_and_lists(client, class_teacher, school_class, parent):
    client.force_login(class_teacher)
    response = client.post(
        "/messages/announcements/",
        {
            "audience": "class_parents",
            "school_class": school_class.pk,
            "title": "Родительское собрание",
            "text": "В 18:00",
        },
    )
    assert response.status_code == 302
    client.force_login(parent)
    html = client.get("/messages/announcements/").content.decode()
    assert "Родительское собрание" in html and "Опубликовать" not in html
    assert client.post("/messages/announcements/", {"audience": "school", "title": "Т", "text": "Т"}).status_code == 403
