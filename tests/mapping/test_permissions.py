"""Who sees the team's mapping and pursuit records (issue 6), role by role, allowed and refused.

The team's members see the team's intelligence, except what is restricted to another agency (police intelligence
restricted to police); a child's entity follows the child's gate; a link is seen only when both its ends are;
missing episodes are the team's work about a child. Another team, a referrer, the governance group and a
case-holding social worker without a grant see none of it; a case-holding social worker granted the child sees the
child's entity and missing episodes, never the team's intelligence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db.models import Model
from django.http import Http404
from django.utils import timezone

from evolve.access import gate
from evolve.access.grants import child_access_grant
from evolve.accounts.models import Agency, User
from evolve.people.models import Child
from mapping.models import (
    Disruption,
    DisruptionKind,
    Entity,
    EntityKind,
    Group,
    Investigation,
    Link,
    Location,
    MissingEpisode,
    OnlineIdentity,
    PersonOfConcern,
    Prosecution,
    Vehicle,
)
from mapping.permissions import (
    may_flag_for_disruption,
    may_map,
    may_record_pursuit,
    may_restrict_to,
    visible_entity_ids,
)
from mapping.selectors import (
    disruption_get_for_user,
    entities_for_user,
    entity_get_for_user,
    investigation_get_for_user,
    link_get_for_user,
    missing_episode_get_for_user,
    prosecution_get_for_user,
)
from mapping.services import (
    EpisodeInput,
    child_entity,
    disruption_record,
    entity_record,
    investigation_open,
    missing_episode_record,
    prosecution_record,
)

pytestmark = pytest.mark.django_db

TEAM_INTELLIGENCE = {
    "person",
    "person as an entity",
    "place",
    "vehicle",
    "group",
    "identity",
    "child - person",
    "child - place",
    "person - place",
    "investigation",
    "prosecution",
    "disruption",
}
POLICE_ONLY = {
    "police-only person",
    "police-only child",
    "child - police-only person",
    "police-only link",
    "police-only child - place",
    "police-only investigation",
    "police-only prosecution",
    "police-only disruption",
    "police-only child's episode",
    "prosecution of the police-only person",
    "disruption of the police-only person",
    "notice protecting the police-only child",
    "prosecution from the police-only investigation",
}
CHILD_WORK = {"child", "child's episode"}

EXPECTED: dict[str, set[str]] = {
    "police_officer": TEAM_INTELLIGENCE | POLICE_ONLY | CHILD_WORK,
    "detective_sergeant": TEAM_INTELLIGENCE | POLICE_ONLY | CHILD_WORK,
    "social_worker": TEAM_INTELLIGENCE | CHILD_WORK,
    "nurse": TEAM_INTELLIGENCE | CHILD_WORK,
    "team_manager": TEAM_INTELLIGENCE | CHILD_WORK,
    "other_team_officer": set(),
    "outsider": set(),
    "governance": set(),
    "case_holder": set(),
    "granted case_holder": CHILD_WORK,
}


@dataclass
class World:
    records: dict[str, Model]
    child: Child


@pytest.fixture
def world(
    police_officer: User,
    open_child: Callable[..., Child],
    person: Callable[..., PersonOfConcern],
    place: Callable[..., Location],
    link: Callable[..., Link],
    police: Agency,
) -> World:
    """One of everything the team maps, open and police-only, recorded by a police officer."""
    by = police_officer
    child = open_child("Ava", "Example")
    hidden_child = open_child("Bea", "Example", restricted_to_agency=police)
    dean = person(by, "Dean", "Sample")
    hidden = person(by, "Hidden", "Person", restricted=True)
    hotel = place(by)
    vehicle = entity_record(by=by, kind=EntityKind.VEHICLE, details={"registration": "AB12CDE"})
    group = entity_record(by=by, kind=EntityKind.GROUP, details={"name": "Red Lions"})
    identity = entity_record(by=by, kind=EntityKind.ONLINE_IDENTITY, details={"platform": "Snapchat", "handle": "dee"})
    today = timezone.localdate()

    def pursuit(restricted: bool) -> dict[str, Model]:
        agency = police.pk if restricted else None
        prefix = "police-only " if restricted else ""
        return {
            f"{prefix}investigation": investigation_open(
                by=by,
                reference="OP NIGHTJAR",
                summary="Exploitation",
                opened_on=today,
                lead_officer=by,
                perpetrators=[dean],
                restricted_to_agency_id=agency,
            ),
            f"{prefix}prosecution": prosecution_record(
                by=by, perpetrator=dean, charges="Trafficking", charged_on=today, restricted_to_agency_id=agency
            ),
            f"{prefix}disruption": disruption_record(
                by=by, kind=DisruptionKind.LICENSING, target=hotel, taken_on=today, restricted_to_agency_id=agency
            ),
        }

    def episode(of: Child) -> MissingEpisode:
        return missing_episode_record(
            child=of, by=by, given=EpisodeInput(started_at=timezone.now() - timedelta(days=1), found_at=hotel)
        )

    records: dict[str, Model] = {
        "person": dean,
        "person as an entity": Entity.objects.get(pk=dean.pk),
        "police-only person": hidden,
        "place": hotel,
        "vehicle": Vehicle.objects.get(pk=vehicle.pk),
        "group": Group.objects.get(pk=group.pk),
        "identity": OnlineIdentity.objects.get(pk=identity.pk),
        "child": child_entity(child=child, by=by),
        "police-only child": child_entity(child=hidden_child, by=by),
        "child - person": link(by, child, dean),
        "child - place": link(by, child, hotel),
        "child - police-only person": link(by, child, hidden),
        "person - place": link(by, dean, hotel),
        "police-only link": link(by, dean, group, restricted=True),
        "police-only child - place": link(by, hidden_child, hotel),
        "child's episode": episode(child),
        "police-only child's episode": episode(hidden_child),
        **pursuit(restricted=False),
        **pursuit(restricted=True),
        # Open records, but about police-only ones: seen only with them.
        "prosecution of the police-only person": prosecution_record(
            by=by, perpetrator=hidden, charges="Trafficking", charged_on=today
        ),
        "disruption of the police-only person": disruption_record(
            by=by, kind=DisruptionKind.SRO, target=hidden, taken_on=today
        ),
        "notice protecting the police-only child": disruption_record(
            by=by, kind=DisruptionKind.CAWN, target=dean, child=hidden_child, taken_on=today
        ),
    }
    hidden_investigation = records["police-only investigation"]
    assert isinstance(hidden_investigation, Investigation)
    records["prosecution from the police-only investigation"] = prosecution_record(
        by=by, perpetrator=dean, charges="Trafficking", charged_on=today, investigation=hidden_investigation
    )
    return World(records=records, child=child)


def _user(request: pytest.FixtureRequest, world: World, who: str) -> User:
    if who == "granted case_holder":
        user: User = request.getfixturevalue("case_holder")
        child_access_grant(child=world.child, user=user)
        return user
    return request.getfixturevalue(who)


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_role_sees_exactly_the_mapping_it_should(request: pytest.FixtureRequest, world: World, who: str) -> None:
    user = _user(request, world, who)

    seen = {name for name, record in world.records.items() if gate.can_see(user, record)}

    assert seen == EXPECTED[who]


@pytest.mark.parametrize("who", list(EXPECTED))
def test_the_lists_hold_exactly_what_each_role_sees(request: pytest.FixtureRequest, world: World, who: str) -> None:
    """The scope over a whole table agrees with the object check, for every model of the app."""
    user = _user(request, world, who)
    expected = EXPECTED[who]

    for model in (
        Entity,
        PersonOfConcern,
        Location,
        Vehicle,
        Group,
        OnlineIdentity,
        Link,
        MissingEpisode,
        Investigation,
        Prosecution,
        Disruption,
    ):
        listed = set(gate.visible_to(user, model._default_manager.all()).values_list("pk", flat=True))
        # A person, place... is an Entity too (the detail extends it): the entity list holds it.
        should = {record.pk for name, record in world.records.items() if name in expected and isinstance(record, model)}
        assert listed == should, model.__name__


@pytest.mark.parametrize("who", list(EXPECTED))
def test_the_network_walks_check_of_a_handful_of_records_agrees_with_the_gate(
    request: pytest.FixtureRequest, world: World, who: str
) -> None:
    """The walk checks each hop's records row by row (`visible_entity_ids`), not through the gate's scope: the two
    must agree on every kind of record, open and police-only, for every role."""
    user = _user(request, world, who)
    entities = {record.pk for record in world.records.values() if isinstance(record, Entity)}

    walk_sees = visible_entity_ids(user, entities)

    assert walk_sees == set(gate.visible_to(user, Entity.objects.filter(pk__in=entities)).values_list("pk", flat=True))
    assert walk_sees == {world.records[name].pk for name in EXPECTED[who] if isinstance(world.records[name], Entity)}


SELECTORS = {
    Entity: entity_get_for_user,
    PersonOfConcern: entity_get_for_user,
    Location: entity_get_for_user,
    Vehicle: entity_get_for_user,
    Group: entity_get_for_user,
    OnlineIdentity: entity_get_for_user,
    Link: link_get_for_user,
    MissingEpisode: missing_episode_get_for_user,
    Investigation: investigation_get_for_user,
    Prosecution: prosecution_get_for_user,
    Disruption: disruption_get_for_user,
}


@pytest.mark.parametrize("who", ["nurse", "outsider", "granted case_holder", "detective_sergeant"])
def test_a_record_not_seen_is_a_404_like_a_missing_one(request: pytest.FixtureRequest, world: World, who: str) -> None:
    user = _user(request, world, who)

    for name, record in world.records.items():
        get = SELECTORS[type(record)]
        public_id = record.public_id  # type: ignore[attr-defined]
        if name in EXPECTED[who]:
            assert get(user=user, public_id=public_id).pk == record.pk
        else:
            with pytest.raises(Http404):
                get(user=user, public_id=public_id)


def test_search_does_not_find_police_intelligence_for_a_health_worker(
    world: World, nurse: User, police_officer: User
) -> None:
    assert not entities_for_user(user=nurse, search="hidden person").exists()
    assert [entity.pk for entity in entities_for_user(user=police_officer, search="hidden person")] == [
        world.records["police-only person"].pk
    ]
    # Children are never in the list of records: they have their own.
    assert not entities_for_user(user=police_officer).filter(kind=EntityKind.CHILD).exists()


def test_a_link_to_a_child_restricted_to_police_is_hidden_with_the_child(
    world: World, police_officer: User, social_worker: User
) -> None:
    restricted_child_link = world.records["police-only child - place"]
    assert isinstance(restricted_child_link, Link)
    assert restricted_child_link.restricted_to_agency_id is None  # the link itself is open: the child end is not

    assert gate.can_see(police_officer, restricted_child_link)
    assert not gate.can_see(social_worker, restricted_child_link)


@pytest.mark.parametrize(
    ("who", "maps"),
    [
        ("police_officer", True),
        ("social_worker", True),
        ("nurse", True),
        ("team_manager", True),
        ("detective_sergeant", True),
        ("other_team_officer", True),  # their own team's mapping
        ("outsider", False),
        ("governance", False),
        ("case_holder", False),
    ],
)
def test_who_records_links_flags_and_pursues(request: pytest.FixtureRequest, who: str, maps: bool) -> None:
    user: User = request.getfixturevalue(who)
    assert (may_map(user), may_record_pursuit(user), may_flag_for_disruption(user)) == (maps, maps, maps)


def test_a_record_is_restricted_only_to_ones_own_agency(
    police_officer: User, social_worker: User, nurse: User, police: Agency, health: Agency
) -> None:
    assert may_restrict_to(police_officer, None)
    assert may_restrict_to(police_officer, police.pk)
    assert not may_restrict_to(social_worker, police.pk)
    assert may_restrict_to(nurse, health.pk)
    assert not may_restrict_to(nurse, police.pk)
