"""``/office/timetable/`` — bells, the weekly timetable, lessons from it, substitutions, transfers and
cancellations (issue 7 point 3, R12)."""

from django.urls import path

from . import views_timetable as views

urlpatterns = [
    path("", views.timetable, name="office_timetable"),
    path("slots/add/", views.slot_add, name="office_timetable_slot_add"),
    path("slots/<int:pk>/end/", views.slot_end, name="office_timetable_slot_end"),
    path("slots/<int:pk>/remove/", views.slot_remove, name="office_timetable_slot_remove"),
    path("generate/", views.generate, name="office_timetable_generate"),
    path("bells/", views.bells, name="office_timetable_bells"),
    path("substitutions/", views.substitutions, name="office_substitutions"),
    path("substitutions/add/", views.substitution_add, name="office_substitution_add"),
    path("substitutions/<int:pk>/end/", views.substitution_end, name="office_substitution_end"),
    path("lessons/", views.lessons, name="office_timetable_lessons"),
    path("lessons/<int:pk>/transfer/", views.lesson_transfer, name="office_lesson_transfer"),
    path("lessons/<int:pk>/cancel/", views.lesson_cancel, name="office_lesson_cancel"),
]
