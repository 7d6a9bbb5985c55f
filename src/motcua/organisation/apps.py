from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationConfig(AppConfig):
    name = "motcua.organisation"
    label = "organisation"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from motcua.organisation import topics

        topics.register()
