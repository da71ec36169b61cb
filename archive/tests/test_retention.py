"""Retention of the archive (issue 6, point 6; R24): journal copies are kept 5 years, summary sheets 25.

Nothing is destroyed by a machine: once a year a list of the files whose term is over is made, and only
the administrator's confirmation with the destruction act destroys them — in both storages, while the
registry keeps its row ("destroyed after its term"). Before its term a file cannot be deleted at all.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from archive.models import ArchiveCopy, RetentionError, RetentionReview, StoredFile
from archive.production import archive_class
from archive.retention import review_confirm, review_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today", "archive")]  # today: 23.11.2026

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
ACT = "Акт № 3 от 24.11.2031"


@pytest.fixture
def copies(school_class, journal, deputy) -> list[ArchiveCopy]:
    """5А's quarter I archived on 23.11.2026: the journal copy (kept until 23.11.2031) and the two summary
    sheets (until 23.11.2051)."""
    return archive_class(school_class, journal["period"], actor=deputy).copies


def _on(day: dt.date) -> time_machine.travel:
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 12, 0, tzinfo=MOSCOW), tick=False)


@pytest.fixture
def later() -> Iterator[None]:
    """Five years and a day after archiving: the journal copy's term is over, the sheets' is not."""
    with _on(dt.date(2031, 11, 24)):
        yield


def _on_disk(archive, name: str) -> list[bool]:  # noqa: ANN001
    return [(archive[key] / name).exists() for key in ("a", "b")]


def _names(review: RetentionReview) -> list[str]:
    return [f["name"] for f in review.files]


def test_nothing_is_due_on_the_day_of_archiving(copies):
    assert review_create().files == []
    with _on(dt.date(2031, 11, 22)):  # the day before the journal copy's term ends
        assert review_create().files == []
    assert RetentionReview.objects.count() == 2  # an empty yearly list is recorded too


def test_after_five_years_the_journal_copy_is_listed_but_not_the_summary_sheets(copies, later):
    journal_copy, marks, attendance = copies
    review = review_create()

    assert _names(review) == [journal_copy.file.name]
    assert review.files[0]["retain_until"] == "2031-11-23"
    assert review.files[0]["kind"] == "journal_copy"
    assert marks.file.retain_until == attendance.file.retain_until == dt.date(2051, 11, 23)
    assert review.confirmed_at is None and StoredFile.objects.count() == 3  # listed, nothing destroyed


def test_a_confirmation_needs_the_destruction_act(copies, administrator, archive, later):
    review = review_create()
    for act in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            review_confirm(review, actor=administrator, act=act)
        assert refused.value.messages == ["Укажите номер и дату акта об уничтожении."]
    review.refresh_from_db()
    assert review.confirmed_at is None
    assert _on_disk(archive, copies[0].file.name) == [True, True]


def test_the_confirmed_list_destroys_exactly_the_journal_copy_in_both_storages(
    client, copies, administrator, deputy, archive, later, django_capture_on_commit_callbacks
):
    journal_copy, marks, attendance = copies
    name = journal_copy.file.name
    review = review_create()

    with django_capture_on_commit_callbacks(execute=True):
        assert review_confirm(review, actor=administrator, act=ACT) == 1

    assert _on_disk(archive, name) == [False, False]
    for sheet in (marks, attendance):
        assert _on_disk(archive, sheet.file.name) == [True, True]
    assert not StoredFile.objects.filter(name=name).exists()
    journal_copy.refresh_from_db()
    assert journal_copy.file is None  # the registry keeps its row
    review.refresh_from_db()
    assert (review.confirmed_by, review.act, review.destroyed) == (administrator, ACT, 1)

    client.force_login(deputy)
    html = client.get(reverse("archive")).content.decode()
    row = html.split(f'data-testid="copy-{journal_copy.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "уничтожен по истечении срока хранения" in row
    assert reverse("archive_copy_download", args=[journal_copy.pk]) not in row
    assert client.get(reverse("archive_copy_download", args=[journal_copy.pk])).status_code == 404
    assert (
        "уничтожен по истечении срока хранения"
        in client.get(reverse("archive_copy", args=[journal_copy.pk])).content.decode()
    )

    with pytest.raises(ValidationError) as refused:
        review_confirm(review, actor=administrator, act="Акт № 4")
    assert refused.value.messages == ["Этот список уже подтверждён."]
    review.refresh_from_db()
    assert review.act == ACT


def test_a_file_cannot_be_deleted_before_its_term(copies, archive):
    stored = copies[0].file
    with pytest.raises(RetentionError) as refused:
        stored.delete()
    assert refused.value.messages == [f"«{stored.name}» хранится до 23.11.2031 (R24): удалить его раньше нельзя."]
    with pytest.raises(RetentionError):
        StoredFile.objects.filter(pk=stored.pk).delete()
    assert StoredFile.objects.filter(pk=stored.pk).exists()
    assert _on_disk(archive, stored.name) == [True, True]


def test_the_administrator_confirms_the_list_on_the_backups_page(
    client, copies, administrator, deputy, secretary, archive, later, django_capture_on_commit_callbacks
):
    name = copies[0].file.name
    review = review_create()
    url = reverse("archive_retention_confirm", args=[review.pk])

    for other in (deputy, secretary):
        client.force_login(other)
        assert client.post(url, {"act": ACT}).status_code == 404
    client.force_login(administrator)
    page = client.get(reverse("archive_backups")).content.decode()
    assert "Подтвердить и уничтожить" in page and name in page
    response = client.post(url, {"act": ""}, follow=True)
    assert "Укажите номер и дату акта об уничтожении." in response.content.decode()
    assert _on_disk(archive, name) == [True, True]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"act": ACT}, follow=True)
    assert response.redirect_chain == [(reverse("archive_backups"), 302)]
    html = response.content.decode()
    assert "Уничтожено файлов: 1." in html
    assert f"(акт {ACT}): уничтожено 1." in html
    assert "Подтвердить и уничтожить" not in html
    assert _on_disk(archive, name) == [False, False]

    response = client.post(url, {"act": "Акт № 4"}, follow=True)
    assert "Этот список уже подтверждён." in response.content.decode()


def test_the_list_is_made_every_year_by_the_scheduler(copies, later):
    from archive.tasks import retention_review
    from journal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["retention-review"]
    assert entry["task"] == "archive.retention_review" == retention_review.name
    assert "archive.retention_review" in app.tasks  # the worker knows it by that name
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert (schedule.month_of_year, schedule.day_of_month) == ({7}, {1})

    review = RetentionReview.objects.get(pk=retention_review())
    assert _names(review) == [copies[0].file.name]
