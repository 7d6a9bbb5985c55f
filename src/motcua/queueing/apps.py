from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueueingConfig(AppConfig):
    name = "motcua.queueing"
    label = "queueing"
    verbose_name = _("Reception and queues")

    def ready(self) -> None:
        from motcua.queueing import topics

        topics.register()
