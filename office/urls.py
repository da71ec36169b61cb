"""``/office/`` — the school office (issue 7). Each area keeps its own URL module."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.index, name="office"),
    path("changes/", views.changes, name="office_changes"),
    path("year/", include("office.urls_year")),
    path("timetable/", include("office.urls_timetable")),
    path("imports/", include("office.urls_imports")),
    path("students/", include("office.urls_enrollment")),
    path("accounts/", include("office.urls_accounts")),
]
