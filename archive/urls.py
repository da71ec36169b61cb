from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="archive"),
    path("copies/<int:pk>/", views.copy_detail, name="archive_copy"),
    path("copies/<int:pk>/download/", views.copy_download, name="archive_copy_download"),
    path("runs/", views.run_new, name="archive_run_new"),
    path("runs/<int:pk>/", views.run_detail, name="archive_run"),
    path("backups/", views.backups, name="archive_backups"),
    path("backups/new/", views.backup_new, name="archive_backup_new"),
    path("backups/<int:pk>/download/", views.backup_get, name="archive_backup_download"),
    path("backups/verify/", views.verify_now, name="archive_verify"),
    path("retention/<int:pk>/confirm/", views.review_confirm_view, name="archive_retention_confirm"),
]
