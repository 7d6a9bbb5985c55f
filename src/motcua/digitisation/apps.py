from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DigitisationConfig(AppConfig):
    name = "motcua.digitisation"
    verbose_name = _("Digitisation and document store")
