"""Reads for transfers: the peers a dossier may go to, and a dossier's transfers."""

from __future__ import annotations

from django.db.models import QuerySet

from motcua.dossiers.models import Dossier
from motcua.interop.models import Peer, Transfer


def active_peers() -> QuerySet[Peer]:
    return Peer.objects.filter(active=True).order_by("name")


def transfers_of(dossier: Dossier) -> QuerySet[Transfer]:
    """Every transfer of a dossier the caller may already see (selectors.dossier_for)."""
    return dossier.transfers.select_related("peer").order_by("-pk")
