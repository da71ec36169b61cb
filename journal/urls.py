from django.contrib import admin
from django.urls import include, path

from . import views, views_grid, views_lesson, views_plan

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("journal/", views.journal_week, name="journal"),
    # --- the lesson page and its writes (journal/views_lesson.py) ---
    path("journal/lessons/<int:pk>/", views_lesson.lesson_detail, name="lesson"),
    path("journal/lessons/<int:pk>/cell/", views_lesson.lesson_cell, name="lesson_cell"),
    path("journal/lessons/<int:pk>/history/", views_lesson.lesson_history, name="lesson_history"),
    path("journal/lessons/<int:pk>/attendance/", views_lesson.lesson_attendance, name="lesson_attendance"),
    path("journal/lessons/<int:pk>/notes/", views_lesson.lesson_note, name="lesson_note"),
    path(
        "journal/lessons/<int:pk>/notes/<int:note_id>/delete/",
        views_lesson.lesson_note_remove,
        name="lesson_note_delete",
    ),
    path("journal/lessons/<int:pk>/topic/", views_lesson.lesson_topic, name="lesson_topic"),
    path("journal/lessons/<int:pk>/cancel/", views_lesson.lesson_cancel_view, name="lesson_cancel"),
    path("journal/lessons/<int:pk>/columns/", views_lesson.lesson_column_add, name="lesson_column_add"),
    path(
        "journal/lessons/<int:pk>/columns/<int:column_id>/fill/",
        views_lesson.lesson_column_fill,
        name="lesson_column_fill",
    ),
    path("journal/lessons/<int:pk>/homework/", views_lesson.lesson_homework, name="lesson_homework"),
    path(
        "journal/lessons/<int:pk>/homework/<int:homework_id>/delete/",
        views_lesson.lesson_homework_delete,
        name="lesson_homework_delete",
    ),
    path("journal/attachments/<int:pk>/", views_lesson.attachment_download, name="attachment"),
    # --- the journal grid (journal/views_grid.py) ---
    path("journal/groups/<int:pk>/", views_grid.group_grid, name="group_grid"),
    path("journal/groups/<int:pk>/period-mark/", views_grid.group_period_mark, name="group_period_mark"),
    path("journal/groups/<int:pk>/history/", views_grid.group_history, name="group_history"),
    # --- КТП, the calendar-thematic plan (journal/views_plan.py) ---
    path("journal/groups/<int:pk>/plan/", views_plan.plan, name="plan"),
    path("journal/groups/<int:pk>/plan/import/", views_plan.plan_import, name="plan_import"),
    path("journal/groups/<int:pk>/plan/export/", views_plan.plan_export, name="plan_export"),
    # --- the diary (journal/views_diary.py) ---
    # --- the class teacher's desk (journal/views_class.py) ---
    # --- messages and announcements (messaging/urls.py) ---
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

# Uploaded files are never served as /media/: each download goes through a view that checks who asks.
