"""Transfers in the REST API: the peer instances a dossier may go to, a dossier's transfers,
and the transfer action (the same service as the staff page)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from motcua.core import audit
from motcua.core.access import demand
from motcua.core.errors import MotcuaError
from motcua.core.schemas import responses
from motcua.dossiers import selectors as dossier_selectors
from motcua.interop.models import Peer, Transfer
from motcua.interop.transfers import selectors, services

router = Router()


class PeerOut(Schema):
    id: int
    name: str
    base_url: str


class TransferIn(Schema):
    peer: int = Field(description="The peer instance's id (GET /transfers/peers).")
    note: str = Field("", max_length=1000)
    revision: int | None = Field(
        None, description="The dossier's revision as read; a stale one is refused (409)."
    )


class TransferOut(Schema):
    envelope_id: uuid.UUID
    direction: str
    peer: str
    state: str
    remote_code: str = Field(description="The dossier's code at the peer, once acknowledged.")
    error: str
    created_at: dt.datetime
    answered_at: dt.datetime | None

    @staticmethod
    def resolve_peer(obj: Transfer) -> str:
        return obj.peer.base_url


@router.get("/peers", response=responses(list[PeerOut]), url_name="transfer_peers")
def peers(request: HttpRequest) -> list[Peer]:
    demand(request, "dossier.view")
    return list(selectors.active_peers())


@router.get(
    "/dossiers/{code}", response=responses(list[TransferOut], 404), url_name="dossier_transfers"
)
def dossier_transfers(request: HttpRequest, code: str) -> list[Transfer]:
    principal = demand(request, "dossier.view")
    dossier = dossier_selectors.dossier_for(principal, code, request=request)
    return list(selectors.transfers_of(dossier))


@router.post(
    "/dossiers/{code}", response=responses(TransferOut, 404, 409), url_name="dossier_transfer"
)
def transfer(request: HttpRequest, code: str, payload: TransferIn) -> Transfer:
    """Transfer a received dossier to another motcua instance (the competent agency's
    leader); the envelope is sent after commit."""
    principal = demand(request, "dossier.view")
    dossier = dossier_selectors.dossier_for(principal, code, request=request)
    peer = selectors.active_peers().filter(pk=payload.peer).first()
    if peer is None:
        raise MotcuaError(fields={"peer": [_("No such peer instance.")]})
    return services.transfer_dossier(
        dossier=dossier,
        peer=peer,
        actor=request.user,
        note=payload.note,
        revision=payload.revision,
        ip=audit.client_ip(request),
    )
