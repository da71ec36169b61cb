from django.urls import path

from . import views

urlpatterns = [
    path("", views.inbox, name="messages_inbox"),
    path("new/", views.thread_new, name="messages_new"),
    path("<int:pk>/", views.thread_detail, name="messages_thread"),
    path("attachments/<int:pk>/", views.attachment_download, name="messages_attachment"),
    path("announcements/", views.announcements, name="messages_announcements"),
    path("settings/", views.notification_settings, name="messages_settings"),
]
