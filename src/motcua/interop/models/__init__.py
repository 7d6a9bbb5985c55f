"""The interop app's models, one module per part."""

from motcua.interop.models.clients import ApiCall, ApiClient, Authorisation
from motcua.interop.models.outbox import Delivery, OutboxEvent
from motcua.interop.models.portal import PortalDossier, PortalProcedure, PulledSubmission
from motcua.interop.models.transfers import Peer, Transfer, TransferUpdate
from motcua.interop.models.webhooks import Subscription

__all__ = ["ApiCall", "ApiClient", "Authorisation", "Delivery", "OutboxEvent"]
__all__ += ["PortalDossier", "PortalProcedure", "PulledSubmission"]
__all__ += ["Peer", "Transfer", "TransferUpdate"]
__all__ += ["Subscription"]
