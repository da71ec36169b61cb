"""``/office/students/`` — movement of students and the year-end rollover (issue 7 §5, R27)."""

from django.urls import path

from . import views_enrollment as views

urlpatterns = [
    path("", views.students, name="office_students"),
    path("admit/", views.student_admit, name="office_student_admit"),
    path("<int:pk>/", views.student_card, name="office_student"),
    path("<int:pk>/transfer/", views.student_transfer, name="office_student_transfer"),
    path("<int:pk>/leave/", views.student_leave, name="office_student_leave"),
    path("<int:pk>/admit/", views.student_readmit, name="office_student_readmit"),
    path("rollover/", views.rollover, name="office_rollover"),
    path("rollover/<int:pk>/undo/", views.rollover_undo, name="office_rollover_undo"),
]
