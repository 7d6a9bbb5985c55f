"""Dossier flows the monitoring tests share."""

from __future__ import annotations

from motcua.dossiers import processing, results
from motcua.dossiers.models import Dossier, Result
from tests.org import Org


def processed(org: Org, dossier: Dossier) -> Dossier:
    """Handled, approved, signed and returned within the morning (early)."""
    users = org.users
    processing.assign_handler(
        dossier=dossier, assignee=users["officer_stp"], actor=users["leader_stp"]
    )
    processing.propose(dossier=dossier, decision="grant", note="", actor=users["officer_stp"])
    dossier = processing.approve(dossier=dossier, actor=users["leader_stp"])
    results.sign_result(Result.objects.get(dossier=dossier).pk)
    return processing.return_result(
        dossier=dossier, method="counter", actor=users["counter_halong"]
    )
