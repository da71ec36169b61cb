from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Users and access")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (records logins for the activity log)
