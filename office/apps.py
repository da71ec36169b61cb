from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficeConfig(AppConfig):
    """The school office (issue 7): setting up and running a school year without a developer."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "office"
    verbose_name = _("school office")
