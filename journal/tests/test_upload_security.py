"""Uploaded files (issue 8, Security): checked by their content and size with a Russian message and nothing
saved lost; given back only through a view that checks who asks, as a download that no browser renders;
never reachable under MEDIA_URL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from journal.models import Homework, HomeworkAttachment, LessonStatus
from journal.services import homework_attachment_add, homework_set
from messaging.models import MessageAttachment, Thread

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]

TODAY = dt.date(2026, 11, 23)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><circle r="5"/></svg>'
DISGUISED = [
    ("lesson.pdf", HTML, "не файл PDF"),
    ("drawing.pdf", SVG, "не файл PDF"),
    ("drawing.png", SVG, "не файл PNG"),
    ("photo.jpg", HTML, "не файл JPG"),
    ("sound.webp", b"RIFF\x24\x00\x00\x00WAVEfmt ", "не файл WEBP"),
    ("page.html", HTML, "можно прикрепить только"),
    ("drawing.svg", SVG, "можно прикрепить только"),
]


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def lesson(make_lesson, teacher):
    return make_lesson(date=TODAY, number=2, status=LessonStatus.PLANNED, topic="", teacher=teacher)


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(("name", "content", "message"), DISGUISED)
def test_markup_disguised_as_a_document_is_refused_on_homework(client, teacher, lesson, media, name, content, message):
    client.force_login(teacher)
    response = client.post(
        f"/journal/lessons/{lesson.pk}/homework/",
        {"text": "Выучить правило", "files": [SimpleUploadedFile(name, content, "application/pdf")]},
    )
    html = response.content.decode()
    assert response.status_code == 422 and message in html
    assert "Выучить правило" in html  # what was typed is still in the form
    assert not Homework.objects.exists() and not _files(media)


@pytest.mark.parametrize(("name", "content", "message"), DISGUISED)
def test_markup_disguised_as_a_document_is_refused_in_messages(client, parent, teacher, media, name, content, message):
    client.force_login(parent)
    response = client.post(
        "/messages/new/",
        {
            "recipient": teacher.pk,
            "subject": "Справка",
            "body": "Прикладываю",
            "files": [SimpleUploadedFile(name, content)],
        },
    )
    assert response.status_code == 422 and message in response.content.decode()
    assert not Thread.objects.exists() and not _files(media)


def test_a_refused_file_keeps_the_saved_homework_and_its_files_and_writes_nothing(client, teacher, lesson, media):
    homework = homework_set(actor=teacher, lesson=lesson, text="Решить № 245")
    homework_attachment_add(actor=teacher, homework=homework, upload=SimpleUploadedFile("Задачи.pdf", PDF))
    stored = _files(media)
    client.force_login(teacher)
    response = client.post(
        f"/journal/lessons/{lesson.pk}/homework/",
        {
            "homework": homework.pk,
            "text": "Решить № 245 и № 246",
            "files": [SimpleUploadedFile("ещё.pdf", PDF), SimpleUploadedFile("page.pdf", HTML)],
        },
    )
    assert response.status_code == 422 and "«page.pdf»" in response.content.decode()
    homework.refresh_from_db()
    assert homework.text == "Решить № 245"
    assert list(homework.attachments.values_list("original_name", flat=True)) == ["Задачи.pdf"]
    assert _files(media) == stored  # the good first file of the refused request was not written either


def test_an_oversized_message_file_is_refused_with_the_limit(client, parent, teacher, media, settings):
    settings.UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    client.force_login(parent)
    big = SimpleUploadedFile("scan.pdf", PDF + b"0" * (2 * 1024 * 1024))
    response = client.post("/messages/new/", {"recipient": teacher.pk, "subject": "С", "body": "Т", "files": [big]})
    assert response.status_code == 422 and "больше 2 МБ" in response.content.decode()
    assert not MessageAttachment.objects.exists() and not _files(media)


def _assert_download_only(response, content: bytes) -> None:
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert b"".join(response.streaming_content) == content


def test_files_come_back_only_as_sandboxed_downloads_never_under_media(client, teacher, parent, lesson, media):
    homework = homework_set(actor=teacher, lesson=lesson, text="Решить № 245")
    attachment = homework_attachment_add(
        actor=teacher, homework=homework, upload=SimpleUploadedFile("notes.txt", b"<b>not markup here</b>")
    )
    client.force_login(parent)
    _assert_download_only(client.get(f"/journal/attachments/{attachment.pk}/"), b"<b>not markup here</b>")
    (stored,) = _files(media)
    relative = stored.relative_to(media).as_posix()
    assert client.get(f"/media/{relative}").status_code == 404
    assert client.get(f"/{relative}").status_code == 404
    assert HomeworkAttachment.objects.get().file.name == relative


def test_message_files_come_back_only_as_sandboxed_downloads(client, parent, teacher, media):
    client.force_login(parent)
    client.post(
        "/messages/new/",
        {"recipient": teacher.pk, "subject": "Справка", "body": "Т", "files": [SimpleUploadedFile("spr.pdf", PDF)]},
    )
    attachment = MessageAttachment.objects.get()
    client.force_login(teacher)
    _assert_download_only(client.get(f"/messages/attachments/{attachment.pk}/"), PDF)
