"""``/office/imports/`` — imports and exports of staff, students with parents, classes, groups, the timetable
and the КТП (issue 7 §4)."""

from django.urls import path

from . import views_imports as views

urlpatterns = [
    path("", views.imports, name="office_imports"),
    path("template/<slug:shape>.<slug:fmt>", views.import_template, name="office_import_template"),
    path("export/<slug:shape>.<slug:fmt>", views.import_export, name="office_import_export"),
    path("preview/", views.import_preview, name="office_import_preview"),
    path("confirm/", views.import_confirm, name="office_import_confirm"),
]
