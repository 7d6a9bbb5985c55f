"""The station under concurrency on PostgreSQL, with real threads each on its own connection:
a scan sent several times at once is one scan; confirmed twice at once, it is stored once;
a dossier's reuse of a stored document is logged once per dossier."""

from __future__ import annotations

from typing import Any

import pytest

from motcua.core.errors import Conflict
from motcua.digitisation import services
from motcua.digitisation.models import Digitisation, StoredDocument
from tests.digitisation.conftest import land_certificate_png, scanned
from tests.dossiers.test_concurrency import in_threads
from tests.org import Org

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_scan_sent_several_times_at_once_is_one_scan(processing_org: Org) -> None:
    png = land_certificate_png()
    ids = in_threads(8, lambda _: scanned(processing_org, png=png, read=False, key="k").pk, 8)
    assert len(set(ids)) == 1
    assert Digitisation.objects.count() == 1


def test_two_officers_confirming_at_once_store_one_document(processing_org: Org) -> None:
    item = scanned(processing_org)
    officers = [processing_org.users["counter_halong"], processing_org.users["manager_halong"]]

    def confirm(index: int) -> Any:
        try:
            return services.confirm_digitisation(
                item=Digitisation.objects.get(pk=item.pk),
                document_type="land_use_certificate",
                values=dict(item.fields),
                actor=officers[index % 2],
            ).pk
        except Conflict as conflict:
            return conflict.code

    outcomes = in_threads(4, confirm, workers=4)
    stored = [outcome for outcome in outcomes if isinstance(outcome, int)]
    assert len(stored) == 1
    assert sorted(o for o in outcomes if isinstance(o, str)) == ["illegal_transition"] * 3
    assert StoredDocument.objects.count() == 1
