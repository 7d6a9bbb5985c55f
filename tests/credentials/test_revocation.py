"""Revoking, suspending and reinstating credentials from the admin: a page asks the reason,
`issuance.set_status` does the change, refused transitions change nothing, and each user sees
only the credentials of their jurisdiction."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from motcua.core import backends
from motcua.credentials import issuance, statuslist
from motcua.credentials.models import IssuedCredential
from motcua.organisation import services as organisation
from motcua.organisation.models import Role
from tests.credentials.conftest import TEST_SERVER
from tests.org import Org

CHANGELIST = "admin:credentials_issuedcredential_changelist"


def act(client: Client, credential: IssuedCredential, action: str, **extra: str) -> Any:
    return client.post(
        reverse(CHANGELIST), {"action": action, "_selected_action": [str(credential.pk)], **extra}
    )


def listed_status(credential: IssuedCredential) -> int:
    number = credential.status_list.number
    token = statuslist.token_for(credential.status_list.agency.code, number)
    from tests.credentials.wallet_client import jwt_parts

    lst = jwt_parts(token)[1]["status_list"]["lst"]
    return statuslist.status_at(lst, 2, credential.status_index)


def test_the_list_shows_the_credential_read_only(
    admin_client: Client, credential: IssuedCredential
) -> None:
    response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    page = response.content.decode()
    assert credential.result.number in page
    for action in ("set_revoked", "set_suspended", "set_valid"):
        assert f'value="{action}"' in page
    change = admin_client.get(
        reverse("admin:credentials_issuedcredential_change", args=[credential.pk])
    )
    assert change.status_code == 200
    assert 'name="status"' not in change.content.decode()  # no editable field
    assert admin_client.get(reverse("admin:credentials_issuedcredential_add")).status_code == 403
    delete = reverse("admin:credentials_issuedcredential_delete", args=[credential.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert IssuedCredential.objects.filter(pk=credential.pk).exists()


def test_revoking_asks_for_the_reason_then_revokes(
    admin_client: Client, credential: IssuedCredential
) -> None:
    asked = act(admin_client, credential, "set_revoked")
    assert asked.status_code == 200
    page = asked.content.decode()
    assert 'id="set-status-form"' in page
    assert 'name="reason"' in page
    assert credential.result.number in page
    credential.refresh_from_db()
    assert credential.status == "valid"  # asking changed nothing

    done = act(admin_client, credential, "set_revoked", apply="1", reason="Cấp sai đối tượng")
    assert done.status_code == 302
    credential.refresh_from_db()
    assert (credential.status, credential.status_reason) == ("revoked", "Cấp sai đối tượng")
    assert credential.status_changed_by is not None
    assert [m.level_tag for m in get_messages(done.wsgi_request)] == ["info"]
    assert listed_status(credential) == statuslist.INVALID


def test_applying_without_a_reason_asks_again(
    admin_client: Client, credential: IssuedCredential
) -> None:
    response = act(admin_client, credential, "set_suspended", apply="1", reason="  ")
    assert response.status_code == 200
    assert 'id="reason-missing"' in response.content.decode()
    credential.refresh_from_db()
    assert credential.status == "valid"


def test_suspend_and_reinstate(admin_client: Client, credential: IssuedCredential) -> None:
    act(admin_client, credential, "set_suspended", apply="1", reason="Đang xác minh")
    credential.refresh_from_db()
    assert credential.status == "suspended"
    assert listed_status(credential) == statuslist.SUSPENDED
    act(admin_client, credential, "set_valid", apply="1", reason="Đã xác minh")
    credential.refresh_from_db()
    assert credential.status == "valid"
    assert listed_status(credential) == statuslist.VALID


@pytest.mark.parametrize("action", ["set_valid", "set_suspended", "set_revoked"])
def test_a_refused_transition_is_reported_and_changes_nothing(
    admin_client: Client, credential: IssuedCredential, processing_org: Org, action: str
) -> None:
    issuance.set_status(credential, "revoked", "Cấp sai", processing_org.users["leader_stp"])
    response = act(admin_client, credential, action, apply="1", reason="Khôi phục")
    assert response.status_code == 302
    messages = list(get_messages(response.wsgi_request))
    assert [m.level_tag for m in messages] == ["error"]
    assert credential.result.number in str(messages[0])
    credential.refresh_from_db()
    assert (credential.status, credential.status_reason) == ("revoked", "Cấp sai")


def test_staff_without_the_apps_permission_cannot_open_it(
    client: Client, credential: IssuedCredential, processing_org: Org
) -> None:
    # A centre manager reaches the admin only if a role grants admin.access; give one that
    # does, without what core.backends requires for this app.
    user = get_user_model().objects.create_user(username="clerk", password="pw")
    role = Role.objects.create(
        code="admin_clerk", name="Clerk", scope_kind="province", permissions=["admin.access"]
    )
    organisation.grant_role(user=user, role=role, scope=processing_org.province)
    client.force_login(user)
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert act(client, credential, "set_revoked", apply="1", reason="x").status_code == 403
    credential.refresh_from_db()
    assert credential.status == "valid"


def test_the_list_is_narrowed_to_the_users_agencies(
    client: Client, credential: IssuedCredential, processing_org: Org, monkeypatch: Any
) -> None:
    """With the app gated by dossier.approve (the permission that signs results), the police's
    leaders do not see or revoke the department's credentials; the department's do."""
    monkeypatch.setitem(backends.APP_PERMISSION, "credentials", "dossier.approve")
    role = Role.objects.create(
        code="agency_admin",
        name="Agency admin",
        scope_kind="agency",
        permissions=["admin.access", "dossier.approve"],
    )
    for key in ("leader_stp", "leader_police"):
        organisation.grant_role(
            user=processing_org.users[key],
            role=role,
            scope=processing_org.agencies[key.split("_")[1]],
        )
    client.force_login(processing_org.users["leader_police"])
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    assert credential.result.number not in page.content.decode()
    act(client, credential, "set_revoked", apply="1", reason="Không thuộc thẩm quyền")
    credential.refresh_from_db()
    assert credential.status == "valid"

    client.force_login(processing_org.users["leader_stp"])
    assert credential.result.number in client.get(reverse(CHANGELIST)).content.decode()
    act(client, credential, "set_revoked", apply="1", reason="Cấp sai")
    credential.refresh_from_db()
    assert credential.status == "revoked"
    assert credential.status_changed_by == processing_org.users["leader_stp"]
    assert TEST_SERVER in credential.status_list.uri
