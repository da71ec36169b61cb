"""The archive pages (issue 6): the registry with its search and printout, a copy's download and signature
check, production runs with their progress, and the administrator's backups page.

Real PDFs, real signatures, real storages (the ``archive`` fixture's two directories); tasks go to a
Redis queue of the test's own, which no worker reads, so a test sees exactly what was queued.
"""

from __future__ import annotations

import io
import json
import os
import re
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from pypdf import PdfReader

from accounts.services import staff_role_grant
from archive.backup import backup_create
from archive.models import (
    ArchiveCopy,
    ArchiveRun,
    Backup,
    BackupAction,
    BackupUse,
    DocumentKind,
    RetentionReview,
    RunStatus,
)
from archive.production import archive_class, run_class, run_request
from grading.models import Mark
from grading.services import mark_set

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today", "archive")]  # today: 23.11.2026

KEEPERS = ["deputy", "secretary", "director", "administrator"]
STRANGERS = ["teacher", "class_teacher", "parent", "student_user", "outsider"]


@pytest.fixture
def copies(school_class, journal, deputy) -> list[ArchiveCopy]:
    """5А's quarter I archived by the deputy: the journal copy (№ 1), the marks (№ 2) and attendance (№ 3)."""
    return archive_class(school_class, journal["period"], actor=deputy).copies


@pytest.fixture
def queued(settings) -> Iterator[Any]:
    """The names of the tasks sent to Celery during the test (a queue of the test's own; no worker)."""
    from journal.celery import app

    name = f"test-archive-views-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    broker = redis.Redis.from_url(settings.REDIS_URL)
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = name

    def tasks() -> list[str]:
        # Kombu pushes to the head of the list: the oldest message is the last.
        return [json.loads(message)["headers"]["task"] for message in reversed(broker.lrange(name, 0, -1))]

    try:
        yield tasks
    finally:
        app.conf.task_default_queue = previous
        broker.delete(name)


@pytest.fixture
def backup(settings, tmp_path) -> Backup:
    """A real backup of the test database (pg_dump) in the archive fixture's storages."""
    settings.VAR_DIR = tmp_path  # the dump's scratch directory
    return backup_create(actor=None)


def _text(response) -> str:  # noqa: ANN001
    return response.content.decode()


def _row(html: str, copy: ArchiveCopy) -> str:
    found = re.search(rf'<tr data-testid="copy-{copy.pk}">(.*?)</tr>', html, re.S)
    assert found, f"copy № {copy.number} is not in the registry"
    return found.group(1)


def _numbers(response) -> list[int]:  # noqa: ANN001
    return [c.number for c, _state in response.context["rows"]]


def _filename(response) -> str:  # noqa: ANN001
    header = response["Content-Disposition"]
    assert header.startswith("attachment;")
    return urllib.parse.unquote(header.split("filename*=utf-8''", 1)[1])


def _corrupt(path) -> None:  # noqa: ANN001
    path.write_bytes(b"%PDF-1.7 not the archived file")


def _messages(response) -> list[str]:  # noqa: ANN001
    return [str(m) for m in response.context["messages"]]


# --- the registry ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("keeper", KEEPERS)
def test_the_registry_lists_the_signed_copies_to_each_archive_keeper(client, request, keeper, copies):
    client.force_login(request.getfixturevalue(keeper))
    response = client.get(reverse("archive"))

    assert response.status_code == 200
    html = _text(response)
    assert "Реестр архивных копий" in html
    assert _numbers(response) == [3, 2, 1]
    journal_copy = copies[0]
    row = _row(html, journal_copy)
    assert f">{journal_copy.number}</a>" in row
    assert "<td>копия журнала</td><td>5А</td><td>1 четверть 2026/2027</td>" in row
    assert f"<td>{journal_copy.version}</td><td>{journal_copy.pages}</td>" in row
    assert journal_copy.sha256[:16] in row
    assert escape(journal_copy.signer) in row
    assert "A: цела, B: цела" in row
    assert "действующая" in row
    assert "сводная ведомость успеваемости" in _row(html, copies[1])


