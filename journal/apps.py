from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JournalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "journal"
    verbose_name = _("School structure and journal")

    def ready(self) -> None:
        from . import diary_cache

        diary_cache.connect()
