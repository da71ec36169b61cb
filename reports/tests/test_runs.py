"""Running reports (issue 5, points 4 and 5): who may run and read which report, the stored run with its
progress and result, idempotence, failures, and the XLSX / CSV / PDF exports holding the page's numbers.

The computation here is a tiny stand-in (the real ones are tested in test_monthly.py / test_period.py);
the Celery worker test in test_worker.py runs a real report end to end. Inside a test's transaction no
task is queued (on_commit never fires), so the tests call the task's body, ``report_execute``, as the
worker would.
"""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied

from reports import registry
from reports.models import ReportRun, ReportStatus
from reports.registry import ReportKind
from reports.services import report_execute, report_request
from reports.tables import Document, Row, Table

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]
CALLS: list[dict] = []


def stand_in(school, params, progress):  # noqa: ANN001, ANN201 - the report computation's signature
    CALLS.append(params)
    progress(50)
    if params.get("month") == "2026-13":
        raise ValueError("no such month")
    return Document(
        title="Тестовый отчёт",
        subtitle=school.short_name,
        tables=[
            Table(
                "main",
                "Учителя",
                ["Учитель", "Уроков", "Без темы, %"],
                [Row(["Петрова", 12, 8.3], drill="detail"), Row(["Итого", 12, 8.3], emphasis="total")],
            ),
            Table("detail", "Уроки без темы", ["Дата"], [Row(["05.11.2026"])], detail=True),
        ],
    )


@pytest.fixture(autouse=True)
def _stand_in(monkeypatch):
    CALLS.clear()
    kinds = dict(registry.KINDS)
    kinds["monthly"] = ReportKind(
        "monthly", "Анализ", "reports.tests.test_runs.stand_in", ("month", "class"), "teacher", pdf=True
    )
    monkeypatch.setattr(registry, "KINDS", kinds)
    monkeypatch.setattr("reports.services.KINDS", kinds)
    monkeypatch.setattr("reports.views.KINDS", kinds)


def _run(user, school, **params):
    run = report_request(actor=user, school=school, kind="monthly", params={"month": "2026-10", **params})
    report_execute(run.pk)
    run.refresh_from_db()
    return run


def test_the_deputy_runs_a_report_and_reads_its_tables(client, deputy, school):  # R20
    client.force_login(deputy)
    response = client.post("/reports/run/", {"kind": "monthly", "month": "2026-10", "school": school.pk})
    run = ReportRun.objects.get()
    assert response.status_code == 302 and response.url == f"/reports/runs/{run.pk}/"
    page = client.get(response.url).content.decode()
    assert 'data-testid="run-status"' in page and 'hx-trigger="every 1s"' in page  # queued: the page polls
    assert report_execute(run.pk) == ReportStatus.DONE
    page = client.get(response.url).content.decode()
    assert "Тестовый отчёт" in page and "Петрова" in page and "8,3" in page
    assert f'href="/reports/runs/{run.pk}/tables/detail/"' in page and "05.11.2026" not in page
    assert "05.11.2026" in client.get(f"/reports/runs/{run.pk}/tables/detail/").content.decode()
    polled = client.get(response.url, headers={"HX-Request": "true"})
    assert polled.status_code == 204 and polled["HX-Refresh"] == "true"


def test_the_same_report_is_one_run_until_it_is_counted_again(deputy, school):  # R22
    first = _run(deputy, school)
    again = report_request(actor=deputy, school=school, kind="monthly", params={"month": "2026-10"})
    assert again.pk == first.pk and again.status == ReportStatus.DONE and len(CALLS) == 1
    assert report_execute(first.pk) == ReportStatus.DONE and len(CALLS) == 1  # a task delivered twice
    refreshed = report_request(actor=deputy, school=school, kind="monthly", params={"month": "2026-10"}, refresh=True)
    assert refreshed.pk == first.pk and refreshed.status == ReportStatus.QUEUED
    report_execute(first.pk)
    assert len(CALLS) == 2 and ReportRun.objects.count() == 1


