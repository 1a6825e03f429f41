"""Mapping in tests: a health worker in the team beside the police officer and the social worker; children open to
the team; people, places and links recorded through the services, as the pages and API record them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.people.models import Child
from mapping.models import Confidence, Entity, EntityKind, Link, LinkKind, Location, LocationType, PersonOfConcern
from mapping.services import LinkInput, child_entity, entity_record, link_record
from tests.factories import AgencyFactory, ChildFactory, TeamFactory, UserFactory


@pytest.fixture
def health(db: None, team: Team) -> Agency:
    agency = AgencyFactory.create(name="Hospital Trust", short_name="Trust", kind=Agency.Kind.HEALTH)
    team.agencies.add(agency)
    return agency


@pytest.fixture
def nurse(make_user: Callable[..., User], health: Agency) -> User:
    """The team's CSE nurse: a health member of the team."""
    return make_user(Role.PRACTITIONER, agency=health, in_team=True, username="nurse")


@pytest.fixture
def detective_sergeant(make_user: Callable[..., User], police: Agency) -> User:
    return make_user(Role.DETECTIVE_SERGEANT, agency=police, in_team=True, username="ds")


@pytest.fixture
def open_child(team: Team, team_manager: User) -> Callable[..., Child]:
    """A child open to the team (optionally restricted to one agency)."""

    def make(first_name: str = "Ava", last_name: str = "Example", **fields: Any) -> Child:
        return ChildFactory.create(
            first_name=first_name, last_name=last_name, open_to_team=team, created_by=team_manager, **fields
        )

    return make


@pytest.fixture
def person(police: Agency) -> Callable[..., PersonOfConcern]:
    def make(by: User, first_name: str = "Dean", last_name: str = "Sample", restricted: bool = False, **more: Any):
        entity = entity_record(
            by=by,
            kind=EntityKind.PERSON,
            details={"first_name": first_name, "last_name": last_name, **more},
            restricted_to_agency_id=by.agency_id if restricted else None,
            not_a_duplicate=True,
        )
        return PersonOfConcern.objects.get(pk=entity.pk)

    return make


@pytest.fixture
def place() -> Callable[..., Location]:
    def make(
        by: User,
        name: str = "Station Hotel",
        location_type: str = LocationType.HOTEL,
        latitude: str | None = "53.430000",
        longitude: str | None = "-1.360000",
        **more: Any,
    ) -> Location:
        entity = entity_record(
            by=by,
            kind=EntityKind.LOCATION,
            details={
                "name": name,
                "location_type": location_type,
                "address": more.pop("address", "1 High Street"),
                "postcode": more.pop("postcode", ""),
                "latitude": latitude,
                "longitude": longitude,
            },
            not_a_duplicate=True,
            **more,
        )
        return Location.objects.get(pk=entity.pk)

    return make


@pytest.fixture
def link(police: Agency) -> Callable[..., Link]:
    """Link two records, or a child and a record (the child's entity is made as the services make it)."""

    def make(
        by: User,
        a: Entity | Child,
        b: Entity | Child,
        kind: str = LinkKind.ASSOCIATES_WITH,
        restricted: bool = False,
        first_seen_on: date | None = None,
        last_seen_on: date | None = None,
    ) -> Link:
        ends = [child_entity(child=end, by=by) if isinstance(end, Child) else end for end in (a, b)]
        return link_record(
            by=by,
            a=ends[0],
            b=ends[1],
            given=LinkInput(
                kind=kind,
                source_agency_id=by.agency_id or police.pk,
                confidence=Confidence.PROBABLE,
                evidence="Seen together by a patrol",
                first_seen_on=first_seen_on,
                last_seen_on=last_seen_on,
                restricted_to_agency_id=by.agency_id if restricted else None,
            ),
        )

    return make


@pytest.fixture
def other_team_officer(police: Agency) -> User:
    """A police officer in another local authority's team: none of this team's mapping is theirs."""
    other = TeamFactory.create(name="Another Evolve")
    other.agencies.set([police])
    return UserFactory.create(roles=[Role.PRACTITIONER], agency=police, team=other, username="elsewhere")


@pytest.fixture
def case_holder(make_user: Callable[..., User]) -> User:
    """A case-holding social worker outside the team: sees only the children granted to them."""
    return make_user(Role.CASE_HOLDING_SOCIAL_WORKER, username="case-holder")
