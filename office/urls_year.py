"""``/office/year/`` — year set-up and the structure of a year (issue 7 points 1–2)."""

from django.urls import path

from . import views_year as views

urlpatterns = [
    path("", views.years, name="office_years"),
    path("create/", views.year_create, name="office_year_create"),
    path("<int:pk>/", views.year_detail, name="office_year"),
    path("<int:pk>/edit/", views.year_edit, name="office_year_edit"),
    path("<int:pk>/copy/", views.year_copy, name="office_year_copy"),
    path("<int:pk>/periods/", views.year_periods, name="office_year_periods"),
    path("<int:pk>/bands/", views.year_bands, name="office_year_bands"),
    path("<int:pk>/holidays/", views.holiday_add, name="office_holiday_add"),
    path("period/<int:pk>/", views.period_edit, name="office_period_edit"),
    path("holiday/<int:pk>/remove/", views.holiday_remove, name="office_holiday_remove"),
    path("structure/", views.structure, name="office_structure"),
    path("structure/<int:pk>/subject/", views.subject_add, name="office_subject_add"),
    path("structure/<int:pk>/class/", views.class_add, name="office_class_add"),
    path("structure/<int:pk>/group/", views.group_new, name="office_group_new"),
    path("structure/subject/<int:pk>/", views.subject_edit, name="office_subject_edit"),
    path("structure/class/<int:pk>/teacher/", views.class_teacher, name="office_class_teacher"),
    path("structure/class/<int:pk>/split/", views.class_split, name="office_class_split"),
    path("structure/group/<int:pk>/", views.group_detail, name="office_group"),
    path("structure/group/<int:pk>/edit/", views.group_edit, name="office_group_edit"),
    path("structure/group/<int:pk>/members/", views.group_members, name="office_group_members"),
    path("structure/group/<int:pk>/assign/", views.assignment_add, name="office_assignment_add"),
    path("structure/membership/<int:pk>/end/", views.membership_end, name="office_membership_end"),
    path("structure/assignment/<int:pk>/end/", views.assignment_end, name="office_assignment_end"),
]