def test_a_failed_report_says_why_and_can_be_asked_again(client, deputy, school):
    run = _run(deputy, school, month="2026-13")
    assert run.status == ReportStatus.FAILED and "no such month" in run.error
    client.force_login(deputy)
    assert "no such month" in client.get(f"/reports/runs/{run.pk}/").content.decode()
    again = report_request(actor=deputy, school=school, kind="monthly", params={"month": "2026-13"})
    assert again.status == ReportStatus.QUEUED


def test_a_teacher_gets_the_analysis_of_their_own_groups_only(client, teacher, deputy, school):  # R20
    own = _run(teacher, school)
    assert own.params == {"month": "2026-10", "teacher": teacher.pk} and CALLS[-1]["teacher"] == teacher.pk
    school_wide = _run(deputy, school)
    client.force_login(teacher)
    assert client.get(f"/reports/runs/{own.pk}/").status_code == 200
    assert client.get(f"/reports/runs/{school_wide.pk}/").status_code == 404


def test_a_class_teacher_runs_the_reports_of_the_led_class_only(class_teacher, school, school_class, parallel_class):
    run = _run(class_teacher, school, **{"class": school_class.pk})
    assert run.params["class"] == school_class.pk
    with pytest.raises(PermissionDenied):
        report_request(
            actor=class_teacher, school=school, kind="monthly", params={"month": "2026-10", "class": parallel_class.pk}
        )


@pytest.mark.parametrize("persona", ["parent", "student_user", "secretary"])
def test_families_see_no_report(client, request, persona, deputy, school):  # R15
    run = _run(deputy, school)
    client.force_login(request.getfixturevalue(persona))
    for url in ("/reports/", f"/reports/runs/{run.pk}/", f"/reports/runs/{run.pk}/export/?format=xlsx"):
        assert client.get(url).status_code == 404, url
    assert client.post("/reports/run/", {"kind": "monthly", "month": "2026-10"}).status_code == 404


def test_another_schools_deputy_sees_only_their_own_school(client, outsider, deputy, school, other_school):  # R15
    run = _run(deputy, school)
    client.force_login(outsider)
    index = client.get("/reports/").content.decode()
    assert other_school.short_name in index and school.short_name not in index
    for url in (f"/reports/runs/{run.pk}/", f"/reports/runs/{run.pk}/export/?format=xlsx"):
        assert client.get(url).status_code == 404, url
    client.post("/reports/run/", {"kind": "monthly", "month": "2026-10", "school": school.pk})
    assert not ReportRun.objects.filter(school=school, requested_by=outsider).exists()


