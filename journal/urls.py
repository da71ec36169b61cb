from django.contrib import admin
from django.urls import include, path

from . import views, views_class, views_diary, views_grid, views_lesson, views_plan

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
    path("diary/", views_diary.diary_week, name="diary"),
    path("diary/marks/", views_diary.diary_marks, name="diary_marks"),
    path("diary/timetable/", views_diary.diary_timetable, name="diary_timetable"),
    path("diary/acknowledge/", views_diary.diary_acknowledge, name="diary_acknowledge"),
    path("diary/extract/", views_diary.diary_extract, name="diary_extract"),
    path("diary/classes/<int:pk>/", views_diary.diary_acknowledgements, name="diary_acknowledgements"),
    path("diary/classes/<int:pk>/extract/", views_diary.class_extract, name="diary_class_extract"),
    # --- the class teacher's desk (journal/views_class.py) ---
    path("class/", views_class.class_desk, name="class_desk"),
    path("class/<int:pk>/", views_class.class_detail, name="class_detail"),
    path("class/<int:pk>/students/<int:student_id>/", views_class.class_student, name="class_student"),
    path("class/<int:pk>/parents/<int:user_id>/", views_class.class_parent, name="class_parent"),
    path("class/<int:pk>/consent/", views_class.class_consent, name="class_consent"),
    path("class/<int:pk>/attendance/", views_class.class_attendance, name="class_attendance"),
    path(
        "class/<int:pk>/attendance/absences/<int:absence_id>/",
        views_class.class_absence_reason,
        name="class_absence_reason",
    ),
    path("class/<int:pk>/attendance/range/", views_class.class_absence_range, name="class_absence_range"),
    path("class/<int:pk>/slips/", views_class.class_slips, name="class_slips"),
    path("class/<int:pk>/slips/reset/<int:user_id>/", views_class.class_password_reset, name="class_password_reset"),
    # --- messages and announcements (messaging/urls.py) ---
    path("messages/", include("messaging.urls")),
    path("reports/", include("reports.urls")),
    path("archive/", include("archive.urls")),
    path("office/", include("office.urls")),
    path("accounts/", include("accounts.urls")),
    # Before the admin's own URLs, which would answer 404 for it.
    path("admin/health/", views.health_page, name="health"),
    path("admin/", admin.site.urls),
]

# Uploaded files are never served as /media/: each download goes through a view that checks who asks.
