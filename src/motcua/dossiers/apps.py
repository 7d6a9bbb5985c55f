from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "motcua.dossiers"
    label = "dossiers"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        from motcua.dossiers.receivers import financial_obligation_settled
        from motcua.payments.signals import payment_settled

        payment_settled.connect(financial_obligation_settled, dispatch_uid="dossiers.financial")