def test_exports_hold_the_numbers_of_the_page(client, deputy, school):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    run = _run(deputy, school)
    client.force_login(deputy)
    xlsx = client.get(f"/reports/runs/{run.pk}/export/?format=xlsx")
    assert "attachment" in xlsx["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content))["Учителя"]
    assert [c.value for c in sheet[2]] == ["Учитель", "Уроков", "Без темы, %"]
    assert [c.value for c in sheet[3]] == ["Петрова", 12, 8.3]
    csv = client.get(f"/reports/runs/{run.pk}/export/?format=csv&table=detail").content
    assert csv.startswith("\ufeff".encode()) and "05.11.2026" in csv.decode("utf-8-sig")
    pdf = client.get(f"/reports/runs/{run.pk}/export/?format=pdf")
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Тестовый отчёт" in text and "Петрова" in text and "05.11.2026" not in text  # drill tables stay out


def test_the_policy_is_edited_in_the_admin_and_used_by_the_reports(client, superuser, school):  # R6
    from reports.models import GradingPolicy
    from reports.policy import policy_for

    assert policy_for(school).min_marks("quarter", 1) == 3 and policy_for(school).grace(2) == 2  # defaults
    client.force_login(superuser)
    assert client.get("/admin/reports/gradingpolicy/add/").status_code == 200
    GradingPolicy.objects.create(school=school, min_marks_quarter_one_hour=4, grace_weeks=1)
    assert policy_for(school).min_marks("quarter", 1) == 4 and policy_for(school).grace(2) == 1
    assert client.get("/admin/reports/gradingpolicy/").status_code == 200
    assert client.get("/admin/reports/reportrun/").status_code == 200


def test_the_deputy_sends_the_remarks_to_the_teachers_with_a_date(client, deputy, teacher, school, monkeypatch):  # R20
    from messaging.models import Message

    def with_remarks(school, params, progress):  # noqa: ANN001, ANN202
        return Document(
            title="Анализ",
            tables=[
                Table("remarks", "Замечания учителям", ["Учитель", "Группа", "Замечания"], [
                    Row(["Петрова", "5А, математика", "2 урока без темы"], emphasis="warn",
                        ref={"teacher": teacher.pk, "group": 1}),
                    Row(["Петрова", "6Б, математика", "Замечаний нет"], ref={"teacher": teacher.pk, "group": 2}),
                ]),
            ],
        )  # fmt: skip

    monkeypatch.setattr("reports.tests.test_runs.stand_in", with_remarks)
    run = _run(deputy, school)
    client.force_login(deputy)
    assert 'data-testid="send-remarks"' in client.get(f"/reports/runs/{run.pk}/").content.decode()
    past = client.post(f"/reports/runs/{run.pk}/remarks/", {"fix_by": "2026-11-01"}, follow=True)
    assert "Срок исправления уже прошёл" in past.content.decode() and not Message.objects.exists()
    client.post(f"/reports/runs/{run.pk}/remarks/", {"fix_by": "2026-11-30"})
    message = Message.objects.get()
    assert "5А, математика: 2 урока без темы" in message.body and "30.11.2026" in message.body
    assert "6Б" not in message.body and message.thread.participants.filter(user=teacher).exists()
    client.force_login(teacher)  # a teacher reads their own analysis but does not send remarks
    assert client.post(f"/reports/runs/{run.pk}/remarks/", {"fix_by": "2026-11-30"}).status_code == 404


def test_a_chart_is_drawn_from_the_tables_own_numbers(client, deputy, school, monkeypatch):
    def charted(school, params, progress):  # noqa: ANN001, ANN202
        return Document(
            title="Анализ",
            tables=[
                Table("main", "Учителя", ["Учитель", "ДЗ, %"], [
                    Row(["<Петрова>", 75.0]), Row(["Соколов", 50.0]), Row(["Итого", 62.5], emphasis="total"),
                ], chart={"label": 0, "value": 1, "title": "ДЗ записано, %", "max": 100}),
            ],
        )  # fmt: skip

    monkeypatch.setattr("reports.tests.test_runs.stand_in", charted)
    run = _run(deputy, school)
    client.force_login(deputy)
    page = client.get(f"/reports/runs/{run.pk}/").content.decode()
    svg = page[page.index('<svg class="chart"') : page.index("</svg>")]
    assert "&lt;Петрова&gt;" in svg and "Соколов" in svg and "Итого" not in svg
    assert svg.count("<rect") == 2 and ">75<" in svg and ">50<" in svg


def test_a_stacked_chart_splits_each_bar_by_the_columns():
    from reports.charts import bar_chart

    table = Table("distribution", "Распределение", ["Класс", "«5»", "«4»"], [Row(["5А", 4, 0]), Row(["6Б", 1, 3])],
                  chart={"label": 0, "values": [1, 2]})  # fmt: skip
    svg = str(bar_chart(table))
    assert svg.count("<rect") == 2 + 3  # the legend's two squares and the three non-empty parts
    assert "<title>«5»: 4</title>" in svg and "<title>«4»: 3</title>" in svg and "«4»: 0" not in svg
