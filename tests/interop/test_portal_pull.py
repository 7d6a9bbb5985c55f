"""Dossiers filed on the national portal, pulled into intake by the periodic job: filed once
through the one intake service, acknowledged with their code, or rejected with the reasons.
The simulator runs in its own process (real HTTP)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from motcua.dossiers import services
from motcua.dossiers.models import Channel, Dossier, DossierDocument, Status
from motcua.interop.models import Delivery, PortalDossier, PulledSubmission
from motcua.interop.portal import pull, sync
from motcua.interop.portal.tasks import pull_portal_submissions
from motcua.interop.portal.transport import transport
from tests.interop import portal_sim as simulator
from tests.interop.portal_sim import PortalSimulator, submission
from tests.org import Org

portal_sim = simulator.portal_sim
portal_sync = simulator.portal_sync


def run_pull() -> dict[str, int]:
    return pull_portal_submissions.call()


def deliver() -> None:
    from motcua.interop import delivery

    delivery.deliver_due()


def test_a_portal_submission_is_filed_once_and_acknowledged(
    processing_org: Org, portal_sync: PortalSimulator
) -> None:
    portal_id = portal_sync.add_submission(**submission())
    assert run_pull() == {"filed": 1, "rejected": 0, "reported": 1}
    assert run_pull() == {"filed": 0, "rejected": 0, "reported": 0}

    (dossier,) = Dossier.objects.all()
    assert (dossier.channel, dossier.status) == (Channel.ONLINE, Status.NEW)
    assert (dossier.procedure.code, dossier.competent_agency.code) == ("2.000488", "000.00.02.H22")
    assert (dossier.applicant_name, dossier.eid_level) == ("Nguyễn Văn An", 2)
    assert dossier.eid_subject.startswith("dvcqg:")
    (document,) = DossierDocument.objects.filter(dossier=dossier)
    sent = submission()["documents"][0]
    assert (document.requirement, document.sha256) == ("to_khai", sent["sha256"])
    assert document.state == DossierDocument.State.SUBMITTED
    pulled = PulledSubmission.objects.get(portal_id=portal_id)
    assert (pulled.state, pulled.dossier, pulled.procedure_code) == ("filed", dossier, "2.000488")
    assert pulled.reported_at is not None
    (on_portal,) = portal_sync.submissions()
    assert (on_portal["state"], on_portal["dossier_code"]) == ("acked", dossier.code)
    assert PortalDossier.objects.get(dossier=dossier).source == "pulled"


def test_an_ack_that_fails_is_sent_again_without_filing_twice(
    processing_org: Org, portal_sync: PortalSimulator
) -> None:
    portal_sync.add_submission(**submission())
    portal_sync.fail(1, status=500, match="/ack")
    assert run_pull() == {"filed": 1, "rejected": 0, "reported": 0}
    (pulled,) = PulledSubmission.objects.all()
    assert pulled.reported_at is None
    assert portal_sync.submissions()[0]["state"] == "new"

    assert run_pull() == {"filed": 0, "rejected": 0, "reported": 1}
    assert Dossier.objects.count() == 1
    assert portal_sync.submissions()[0]["dossier_code"] == Dossier.objects.get().code


def test_a_run_that_crashed_after_filing_finds_its_dossier(
    processing_org: Org, portal_sync: PortalSimulator
) -> None:
    portal_id = portal_sync.add_submission(**submission())
    # The crashed run filed the dossier (its key is the portal id) and recorded nothing else.
    document = next(iter(transport().fetch_submissions()))
    first = services.submit_dossier(
        submission=pull.parse(document), channel=Channel.ONLINE, key=sync.pulled_key(portal_id)
    )
    run_pull()
    assert list(Dossier.objects.all()) == [first]
    assert PulledSubmission.objects.get(portal_id=portal_id).dossier == first


def test_an_invalid_submission_is_rejected_once_with_its_reasons(
    processing_org: Org, portal_sync: PortalSimulator
) -> None:
    good = submission()
    tampered = {**good["documents"][0], "sha256": "0" * 64}
    bad_file = portal_sync.add_submission(**submission(documents=[tampered]))
    no_purpose = portal_sync.add_submission(**submission(data={}))
    portal_sync.fail(1, status=503, match="/reject")
    assert run_pull() == {"filed": 0, "rejected": 2, "reported": 1}
    assert run_pull() == {"filed": 0, "rejected": 0, "reported": 1}
    assert run_pull() == {"filed": 0, "rejected": 0, "reported": 0}
    assert not Dossier.objects.exists()

    rejected = {p.portal_id: p for p in PulledSubmission.objects.all()}
    assert set(rejected) == {bad_file, no_purpose}
    assert all(p.state == "rejected" and p.reported_at for p in rejected.values())
    assert "documents.to_khai" in rejected[bad_file].problem_fields
    assert "data.muc_dich" in rejected[no_purpose].problem_fields
    on_portal = {s["id"]: s for s in portal_sync.submissions()}
    assert on_portal[bad_file]["state"] == on_portal[no_purpose]["state"] == "rejected"
    assert "documents.to_khai" in on_portal[bad_file]["rejection"]["fields"]
    # Rejected once each, whatever the number of runs: never filed again in a loop.
    rejections = [e for e in portal_sync.received() if e["kind"] == "reject" and e["valid"]]
    assert sorted(e["submission"] for e in rejections) == sorted([bad_file, no_purpose])


def test_a_submission_without_the_e_id_level_the_procedure_needs_is_rejected(
    intake_org: Org, portal_sync: PortalSimulator
) -> None:
    # The certified copy needs an e-ID login of level 1 online.
    content = submission()["documents"][0]
    portal_sync.add_submission(
        **submission(
            procedure="2.000815.000.00.00.H22",
            agency="000.01.30.H22",
            eid=None,
            data={"ten_giay_to": "Bằng tốt nghiệp", "so_trang": 1, "so_ban": 1},
            documents=[{**content, "code": "ban_chinh"}, {**content, "code": "ban_sao"}],
        )
    )
    assert run_pull()["rejected"] == 1
    assert not Dossier.objects.exists()
    (pulled,) = PulledSubmission.objects.all()
    assert pulled.problem
    (on_portal,) = portal_sync.submissions()
    assert (on_portal["state"], on_portal["rejection"]["detail"]) == ("rejected", pulled.problem)


def test_a_pulled_dossiers_status_changes_wait_for_the_ack(
    processing_org: Org, portal_sync: PortalSimulator
) -> None:
    portal_sync.add_submission(**submission())
    portal_sync.fail(1, status=500, match="/ack")
    run_pull()
    dossier = Dossier.objects.get()
    services.accept_dossier(dossier=dossier, actor=processing_org.users["counter_tinh"])
    (receipt,) = Delivery.objects.filter(sink="portal", event__dossier=dossier)
    assert receipt.event.data["action"] == "received"  # "submitted" is the portal's own
    deliver()
    receipt.refresh_from_db()
    assert receipt.state == Delivery.State.PENDING
    assert "acknowledge" in receipt.last_error

    run_pull()  # acknowledged now
    Delivery.objects.filter(pk=receipt.pk).update(next_attempt_at=timezone.now())
    deliver()
    receipt.refresh_from_db()
    assert receipt.state == Delivery.State.DELIVERED
    record = portal_sync.dossier(dossier.code)
    assert record is not None
    assert [h["status"] for h in record["history"]] == [1, 2]


def test_the_pull_does_nothing_with_sync_off(processing_org: Org, settings: Any) -> None:
    settings.PORTAL_URL = ""
    assert run_pull() == {"filed": 0, "rejected": 0, "reported": 0}
    assert not PulledSubmission.objects.exists()


def test_the_portal_unreachable_leaves_everything_for_the_next_run(
    processing_org: Org, portal_sync: PortalSimulator
) -> None:
    portal_sync.add_submission(**submission())
    portal_sync.stop()
    assert run_pull() == {"filed": 0, "rejected": 0, "reported": 0}
    portal_sync.start()
    assert run_pull()["filed"] == 1
    assert Dossier.objects.filter(pulled_from__isnull=False).count() == 1
