"""What an API client's token lets it reach, resolved once per request (as `Principal` is for
staff): the token's scopes and the client's authorisations with their agencies expanded to
every sub-agency."""

from __future__ import annotations

from dataclasses import dataclass

from motcua.interop.models import ApiClient
from motcua.organisation.selectors import descendant_agency_ids


@dataclass(frozen=True)
class Grant:
    scopes: frozenset[str]
    procedure_ids: frozenset[int] | None  # None: every procedure
    agency_ids: frozenset[int]
    max_confidentiality: int


@dataclass(frozen=True)
class ClientAccess:
    client: ApiClient
    scopes: frozenset[str]
    grants: tuple[Grant, ...]

    def grants_for(self, scope: str) -> list[Grant]:
        """The authorisations that give `scope`, if the token carries it at all."""
        if scope not in self.scopes:
            return []
        return [grant for grant in self.grants if scope in grant.scopes]


def grants_of(client: ApiClient) -> tuple[Grant, ...]:
    grants = []
    authorisations = client.authorisations.prefetch_related("procedures", "agencies")
    for authorisation in authorisations:
        agencies = {agency.pk for agency in authorisation.agencies.all()}
        grants.append(
            Grant(
                scopes=frozenset(authorisation.scopes),
                procedure_ids=None
                if authorisation.all_procedures
                else frozenset(procedure.pk for procedure in authorisation.procedures.all()),
                agency_ids=frozenset(agencies | descendant_agency_ids(agencies)),
                max_confidentiality=authorisation.max_confidentiality,
            )
        )
    return tuple(grants)


def client_scopes(client: ApiClient) -> list[str]:
    """Every scope some authorisation of the client grants: what a token may carry."""
    return sorted(
        {
            scope
            for scopes in client.authorisations.values_list("scopes", flat=True)
            for scope in scopes
        }
    )