@pytest.mark.parametrize("stranger", STRANGERS)
def test_nobody_else_reaches_a_page_or_a_write_of_the_archive(client, request, stranger, school, copies, deputy):
    user = request.getfixturevalue(stranger)
    q1 = copies[0].period
    run = run_request(actor=deputy, school=school, period=q1)
    item = Backup.objects.create(name="backups/2026/11/backup-x.dump", size=1, vendor="postgresql")
    review = RetentionReview.objects.create(files=[{"name": copies[0].file.name}])
    client.force_login(user)

    pages = [
        reverse("archive_copy", args=[copies[0].pk]),
        reverse("archive_copy", args=[copies[0].pk]) + "?verify=1",
        reverse("archive_copy_download", args=[copies[0].pk]),
        reverse("archive_run", args=[run.pk]),
        reverse("archive_backups"),
    ]
    if stranger != "outsider":  # the outsider has a registry: their own school's (below)
        pages.append(reverse("archive"))
    for url in pages:
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("archive_run", args=[run.pk]), HTTP_HX_REQUEST="true").status_code == 404
    writes = [
        (reverse("archive_run_new"), {"school": school.pk, "period": q1.pk, "class": copies[0].school_class_id}),
        (reverse("archive_backup_new"), {}),
        (reverse("archive_backup_download", args=[item.pk]), {}),
        (reverse("archive_verify"), {}),
        (reverse("archive_retention_confirm", args=[review.pk]), {"act": "Акт № 1 от 01.07.2032"}),
    ]
    for url, data in writes:
        assert client.post(url, data).status_code == 404, url
    assert list(ArchiveRun.objects.all()) == [run]
    assert not BackupUse.objects.exists()
    review.refresh_from_db()
    assert review.confirmed_at is None


