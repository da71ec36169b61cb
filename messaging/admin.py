from django.contrib import admin

from .models import Announcement, Message, NotificationLog, NotificationPreference, Thread, ThreadParticipant


class ParticipantInline(admin.TabularInline):
    model = ThreadParticipant
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ("subject", "kind", "school", "created_by", "last_message_at")
    list_filter = ("kind", "school")
    raw_id_fields = ("created_by", "student")
    inlines = [ParticipantInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("thread", "sender", "at")
    raw_id_fields = ("thread", "sender", "note")


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ("title", "school", "audience", "school_class", "author", "published_at")
    list_filter = ("audience", "school")
    raw_id_fields = ("author", "school_class")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "email_messages", "daily_digest", "updated_at")
    raw_id_fields = ("user",)


@admin.register(NotificationLog)
class NotificationLogAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "key", "email", "sent_at")
    list_filter = ("kind",)
    raw_id_fields = ("user",)
