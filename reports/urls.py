from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="reports"),
    path("run/", views.run, name="reports_new"),
    path("runs/<int:pk>/", views.run_detail, name="reports_run"),
    path("runs/<int:pk>/tables/<str:key>/", views.run_table, name="reports_table"),
    path("runs/<int:pk>/export/", views.run_export, name="reports_export"),
    path("runs/<int:pk>/remarks/", views.run_remarks, name="reports_remarks"),
]
