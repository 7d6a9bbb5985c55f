"""Writes for API clients: registering a client (its OAuth application and service account),
granting authorisations, issuing a new secret, and filing a dossier for a client."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application

from motcua.catalogue import selectors as catalogue
from motcua.catalogue.models import Confidentiality, Procedure
from motcua.core import audit
from motcua.core.errors import MotcuaError, PermissionDenied
from motcua.dossiers import routing
from motcua.dossiers import services as dossier_services
from motcua.dossiers.intake import Submission
from motcua.dossiers.models import Channel, Dossier
from motcua.interop.clients.access import ClientAccess, Grant
from motcua.interop.clients.scopes import DOSSIERS_CREATE
from motcua.interop.clients.selectors import dossier_for
from motcua.interop.models import ApiClient, Authorisation
from motcua.organisation.models import Agency


@transaction.atomic
def register_client(*, client: ApiClient, actor: Any, ip: str | None = None) -> str:
    """Save a new client (its fields set, not yet saved) with an OAuth application for the
    client credentials grant and a service account that cannot log in. Returns the secret:
    only its hash is kept, so this is the one time anyone sees it."""
    secret = generate_client_secret()
    application = Application(
        name=client.name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
    )
    user = get_user_model()(
        username=f"api-{application.client_id}", first_name=client.name[:150], is_active=False
    )
    user.set_unusable_password()
    user.save()
    application.user = user
    application.save()
    client.application, client.user = application, user
    client.save()
    audit.record(
        actor=actor,
        action="interop.api_client.create",
        obj=client,
        new=audit.model_values(client) | {"client_id": application.client_id},
        ip=ip,
    )
    return secret


@transaction.atomic
def grant(
    *,
    client: ApiClient,
    scopes: Iterable[str],
    agencies: Iterable[Agency],
    procedures: Iterable[Procedure] | None = None,
    max_confidentiality: int = Confidentiality.PUBLIC,
    actor: Any,
    ip: str | None = None,
) -> Authorisation:
    """Grant `scopes` over the dossiers of `procedures` (None: all) and `agencies`."""
    agencies = list(agencies)
    if not agencies:
        raise MotcuaError(_("Name at least one agency."), fields={"agencies": [_("Required.")]})
    authorisation = Authorisation(
        client=client,
        scopes=sorted(set(scopes)),
        all_procedures=procedures is None,
        max_confidentiality=max_confidentiality,
    )
    authorisation.full_clean(exclude=["client", "agencies", "procedures"])
    authorisation.save()
    authorisation.agencies.set(agencies)
    if procedures is not None:
        authorisation.procedures.set(list(procedures))
    record_authorisation(
        client, authorisation_values(authorisation), action="grant", actor=actor, ip=ip
    )
    return authorisation


def authorisation_values(authorisation: Authorisation) -> dict[str, Any]:
    """What an authorisation grants, as the audit log keeps it."""
    return {
        "authorisation": authorisation.pk,
        "scopes": authorisation.scopes,
        "all_procedures": authorisation.all_procedures,
        "procedures": sorted(p.code for p in authorisation.procedures.all()),
        "agencies": sorted(a.code for a in authorisation.agencies.all()),
        "max_confidentiality": authorisation.max_confidentiality,
    }


def record_authorisation(
    client: ApiClient, values: dict[str, Any], *, action: str, actor: Any, ip: str | None
) -> None:
    """The audit row of a granted, changed or withdrawn authorisation (`values`: what it
    grants, from `authorisation_values`)."""
    audit.record(actor=actor, action=f"interop.api_client.{action}", obj=client, new=values, ip=ip)


@transaction.atomic
def reset_secret(*, client: ApiClient, actor: Any, ip: str | None = None) -> str:
    """A new secret for a client whose secret was lost or leaked; its tokens stop working."""
    secret = generate_client_secret()
    application = client.application
    application.client_secret = secret
    application.save(update_fields=["client_secret", "updated"])
    AccessToken.objects.filter(application=application).delete()
    audit.record(actor=actor, action="interop.api_client.reset_secret", obj=client, ip=ip)
    return secret


def file_dossier(
    *, access: ClientAccess, submission: Submission, key: str | None, ip: str | None
) -> Dossier:
    """File a dossier through the API channel for a client: the intake service does the work;
    this checks first that the procedure and the agencies it is routed to are in the client's
    reach, so that a refused filing writes nothing. `key` (Idempotency-Key) is the client's
    own: a retry returns the first dossier."""
    grants = access.grants_for(DOSSIERS_CREATE)
    scoped_key = f"client:{access.client.pk}:{key}" if key else None
    if scoped_key and (existing := Dossier.objects.filter(submission_key=scoped_key).first()):
        return dossier_for(access, DOSSIERS_CREATE, existing.code)
    version = catalogue.offered_procedure(submission.procedure_code)
    procedure = version.procedure
    if not any(_covers_procedure(grant, procedure) for grant in grants):
        raise PermissionDenied(_("This API client may not file dossiers of this procedure."))
    route = routing.route(
        version=version,
        data=submission.data,
        commune_code=submission.commune_code,
        point=None,
        province_code=settings.PROVINCE_CODE,
    )
    agencies = {route.competent_agency.pk, route.receiving_agency.pk}
    if not any(
        _covers_procedure(grant, procedure) and grant.agency_ids & agencies for grant in grants
    ):
        raise PermissionDenied(
            _("This API client may not file dossiers with the agency this one goes to.")
        )
    dossier = dossier_services.submit_dossier(
        submission=submission, channel=Channel.API, actor=access.client.user, key=scoped_key, ip=ip
    )
    return dossier_for(access, DOSSIERS_CREATE, dossier.code)


def _covers_procedure(grant: Grant, procedure: Procedure) -> bool:
    return procedure.confidentiality <= grant.max_confidentiality and (
        grant.procedure_ids is None or procedure.pk in grant.procedure_ids
    )
