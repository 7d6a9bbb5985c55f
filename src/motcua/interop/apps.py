from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    name = "motcua.interop"
    verbose_name = _("Connectivity")

    def ready(self) -> None:
        from motcua.interop import sinks

        sinks.load()