def test_the_deputy_of_another_school_sees_only_their_own_registry(client, school, other_school, copies, outsider):
    client.force_login(outsider)
    for url in (reverse("archive"), f"{reverse('archive')}?school={school.pk}"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.context["school"] == other_school
        assert _numbers(response) == []
        assert "Копий не найдено." in _text(response)
    response = client.post(reverse("archive_run_new"), {"school": school.pk, "period": copies[0].period_id})
    assert response.status_code == 404
    assert not ArchiveRun.objects.exists()


# --- search -------------------------------------------------------------------------------------------------


@pytest.fixture
def two_classes(copies, school_class, parallel_class, deputy) -> list[ArchiveCopy]:
    """5А (№ 1–3) and 6Б (№ 4–6) archived for quarter I."""
    return copies + archive_class(parallel_class, copies[0].period, actor=deputy).copies


def test_the_registry_finds_a_copy_by_number_class_and_checksum(client, deputy, two_classes):
    client.force_login(deputy)

    def found(**query: str) -> list[int]:
        response = client.get(reverse("archive"), query)
        assert response.status_code == 200
        return _numbers(response)

    # A number is the registry number, not the start of some copy's checksum.
    assert found(q="1") == [1]
    for copy in two_classes:  # a digit or two never means the start of a checksum
        start = copy.sha256[:2]
        if start.isdigit():
            assert found(q=start) == ([int(start)] if 1 <= int(start) <= 6 else []), start
    assert found(q="№ 5") == [5]
    assert found(q="5А") == [3, 2, 1]
    assert found(q="6б") == [6, 5, 4]
    assert found(q=two_classes[4].sha256[:12]) == [5]
    assert found(q=two_classes[4].sha256[:12].upper()) == [5]
    assert two_classes[0].signer.startswith("МБОУ «Средняя")
    assert found(q="средняя") == [6, 5, 4, 3, 2, 1]  # the signer
    assert found(kind=DocumentKind.JOURNAL) == [4, 1]
    assert found(q="7В") == []


def test_the_state_filter_tells_the_copies_corrected_after_archiving(client, deputy, student, copies):
    mark = Mark.objects.get(value=4)
    mark_set(
        actor=deputy,
        column=mark.column,
        student=student,
        text="5",
        expected_version=mark.version,
        reason="Ошибка ввода, служебная записка № 14",
    )
    client.force_login(deputy)

    outdated = client.get(reverse("archive"), {"state": "outdated"})
    assert 1 in _numbers(outdated)
    assert "устарела: исправления после сдачи в архив" in _row(_text(outdated), copies[0])
    assert 1 not in _numbers(client.get(reverse("archive"), {"state": "current"}))


def test_the_printed_registry_is_a_pdf_with_the_checksums(client, secretary, copies):
    client.force_login(secretary)
    response = client.get(reverse("archive"), {"format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Реестр архивных копий" in text
    flat = re.sub(r"\s+", "", text)
    for copy in copies:
        assert copy.sha256 in flat


def test_the_registry_page_makes_the_same_queries_for_more_classes(
    client, deputy, two_classes, school_class, year, django_assert_max_num_queries
):
    from journal.tests.factories import SchoolClassFactory

    client.force_login(deputy)
    url = reverse("archive")
    client.get(url)  # the session and the caches
    with CaptureQueriesContext(connection) as two:
        assert client.get(url).status_code == 200
    archive_class(SchoolClassFactory(year=year, grade=7, letter="В"), two_classes[0].period, actor=deputy)
    with django_assert_max_num_queries(14), CaptureQueriesContext(connection) as three:
        response = client.get(url)
    assert len(_numbers(response)) == 9
    assert len(three) == len(two)


# --- a copy: download and signature check ----------------------------------------------------------------


def test_a_copy_downloads_as_stored_with_a_russian_name(client, director, archive, copies):
    journal_copy = copies[0]
    client.force_login(director)
    response = client.get(reverse("archive_copy_download", args=[journal_copy.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    stored = (archive["a"] / journal_copy.file.name).read_bytes()
    assert response.content == stored
    assert _filename(response) == "Журнал 5А 1 четверть 2026-2027 v1.pdf"


def test_a_damaged_copy_a_is_replaced_by_the_intact_copy_b(client, director, archive, copies):
    journal_copy = copies[0]
    stored = (archive["b"] / journal_copy.file.name).read_bytes()
    _corrupt(archive["a"] / journal_copy.file.name)
    client.force_login(director)

    response = client.get(reverse("archive_copy_download", args=[journal_copy.pk]))
    assert response.status_code == 200
    assert response.content == stored
    detail = client.get(reverse("archive_copy", args=[journal_copy.pk]))
    assert "A: повреждена, B: цела" in _text(detail)


def test_the_signature_check_says_the_copy_is_as_signed(client, secretary, copies):
    client.force_login(secretary)
    response = client.get(reverse("archive_copy", args=[copies[0].pk]), {"verify": "1"})

    assert response.status_code == 200
    assert response.context["verification"].valid
    assert "Подпись действительна: файл в точности такой, каким его подписал" in _text(response)


def test_with_both_copies_damaged_the_page_says_so_instead_of_failing(client, secretary, archive, copies):
    journal_copy = copies[0]
    for key in ("a", "b"):
        _corrupt(archive[key] / journal_copy.file.name)
    client.force_login(secretary)

    response = client.get(reverse("archive_copy", args=[journal_copy.pk]), {"verify": "1"})
    assert response.status_code == 200
    html = _text(response)
    assert "Подпись не удаётся проверить (копия A: повреждена, копия B: повреждена)." in _messages(response)
    assert "A: повреждена, B: повреждена" in html  # the storages line says it too
    assert "Подпись действительна" not in html

    response = client.get(reverse("archive_copy_download", args=[journal_copy.pk]), follow=True)
    assert response.redirect_chain == [(reverse("archive_copy", args=[journal_copy.pk]), 302)]
    assert "Копия A: повреждена, копия B: повреждена" in _messages(response)


# --- production runs ---------------------------------------------------------------------------------------


def test_the_deputy_starts_a_run_for_a_period_that_has_ended(client, deputy, school, school_class, journal):
    client.force_login(deputy)
    q1 = journal["period"]
    response = client.post(reverse("archive_run_new"), {"school": school.pk, "period": q1.pk, "class": school_class.pk})

    run = ArchiveRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("archive_run", args=[run.pk])
    assert (run.status, run.period, run.school_class, run.requested_by) == (RunStatus.QUEUED, q1, school_class, deputy)


def test_a_run_of_a_period_not_over_is_refused_in_russian(client, deputy, school, school_class, quarters):
    client.force_login(deputy)
    response = client.post(
        reverse("archive_run_new"),
        {"school": school.pk, "period": quarters[1].pk, "class": school_class.pk},
        follow=True,
    )

    assert response.redirect_chain == [(f"{reverse('archive')}?school={school.pk}", 302)]
    assert "2 четверть 2026/2027 заканчивается 28.12.2026: период сдаётся в архив после его окончания." in _text(
        response
    )
    assert not ArchiveRun.objects.exists()


def test_a_run_needs_a_period(client, deputy, school, quarters):
    client.force_login(deputy)
    response = client.post(reverse("archive_run_new"), {"school": school.pk, "period": ""}, follow=True)
    assert "Выберите период для архива." in _text(response)
    assert not ArchiveRun.objects.exists()


def test_a_period_or_class_of_another_school_is_not_found(client, deputy, school, quarters, school_class, other_class):
    from journal.models import StudyPeriod

    foreign = StudyPeriod.objects.create(
        year=other_class.year, kind="quarter", number=1, start=quarters[0].start, end=quarters[0].end
    )
    client.force_login(deputy)
    url = reverse("archive_run_new")
    assert client.post(url, {"school": school.pk, "period": foreign.pk}).status_code == 404
    assert client.post(url, {"school": school.pk, "period": quarters[0].pk, "class": other_class.pk}).status_code == 404
    assert client.post(url, {"school": school.pk, "period": quarters[0].pk, "class": "5А"}).status_code == 404
    assert not ArchiveRun.objects.exists()


@pytest.mark.parametrize("reader", ["secretary", "director"])
def test_who_reads_the_registry_does_not_start_runs(client, request, reader, school, school_class, quarters):
    client.force_login(request.getfixturevalue(reader))
    response = client.post(
        reverse("archive_run_new"), {"school": school.pk, "period": quarters[0].pk, "class": school_class.pk}
    )
    assert response.status_code == 404
    assert not ArchiveRun.objects.exists()


def test_the_run_page_shows_progress_then_the_copies(client, deputy, school, school_class, journal):
    run = run_request(actor=deputy, school=school, period=journal["period"], school_class=school_class)
    client.force_login(deputy)
    url = reverse("archive_run", args=[run.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert "в очереди: классов готово: 0 из 1" in _text(page)
    partial = client.get(url, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    html = _text(partial).strip()
    assert html.startswith('<div id="run-status"') and "<html" not in html
    assert f'hx-get="{url}"' in html

    run_class(run.pk, school_class.pk)

    finished = client.get(url, HTTP_HX_REQUEST="true")
    assert finished.status_code == 204
    assert finished["HX-Refresh"] == "true"
    page = client.get(url)
    assert "готов: классов готово: 1 из 1" in _text(page)
    assert "hx-get" not in _text(page)
    copies = ArchiveCopy.objects.filter(run=run).order_by("number")
    assert sorted(c.number for c, _state in page.context["rows"]) == [c.number for c in copies] == [1, 2, 3]


# --- backups -----------------------------------------------------------------------------------------------


def test_the_administrator_manages_backups_and_the_secretary_reads(client, administrator, secretary, queued):
    client.force_login(administrator)
    html = _text(client.get(reverse("archive_backups")))
    assert "Сделать резервную копию сейчас" in html and "Проверить сейчас" in html

    response = client.post(reverse("archive_backup_new"), follow=True)
    assert response.redirect_chain == [(reverse("archive_backups"), 302)]
    assert "Резервное копирование запущено; копия появится в списке, когда будет записана." in _messages(response)
    response = client.post(reverse("archive_verify"), follow=True)
    assert "Проверка целостности запущена; её результат появится в списке." in _messages(response)
    assert queued() == ["archive.backup", "archive.verify_storages"]

    client.force_login(secretary)
    response = client.get(reverse("archive_backups"))
    assert response.status_code == 200
    html = _text(response)
    assert "Журнал использования резервных копий" in html
    assert "Сделать резервную копию сейчас" not in html and "Проверить сейчас" not in html
    for url in (reverse("archive_backup_new"), reverse("archive_verify")):
        assert client.post(url).status_code == 404
    assert queued() == ["archive.backup", "archive.verify_storages"]


def test_a_one_school_administrator_downloads_a_backup_and_the_download_is_recorded(
    client, administrator, archive, backup
):
    client.force_login(administrator)
    assert "Скачать" in _text(client.get(reverse("archive_backups")))

    response = client.post(reverse("archive_backup_download", args=[backup.pk]))
    assert response.status_code == 200
    assert response.content == (archive["a"] / backup.name).read_bytes()
    assert response["Content-Disposition"].startswith("attachment;")
    use = BackupUse.objects.get()
    assert (use.backup, use.user, use.action, use.ok) == (backup, administrator, BackupAction.DOWNLOAD, True)
    assert "скачивание" in _text(client.get(reverse("archive_backups")))


def test_a_backup_without_an_intact_copy_is_not_handed_out(client, administrator, archive, backup):
    for key in ("a", "b"):
        (archive[key] / backup.name).write_bytes(b"not a dump")
    client.force_login(administrator)
    response = client.post(reverse("archive_backup_download", args=[backup.pk]), follow=True)

    assert response.redirect_chain == [(reverse("archive_backups"), 302)]
    assert "Копия A: повреждена, копия B: повреждена" in _messages(response)
    assert not BackupUse.objects.exists()


def test_in_a_district_only_the_superuser_downloads_a_backup(
    client, school, other_school, administrator, superuser, archive, backup
):
    client.force_login(administrator)
    page = _text(client.get(reverse("archive_backups")))
    assert "скачать её может только суперпользовате" in page
    assert reverse("archive_backup_download", args=[backup.pk]) not in page
    assert client.post(reverse("archive_backup_download", args=[backup.pk])).status_code == 403
    assert not BackupUse.objects.exists()

    staff_role_grant(actor=None, user=superuser, school=school, role="administrator")
    client.force_login(superuser)
    response = client.post(reverse("archive_backup_download", args=[backup.pk]))
    assert response.status_code == 200
    assert response.content == (archive["b"] / backup.name).read_bytes()
    assert BackupUse.objects.get().user == superuser


# --- the forms' protocol -------------------------------------------------------------------------------------


def test_every_write_refuses_get_and_needs_the_csrf_token(administrator, school, quarters, school_class):
    review = RetentionReview.objects.create(files=[])
    item = Backup.objects.create(name="backups/2026/11/backup-y.dump", size=1, vendor="postgresql")
    writes = [
        reverse("archive_run_new"),
        reverse("archive_backup_new"),
        reverse("archive_backup_download", args=[item.pk]),
        reverse("archive_verify"),
        reverse("archive_retention_confirm", args=[review.pk]),
    ]
    client = Client(enforce_csrf_checks=True)
    client.force_login(administrator)
    for url in writes:
        assert client.get(url).status_code == 405, url
        assert client.post(url, {"act": "Акт № 1"}).status_code == 403, url
    response = client.post(
        reverse("archive_run_new"), {"school": school.pk, "period": quarters[0].pk, "class": school_class.pk}
    )
    assert response.status_code == 403
    assert not ArchiveRun.objects.exists()
