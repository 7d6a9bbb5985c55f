"""The processing pages: the dossier page offers each officer the actions they may take, the
actions post to one view that calls the services, and the applicant sees what concerns them."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from motcua.dossiers import printing, processing
from motcua.dossiers.models import Dossier, Status
from tests.dossiers.test_processing import assigned, received
from tests.org import Org


def client_of(org: Org, key: str) -> Client:
    client = Client()
    client.force_login(org.users[key])
    return client


def test_each_officer_is_offered_only_their_actions(processing_org: Org) -> None:
    dossier = received(processing_org)
    page = reverse("dossiers:detail", args=[dossier.code])
    leader = client_of(processing_org, "leader_stp").get(page).content.decode()
    assert 'name="assignee"' in leader
    assert "officer_stp" in leader
    counter = client_of(processing_org, "counter_halong").get(page).content.decode()
    assert 'name="assignee"' not in counter
    assert "Trình phê duyệt" not in counter
    assert "Công dân đề nghị dừng giải quyết hồ sơ" in counter  # the point records a stop


def test_an_action_posts_to_the_service_and_a_refusal_is_flashed(processing_org: Org) -> None:
    dossier = received(processing_org)
    leader = client_of(processing_org, "leader_stp")
    act = reverse("dossiers:act", args=[dossier.code, "assign"])
    answer = leader.post(act, {"assignee": processing_org.users["officer_stp"].pk}, follow=True)
    assert "Đã phân công." in answer.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).status == Status.PROCESSING
    answer = leader.post(reverse("dossiers:act", args=[dossier.code, "approve"]), follow=True)
    assert "không có bước" in answer.content.decode()  # no approval step open: the reason
    assert (
        client_of(processing_org, "leader_stp")
        .post(reverse("dossiers:act", args=[dossier.code, "nonsense"]))
        .status_code
        == 404
    )


def test_a_financial_obligation_is_paid_at_the_counter_or_online(
    processing_org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    users = processing_org.users
    dossier = assigned(processing_org)
    processing.request_financial_obligation(
        dossier=dossier, amount=350000, note="Lệ phí cấp Phiếu", actor=users["officer_stp"]
    )
    tracking = Client().get(printing.tracking_path(dossier)).content.decode()
    assert "Nghĩa vụ tài chính" in tracking
    assert "Thanh toán trực tuyến" in tracking
    counter = client_of(processing_org, "counter_halong")
    page = counter.get(reverse("dossiers:detail", args=[dossier.code])).content.decode()
    assert 'name="obligation"' in page
    with django_capture_on_commit_callbacks(execute=True):  # the settlement's signal
        answer = counter.post(
            reverse("dossiers:settle_fee", args=[dossier.code]),
            {"obligation": "1", "method": "cash"},
        )
    assert answer.status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).status == Status.PROCESSING


def test_the_applicant_asks_to_stop_on_the_tracking_page(processing_org: Org) -> None:
    dossier = received(processing_org)
    client = Client()
    page = client.get(printing.tracking_path(dossier)).content.decode()
    assert "Đề nghị dừng giải quyết hồ sơ này" in page
    client.post(
        reverse("dossiers:track_stop"),
        {"code": dossier.code, "s": dossier.tracking_secret, "reason": "Không cần nữa"},
    )
    assert Dossier.objects.get(pk=dossier.pk).status == Status.WITHDRAWAL
    wrong = client.post(
        reverse("dossiers:track_stop"), {"code": dossier.code, "s": "sai", "reason": "x"}
    )
    assert wrong.status_code == 404
