"""Recording the team's mapping (issue 6): people of concern, places, vehicles, groups and online identities with
their duplicate checks; links with their history; flags for the Intelligence Sharing Meeting. Against the real
database, through the services as the pages and API call them.

What a user would notice: a form refused field by field with nothing saved; a warning that the person may already
be recorded, never naming a record the user may not see; an edit over someone else's edit refused; a changed link
keeping what it said before; a withdrawn link gone from the record and the network."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from evolve.accounts.models import Agency, User
from evolve.chronology.models import ChronologyEntry
from evolve.people.models import Child
from mapping.models import (
    Confidence,
    Disruption,
    DisruptionKind,
    DisruptionOutcome,
    Entity,
    EntityKind,
    Group,
    Investigation,
    Link,
    LinkKind,
    LinkRevision,
    Location,
    LocationType,
    MissingEpisode,
    OnlineIdentity,
    PersonOfConcern,
    Prosecution,
    ProsecutionOutcome,
    Vehicle,
)
from mapping.network import network_for_user
from mapping.selectors import link_revisions, links_for_entity
from mapping.services import (
    LINK_SOURCE,
    EpisodeInput,
    LinkInput,
    MappingConflict,
    MappingRefused,
    PossibleDuplicate,
    child_entity,
    disruption_outcome_record,
    disruption_record,
    entity_flag_for_disruption,
    entity_record,
    entity_update,
    investigation_close,
    investigation_open,
    link_record,
    link_update,
    link_withdraw,
    missing_episode_record,
    missing_episode_update,
    prosecution_conclude,
    prosecution_record,
)

pytestmark = pytest.mark.django_db

Person = Callable[..., PersonOfConcern]
Place = Callable[..., Location]
MakeLink = Callable[..., Link]
OpenChild = Callable[..., Child]


def _record(by: User, kind: str, **details: Any) -> Entity:
    return entity_record(by=by, kind=kind, details=details)


def _counts() -> tuple[int, int, int]:
    return Entity.objects.count(), Link.objects.count(), ChronologyEntry.objects.count()


def _given(by: User, **fields: Any) -> LinkInput:
    values: dict[str, Any] = {
        "kind": LinkKind.ASSOCIATES_WITH,
        "source_agency_id": by.agency_id,
        "confidence": Confidence.PROBABLE,
        "evidence": "Seen together outside the takeaway",
    }
    values.update(fields)
    return LinkInput(**values)


# Recording: required fields ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "details", "fields"),
    [
        (EntityKind.PERSON, {"first_name": " ", "last_name": "", "aliases": ["  "]}, {"last_name"}),
        (EntityKind.PERSON, {"last_name": "Sample", "date_of_birth": date(2999, 1, 1)}, {"date_of_birth"}),
        (
            EntityKind.LOCATION,
            {"location_type": "", "name": "", "address": "", "postcode": ""},
            {"location_type", "address"},
        ),
        (
            EntityKind.LOCATION,
            {"location_type": LocationType.HOTEL, "name": "Station Hotel", "latitude": "53.4"},
            {"latitude"},
        ),
        (
            EntityKind.LOCATION,
            {"location_type": LocationType.HOTEL, "name": "Station Hotel", "latitude": "91", "longitude": "-181"},
            {"latitude", "longitude"},
        ),
        (EntityKind.VEHICLE, {"registration": " - ", "make": ""}, {"registration"}),
        (EntityKind.GROUP, {"name": "   "}, {"name"}),
        (EntityKind.ONLINE_IDENTITY, {"platform": "", "handle": "@"}, {"platform", "handle"}),
        ("child", {}, {"kind"}),  # a child's entity is made by linking the child, never recorded
    ],
)
def test_a_record_missing_what_it_needs_is_refused_field_by_field_and_nothing_is_saved(
    police_officer: User, kind: str, details: dict[str, Any], fields: set[str]
) -> None:
    before = _counts()

    with pytest.raises(ValidationError) as refused:
        entity_record(by=police_officer, kind=kind, details=details)

    assert set(refused.value.message_dict) == fields
    assert _counts() == before


def test_each_kind_is_recorded_with_its_details_label_and_normalised_keys(police_officer: User) -> None:
    person = _record(police_officer, EntityKind.PERSON, first_name=" Dean ", last_name="Sample", aliases=["Big D", " "])
    place = _record(
        police_officer,
        EntityKind.LOCATION,
        location_type=LocationType.TAKEAWAY,
        name="Pizza Place",
        address="2 Low Road",
        postcode="s60  1aa",
        latitude="53.43",
        longitude="-1.35",
    )
    vehicle = _record(police_officer, EntityKind.VEHICLE, registration="ab12 cde", make="Ford", colour="Silver")
    group = _record(police_officer, EntityKind.GROUP, name="  The   Red  Lions ")
    identity = _record(police_officer, EntityKind.ONLINE_IDENTITY, platform="Snapchat", handle=" @Dee_S ")

    assert PersonOfConcern.objects.get(pk=person.pk).aliases == ["Big D"]
    assert person.label == "Dean Sample (Big D)"
    assert Location.objects.get(pk=place.pk).postcode == "S60 1AA"
    assert place.label == "Pizza Place, 2 Low Road, S60 1AA"
    assert Vehicle.objects.get(pk=vehicle.pk).registration_normalised == "AB12CDE"
    assert vehicle.label == "AB12 CDE (Silver Ford)"
    assert Group.objects.get(pk=group.pk).name == "The Red Lions"
    assert OnlineIdentity.objects.get(pk=identity.pk).handle_normalised == "dee_s"
    assert {entity.team_id for entity in (person, place, vehicle, group, identity)} == {police_officer.team_id}
    assert all(entity.restricted_to_agency_id is None for entity in (person, place, vehicle, group, identity))


@pytest.mark.parametrize("user", ["outsider", "governance", "case_holder"])
def test_only_team_members_record(request: pytest.FixtureRequest, user: str) -> None:
    with pytest.raises(MappingRefused):
        _record(request.getfixturevalue(user), EntityKind.GROUP, name="The Red Lions")
    assert not Entity.objects.exists()


def test_a_record_is_restricted_only_to_the_recorders_own_agency(
    police_officer: User, social_worker: User, police: Agency
) -> None:
    restricted = entity_record(
        by=police_officer, kind=EntityKind.GROUP, details={"name": "Red Lions"}, restricted_to_agency_id=police.pk
    )
    assert restricted.restricted_to_agency_id == police.pk

    with pytest.raises(ValidationError) as refused:
        entity_record(
            by=social_worker, kind=EntityKind.GROUP, details={"name": "Blue Lions"}, restricted_to_agency_id=police.pk
        )
    assert "restricted_to_agency" in refused.value.message_dict
    assert Entity.objects.count() == 1


# Duplicate checks --------------------------------------------------------------------------------------------------


def _person(by: User, first_name: str, last_name: str, **more: Any) -> Entity:
    return entity_record(
        by=by, kind=EntityKind.PERSON, details={"first_name": first_name, "last_name": last_name, **more}
    )


def test_a_similarly_spelt_name_is_offered_as_a_possible_duplicate_and_nothing_is_saved(police_officer: User) -> None:
    existing = _person(police_officer, "Dean", "Sample")

    with pytest.raises(PossibleDuplicate) as duplicate:
        _person(police_officer, "Deen", "Sampel")

    assert [candidate.pk for candidate in duplicate.value.check.candidates] == [existing.pk]
    assert Entity.objects.count() == 1


def test_confirming_it_is_a_different_person_records_it(police_officer: User) -> None:
    _person(police_officer, "Dean", "Sample")

    second = entity_record(
        by=police_officer,
        kind=EntityKind.PERSON,
        details={"first_name": "Deen", "last_name": "Sampel"},
        not_a_duplicate=True,
    )

    assert PersonOfConcern.objects.filter(pk=second.pk).exists()
    assert Entity.objects.count() == 2


def test_a_different_name_is_not_a_duplicate(police_officer: User) -> None:
    _person(police_officer, "Dean", "Sample")
    other = _person(police_officer, "Mohan", "Testperson")
    assert other.pk is not None


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ({"first_name": "Dean", "last_name": "Sample", "aliases": ["Big D"]}, {"aliases": ["Big D"]}),
        (
            {"first_name": "Dean", "last_name": "Sample", "aliases": ["Big D"]},
            {"first_name": "John", "last_name": "Other", "aliases": ["Big D"]},
        ),
        ({"aliases": ["Deano Sample"]}, {"first_name": "Deano", "last_name": "Sample"}),
    ],
)
def test_an_alias_matches_a_name_or_an_alias_already_recorded(
    police_officer: User, existing: dict[str, Any], new: dict[str, Any]
) -> None:
    recorded = entity_record(by=police_officer, kind=EntityKind.PERSON, details=existing)

    with pytest.raises(PossibleDuplicate) as duplicate:
        entity_record(by=police_officer, kind=EntityKind.PERSON, details=new)

    assert [candidate.pk for candidate in duplicate.value.check.candidates] == [recorded.pk]


@pytest.mark.parametrize(
    ("existing_birth", "new_birth", "offered"),
    [
        (date(1990, 4, 1), date(1990, 4, 1), True),  # same date of birth
        (None, date(1990, 4, 1), True),  # the one recorded has none: could be the same
        (date(1990, 4, 1), None, True),  # the new one has none
        (date(1990, 4, 1), date(1975, 9, 30), False),  # a different date of birth: a different person
    ],
)
def test_a_similar_name_is_a_duplicate_only_when_the_dates_of_birth_could_match(
    police_officer: User, existing_birth: date | None, new_birth: date | None, offered: bool
) -> None:
    _person(police_officer, "Dean", "Sample", date_of_birth=existing_birth)

    if offered:
        with pytest.raises(PossibleDuplicate):
            _person(police_officer, "Deen", "Sampel", date_of_birth=new_birth)
    else:
        _person(police_officer, "Deen", "Sampel", date_of_birth=new_birth)
        assert PersonOfConcern.objects.count() == 2


def test_the_same_name_with_a_different_date_of_birth_is_still_offered(police_officer: User) -> None:
    existing = _person(police_officer, "Dean", "Sample", date_of_birth=date(1990, 4, 1))

    with pytest.raises(PossibleDuplicate) as duplicate:
        _person(police_officer, "Dean", "Sample", date_of_birth=date(1975, 9, 30))

    assert [candidate.pk for candidate in duplicate.value.check.candidates] == [existing.pk]


def test_a_place_with_the_same_postcode_is_a_possible_duplicate(police_officer: User) -> None:
    existing = _record(
        police_officer, EntityKind.LOCATION, location_type=LocationType.HOTEL, name="Station Hotel", postcode="S60 1AA"
    )

    with pytest.raises(PossibleDuplicate) as duplicate:
        _record(
            police_officer, EntityKind.LOCATION, location_type=LocationType.TAKEAWAY, name="Kebab", postcode="s601aa"
        )

    assert [candidate.pk for candidate in duplicate.value.check.candidates] == [existing.pk]
    other = _record(
        police_officer, EntityKind.LOCATION, location_type=LocationType.PARK, name="Clifton Park", postcode="S65 2AA"
    )
    assert other.pk is not None


def test_a_place_with_a_similar_name_is_a_possible_duplicate(police_officer: User) -> None:
    _record(police_officer, EntityKind.LOCATION, location_type=LocationType.HOTEL, name="Station Hotel")

    with pytest.raises(PossibleDuplicate):
        _record(police_officer, EntityKind.LOCATION, location_type=LocationType.HOTEL, name="The Station Hotel")


def test_a_registration_is_the_same_vehicle_however_it_is_typed(police_officer: User) -> None:
    existing = _record(police_officer, EntityKind.VEHICLE, registration="ab12 cde")

    with pytest.raises(PossibleDuplicate) as duplicate:
        _record(police_officer, EntityKind.VEHICLE, registration="AB12CDE", make="Ford")

    assert [candidate.pk for candidate in duplicate.value.check.candidates] == [existing.pk]
    assert _record(police_officer, EntityKind.VEHICLE, registration="AB12CDF").pk is not None


def test_a_handle_is_the_same_identity_on_the_same_platform_only(police_officer: User) -> None:
    existing = _record(police_officer, EntityKind.ONLINE_IDENTITY, platform="Snapchat", handle="@Name")

    with pytest.raises(PossibleDuplicate) as duplicate:
        _record(police_officer, EntityKind.ONLINE_IDENTITY, platform="snapchat", handle="name")

    assert [candidate.pk for candidate in duplicate.value.check.candidates] == [existing.pk]
    assert _record(police_officer, EntityKind.ONLINE_IDENTITY, platform="Instagram", handle="name").pk is not None


def test_a_similar_group_name_is_a_possible_duplicate(police_officer: User) -> None:
    existing = _record(police_officer, EntityKind.GROUP, name="The Red Lions")

    with pytest.raises(PossibleDuplicate) as duplicate:
        _record(police_officer, EntityKind.GROUP, name="Red Lion")

    assert [candidate.pk for candidate in duplicate.value.check.candidates] == [existing.pk]
    assert _record(police_officer, EntityKind.GROUP, name="Northside Crew").pk is not None


def test_a_police_restricted_record_is_never_offered_to_a_health_worker(
    police_officer: User, detective_sergeant: User, nurse: User, police: Agency
) -> None:
    """Offering it would tell the nurse that police hold intelligence on the person."""
    restricted = entity_record(
        by=police_officer,
        kind=EntityKind.PERSON,
        details={"first_name": "Dean", "last_name": "Sample"},
        restricted_to_agency_id=police.pk,
    )

    recorded = _person(nurse, "Deen", "Sampel")
    assert recorded.pk != restricted.pk

    with pytest.raises(PossibleDuplicate) as duplicate:
        _person(detective_sergeant, "Dean", "Sample")
    assert restricted.pk in [candidate.pk for candidate in duplicate.value.check.candidates]


def test_another_teams_records_are_not_offered(police_officer: User, other_team_officer: User) -> None:
    _record(police_officer, EntityKind.VEHICLE, registration="AB12CDE")

    assert _record(other_team_officer, EntityKind.VEHICLE, registration="AB12CDE").team_id == other_team_officer.team_id


# Changing a record -------------------------------------------------------------------------------------------------


def test_a_record_is_changed_and_its_version_moves_on(police_officer: User) -> None:
    vehicle = _record(police_officer, EntityKind.VEHICLE, registration="AB12CDE", make="Ford")

    changed = entity_update(
        entity=vehicle,
        by=police_officer,
        details={"registration": "xy99 zzz", "make": "Vauxhall", "colour": "Red"},
        notes=" Seen at night ",
        restricted_to_agency_id=None,
        based_on_version=1,
    )

    stored = Vehicle.objects.get(pk=vehicle.pk)
    assert (stored.registration_normalised, stored.make, stored.label, stored.notes) == (
        "XY99ZZZ",
        "Vauxhall",
        "XY99 ZZZ (Red Vauxhall)",
        "Seen at night",
    )
    assert changed.version == stored.version == 2


def test_a_change_based_on_an_old_version_is_refused_and_nothing_changes(police_officer: User) -> None:
    group = _record(police_officer, EntityKind.GROUP, name="The Red Lions")
    entity_update(
        entity=group,
        by=police_officer,
        details={"name": "Red Lions"},
        notes="",
        restricted_to_agency_id=None,
        based_on_version=1,
    )

    with pytest.raises(MappingConflict) as conflict:
        entity_update(
            entity=group,
            by=police_officer,
            details={"name": "Blue Lions"},
            notes="Mine",
            restricted_to_agency_id=None,
            based_on_version=1,
        )

    current = conflict.value.current
    assert isinstance(current, Group)
    assert current.version == 2
    stored = Group.objects.get(pk=group.pk)
    assert (stored.name, stored.notes, stored.version) == ("Red Lions", "", 2)


def test_a_change_with_bad_details_is_refused_by_field(police_officer: User) -> None:
    group = _record(police_officer, EntityKind.GROUP, name="The Red Lions")

    with pytest.raises(ValidationError) as refused:
        entity_update(
            entity=group,
            by=police_officer,
            details={"name": ""},
            notes="",
            restricted_to_agency_id=None,
            based_on_version=1,
        )

    assert set(refused.value.message_dict) == {"name"}
    assert Group.objects.get(pk=group.pk).name == "The Red Lions"


def test_a_childs_entity_is_not_changed_as_a_record(police_officer: User, open_child: OpenChild) -> None:
    entity = child_entity(child=open_child(), by=police_officer)

    with pytest.raises(MappingRefused):
        entity_update(
            entity=entity, by=police_officer, details={}, notes="", restricted_to_agency_id=None, based_on_version=1
        )


@pytest.mark.parametrize("kind", [EntityKind.GROUP, EntityKind.LOCATION])
def test_groups_and_places_are_flagged_for_disruption_with_a_reason(police_officer: User, kind: str) -> None:
    details = {"name": "Red Lions"} if kind == EntityKind.GROUP else {"location_type": "hotel", "name": "Hotel"}
    entity = _record(police_officer, kind, **details)

    with pytest.raises(ValidationError) as refused:
        entity_flag_for_disruption(entity=entity, by=police_officer, flagged=True, reason="  ", based_on_version=1)
    assert "reason" in refused.value.message_dict

    flagged = entity_flag_for_disruption(
        entity=entity, by=police_officer, flagged=True, reason="Children seen there late", based_on_version=1
    )
    assert (flagged.flagged_for_disruption, flagged.flag_reason, flagged.flagged_by_id) == (
        True,
        "Children seen there late",
        police_officer.pk,
    )
    assert flagged.flagged_at is not None

    cleared = entity_flag_for_disruption(entity=entity, by=police_officer, flagged=False, reason="", based_on_version=2)
    assert (cleared.flagged_for_disruption, cleared.flag_reason, cleared.flagged_at) == (False, "", None)

    with pytest.raises(MappingConflict):
        entity_flag_for_disruption(entity=entity, by=police_officer, flagged=True, reason="Again", based_on_version=2)


@pytest.mark.parametrize(
    ("kind", "details"),
    [
        (EntityKind.PERSON, {"last_name": "Sample"}),
        (EntityKind.VEHICLE, {"registration": "AB12CDE"}),
        (EntityKind.ONLINE_IDENTITY, {"platform": "Snapchat", "handle": "dee"}),
    ],
)
def test_only_groups_and_places_go_to_the_intelligence_sharing_meeting(
    police_officer: User, kind: str, details: dict[str, str]
) -> None:
    entity = _record(police_officer, kind, **details)

    with pytest.raises(ValidationError) as refused:
        entity_flag_for_disruption(entity=entity, by=police_officer, flagged=True, reason="Why", based_on_version=1)

    assert "flagged" in refused.value.message_dict
    assert not Entity.objects.get(pk=entity.pk).flagged_for_disruption


def test_an_outsider_does_not_flag(police_officer: User, outsider: User) -> None:
    group = _record(police_officer, EntityKind.GROUP, name="Red Lions")
    with pytest.raises(MappingRefused):
        entity_flag_for_disruption(entity=group, by=outsider, flagged=True, reason="Why", based_on_version=1)


# Links -------------------------------------------------------------------------------------------------------------


def test_linking_a_child_makes_the_childs_entity_once_and_files_it_in_the_childs_chronology(
    police_officer: User, open_child: OpenChild, person: Person, place: Place
) -> None:
    child = open_child()
    dean = person(police_officer)
    hotel = place(police_officer)

    first = link_record(
        by=police_officer, a=child_entity(child=child, by=police_officer), b=dean, given=_given(police_officer)
    )
    second = link_record(
        by=police_officer,
        a=child_entity(child=child, by=police_officer),
        b=hotel,
        given=_given(police_officer, kind=LinkKind.SEEN_AT),
    )

    assert first.a_id == second.a_id
    assert Entity.objects.filter(kind=EntityKind.CHILD, child=child).count() == 1
    entries = ChronologyEntry.objects.filter(child=child, source_type=LINK_SOURCE).order_by("id")
    assert [(entry.source_id, entry.restricted_to_agency_id) for entry in entries] == [
        (first.pk, None),
        (second.pk, None),
    ]
    assert "person of concern" in entries[0].summary
    assert entries[0].rationale == "Seen together outside the takeaway"


@pytest.mark.parametrize("user", ["outsider", "governance", "case_holder"])
def test_only_team_members_put_a_child_in_the_network(
    request: pytest.FixtureRequest, open_child: OpenChild, user: str
) -> None:
    with pytest.raises(MappingRefused):
        child_entity(child=open_child(), by=request.getfixturevalue(user))
    assert not Entity.objects.exists()


def test_the_chronology_entry_is_restricted_when_the_link_or_the_other_end_is(
    police_officer: User, open_child: OpenChild, person: Person, police: Agency
) -> None:
    child = open_child()
    own = child_entity(child=child, by=police_officer)
    open_person = person(police_officer, "Open", "Person")
    restricted_person = person(police_officer, "Hidden", "Person", restricted=True)

    restricted_link = link_record(
        by=police_officer, a=own, b=open_person, given=_given(police_officer, restricted_to_agency_id=police.pk)
    )
    to_restricted = link_record(by=police_officer, a=restricted_person, b=own, given=_given(police_officer))

    restrictions = dict(
        ChronologyEntry.objects.filter(child=child, source_type=LINK_SOURCE).values_list(
            "source_id", "restricted_to_agency_id"
        )
    )
    assert restrictions == {restricted_link.pk: police.pk, to_restricted.pk: police.pk}


def test_a_link_between_two_records_files_nothing_in_any_chronology(
    police_officer: User, person: Person, place: Place
) -> None:
    link_record(by=police_officer, a=person(police_officer), b=place(police_officer), given=_given(police_officer))
    assert not ChronologyEntry.objects.exists()


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"kind": "friends"}, {"kind"}),
        ({"confidence": "sure"}, {"confidence"}),
        ({"evidence": "  "}, {"evidence"}),
        ({"source_agency_id": None}, {"source_agency"}),
        ({"source_agency_id": 987654}, {"source_agency"}),
        ({"first_seen_on": date(2024, 5, 2), "last_seen_on": date(2024, 5, 1)}, {"last_seen_on"}),
        ({"first_seen_on": date.today() + timedelta(days=2)}, {"first_seen_on"}),
        ({"last_seen_on": date.today() + timedelta(days=2)}, {"last_seen_on"}),
    ],
)
def test_a_link_with_bad_details_is_refused_by_field_and_nothing_is_saved(
    police_officer: User, person: Person, place: Place, fields: dict[str, Any], errors: set[str]
) -> None:
    dean, hotel = person(police_officer), place(police_officer)

    with pytest.raises(ValidationError) as refused:
        link_record(by=police_officer, a=dean, b=hotel, given=_given(police_officer, **fields))

    assert set(refused.value.message_dict) == errors
    assert not Link.objects.exists()


def test_a_link_on_the_same_day_first_and_last_seen_is_fine(police_officer: User, person: Person, place: Place) -> None:
    today = timezone.localdate()
    link = link_record(
        by=police_officer,
        a=person(police_officer),
        b=place(police_officer),
        given=_given(police_officer, first_seen_on=today, last_seen_on=today),
    )
    assert link.first_seen_on == link.last_seen_on == today


def test_a_record_is_not_linked_to_itself(police_officer: User, person: Person) -> None:
    dean = person(police_officer)
    with pytest.raises(ValidationError) as refused:
        link_record(by=police_officer, a=dean, b=dean, given=_given(police_officer))
    assert "b" in refused.value.message_dict


@pytest.mark.parametrize("reverse", [False, True])
def test_the_same_link_twice_is_refused_either_way_round(
    police_officer: User, person: Person, place: Place, reverse: bool
) -> None:
    dean, hotel = person(police_officer), place(police_officer)
    link_record(by=police_officer, a=dean, b=hotel, given=_given(police_officer))

    with pytest.raises(ValidationError) as refused:
        a, b = (hotel, dean) if reverse else (dean, hotel)
        link_record(by=police_officer, a=a, b=b, given=_given(police_officer, evidence="Again"))

    assert "kind" in refused.value.message_dict
    assert Link.objects.count() == 1
    # Another kind of link between the same two is a different link.
    assert link_record(by=police_officer, a=dean, b=hotel, given=_given(police_officer, kind=LinkKind.WORKS_AT)).pk


def test_the_database_refuses_a_link_to_itself_and_dates_out_of_order(
    police_officer: User, person: Person, place: Place
) -> None:
    link = link_record(
        by=police_officer, a=person(police_officer), b=place(police_officer), given=_given(police_officer)
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Link.objects.filter(pk=link.pk).update(b_id=link.a_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        Link.objects.filter(pk=link.pk).update(first_seen_on=date(2024, 2, 1), last_seen_on=date(2024, 1, 1))


@pytest.mark.parametrize("user", ["outsider", "governance", "case_holder"])
def test_only_team_members_link(
    request: pytest.FixtureRequest, police_officer: User, person: Person, place: Place, user: str
) -> None:
    dean, hotel = person(police_officer), place(police_officer)
    by = request.getfixturevalue(user)
    with pytest.raises(MappingRefused):
        link_record(by=by, a=dean, b=hotel, given=_given(police_officer))
    assert not Link.objects.exists()


def test_a_link_is_restricted_only_to_the_recorders_agency(
    social_worker: User, person: Person, place: Place, police: Agency
) -> None:
    with pytest.raises(ValidationError) as refused:
        link_record(
            by=social_worker,
            a=person(social_worker),
            b=place(social_worker),
            given=_given(social_worker, restricted_to_agency_id=police.pk),
        )
    assert "restricted_to_agency" in refused.value.message_dict


def test_changing_a_link_keeps_what_it_said_before(
    police_officer: User, social_worker: User, person: Person, place: Place, social_care: Agency
) -> None:
    dean, hotel = person(police_officer), place(police_officer)
    link = link_record(
        by=police_officer,
        a=dean,
        b=hotel,
        given=_given(police_officer, first_seen_on=date(2024, 1, 5), evidence="Seen by a patrol"),
    )

    changed = link_update(
        link=link,
        by=social_worker,
        given=_given(
            social_worker,
            kind=LinkKind.WORKS_AT,
            confidence=Confidence.CONFIRMED,
            evidence="Works the night shift there",
            first_seen_on=date(2024, 1, 5),
            last_seen_on=date(2024, 3, 1),
        ),
        based_on_version=1,
    )

    assert (changed.version, changed.kind, changed.evidence, changed.updated_by_id) == (
        2,
        LinkKind.WORKS_AT,
        "Works the night shift there",
        social_worker.pk,
    )
    [before] = link_revisions(link=changed)
    assert (before.version, before.kind, before.evidence, before.confidence, before.recorded_by_id) == (
        1,
        LinkKind.ASSOCIATES_WITH,
        "Seen by a patrol",
        Confidence.PROBABLE,
        police_officer.pk,
    )
    assert (before.first_seen_on, before.last_seen_on, before.source_agency_id) == (
        date(2024, 1, 5),
        None,
        police_officer.agency_id,
    )

    link_update(link=changed, by=police_officer, given=_given(police_officer, evidence="Third"), based_on_version=2)
    assert [revision.version for revision in link_revisions(link=changed)] == [2, 1]
    assert Link.objects.get(pk=link.pk).source_agency_id == police_officer.agency_id
    assert social_care.pk != police_officer.agency_id


def test_a_link_change_based_on_an_old_version_is_refused_and_nothing_changes(
    police_officer: User, person: Person, place: Place
) -> None:
    link = link_record(
        by=police_officer, a=person(police_officer), b=place(police_officer), given=_given(police_officer)
    )
    link_update(link=link, by=police_officer, given=_given(police_officer, evidence="First change"), based_on_version=1)

    with pytest.raises(MappingConflict) as conflict:
        link_update(link=link, by=police_officer, given=_given(police_officer, evidence="Mine"), based_on_version=1)

    current = conflict.value.current
    assert isinstance(current, Link)
    assert current.evidence == "First change"
    stored = Link.objects.get(pk=link.pk)
    assert (stored.evidence, stored.version) == ("First change", 2)
    assert LinkRevision.objects.filter(link=link).count() == 1


def test_a_link_change_is_filed_in_the_childs_chronology(
    police_officer: User, open_child: OpenChild, person: Person, link: MakeLink
) -> None:
    child = open_child()
    recorded = link(police_officer, child, person(police_officer))

    link_update(
        link=recorded, by=police_officer, given=_given(police_officer, evidence="More seen"), based_on_version=1
    )

    summaries = list(
        ChronologyEntry.objects.filter(child=child, source_type=LINK_SOURCE).values_list("summary", flat=True)
    )
    assert len(summaries) == 2
    assert any("link changed" in summary for summary in summaries)


def test_a_withdrawn_link_is_kept_but_leaves_the_record_and_the_network(
    police_officer: User, open_child: OpenChild, person: Person, link: MakeLink
) -> None:
    child = open_child()
    dean = person(police_officer)
    recorded = link(police_officer, child, dean)

    with pytest.raises(ValidationError):
        link_withdraw(link=recorded, by=police_officer, reason=" ", based_on_version=1)
    with pytest.raises(MappingConflict):
        link_withdraw(link=recorded, by=police_officer, reason="Wrong person", based_on_version=7)

    withdrawn = link_withdraw(link=recorded, by=police_officer, reason="Wrong person", based_on_version=1)

    stored = Link.objects.get(pk=recorded.pk)
    assert (stored.withdrawn_by_id, stored.withdrawn_reason, stored.version) == (police_officer.pk, "Wrong person", 2)
    assert withdrawn.withdrawn_at is not None
    assert links_for_entity(user=police_officer, entity=dean) == []
    assert [kept.pk for kept in links_for_entity(user=police_officer, entity=dean, include_withdrawn=True)] == [
        recorded.pk
    ]
    network = network_for_user(user=police_officer, start=dean)
    assert [node.entity.pk for node in network.nodes] == [dean.pk]
    assert network.links == []
    assert ChronologyEntry.objects.filter(child=child, summary__contains="withdrawn").exists()

    with pytest.raises(MappingRefused):
        link_withdraw(link=recorded, by=police_officer, reason="Again", based_on_version=2)
    with pytest.raises(MappingRefused):
        link_update(link=recorded, by=police_officer, given=_given(police_officer), based_on_version=2)
    # Withdrawn, the same two may be linked that way again.
    assert link(police_officer, child, dean).pk != recorded.pk


# Missing episodes --------------------------------------------------------------------------------------------------


INTERVIEWED = {"return_interview_done": True, "return_interview_by": "Jo Bloggs, Barnardo's"}


def _ago(**delta: float) -> datetime:
    return timezone.now() - timedelta(**delta)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"started_at": None}, {"started_at"}),
        ({"started_at": "future"}, {"started_at"}),
        ({"ended_at": "before"}, {"ended_at"}),
        ({"ended_at": "future"}, {"ended_at"}),
        ({"return_interview_done": True, "return_interview_by": "Jo Bloggs, Barnardo's"}, {"return_interview_done"}),
        ({"ended_at": "found", "return_interview_done": True}, {"return_interview_by"}),
        ({"ended_at": "found", "return_interview_on": date(2024, 1, 1)}, {"return_interview_done"}),
        (
            {"ended_at": "found", **INTERVIEWED, "return_interview_on": date.today() + timedelta(days=2)},
            {"return_interview_on"},
        ),
        (
            {"ended_at": "found", **INTERVIEWED, "return_interview_on": date.today() - timedelta(days=10)},
            {"return_interview_on"},
        ),
        ({"linked": "group"}, {"linked"}),
    ],
)
def test_a_missing_episode_that_does_not_add_up_is_refused_by_field_and_nothing_is_saved(
    social_worker: User, open_child: OpenChild, fields: dict[str, Any], errors: set[str]
) -> None:
    child = open_child()
    started = _ago(days=3)
    moments = {
        "future": timezone.now() + timedelta(hours=2),
        "before": started - timedelta(hours=1),
        "found": _ago(days=2),
    }
    values: dict[str, Any] = {"started_at": started}
    for field, value in fields.items():
        if value == "group":
            values[field] = [_record(social_worker, EntityKind.GROUP, name="Red Lions")]
        else:
            values[field] = moments.get(value, value) if isinstance(value, str) and field.endswith("_at") else value

    with pytest.raises(ValidationError) as refused:
        missing_episode_record(child=child, by=social_worker, given=EpisodeInput(**values))

    assert set(refused.value.message_dict) == errors
    assert not MissingEpisode.objects.exists()
    assert not ChronologyEntry.objects.filter(child=child).exists()


def test_a_missing_episode_is_recorded_with_the_place_found_among_those_linked(
    social_worker: User, police_officer: User, open_child: OpenChild, person: Person, place: Place
) -> None:
    child = open_child()
    hotel, dean = place(police_officer), person(police_officer)
    started = _ago(days=3)

    episode = missing_episode_record(
        child=child,
        by=social_worker,
        given=EpisodeInput(
            started_at=started,
            ended_at=_ago(days=2),
            where_found=" In a hotel room ",
            found_at=hotel,
            return_interview_done=True,
            return_interview_on=timezone.localdate() - timedelta(days=1),
            return_interview_by="Jo Bloggs, Barnardo's",
            linked=[dean],
        ),
    )

    assert (episode.team_id, episode.where_found, episode.created_by_id) == (
        social_worker.team_id,
        "In a hotel room",
        social_worker.pk,
    )
    assert set(episode.linked.values_list("pk", flat=True)) == {hotel.pk, dean.pk}
    entry = ChronologyEntry.objects.get(child=child, source_type="missing_episode")
    assert (entry.source_id, entry.occurred_at, entry.kind) == (episode.pk, started, "missing_episode")
    assert "found" in entry.summary


def test_a_missing_episode_is_updated_when_the_child_is_found(
    social_worker: User, police_officer: User, open_child: OpenChild, place: Place
) -> None:
    child = open_child()
    episode = missing_episode_record(child=child, by=social_worker, given=EpisodeInput(started_at=_ago(days=1)))
    hotel = place(police_officer)

    found = missing_episode_update(
        episode=episode,
        by=police_officer,
        given=EpisodeInput(started_at=episode.started_at, ended_at=_ago(hours=2), found_at=hotel),
        based_on_version=1,
    )

    assert (found.version, found.found_at_id) == (2, hotel.pk)
    assert list(found.linked.values_list("pk", flat=True)) == [hotel.pk]
    assert ChronologyEntry.objects.filter(child=child, source_type="missing_episode").count() == 2

    with pytest.raises(MappingConflict):
        missing_episode_update(
            episode=episode, by=social_worker, given=EpisodeInput(started_at=episode.started_at), based_on_version=1
        )
    assert MissingEpisode.objects.get(pk=episode.pk).ended_at is not None


@pytest.mark.parametrize("user", ["outsider", "governance", "case_holder"])
def test_only_team_members_record_missing_episodes(
    request: pytest.FixtureRequest, open_child: OpenChild, user: str
) -> None:
    with pytest.raises(MappingRefused):
        missing_episode_record(
            child=open_child(), by=request.getfixturevalue(user), given=EpisodeInput(started_at=_ago(days=1))
        )
    assert not MissingEpisode.objects.exists()


def test_the_database_refuses_an_episode_ending_before_it_starts(social_worker: User, open_child: OpenChild) -> None:
    episode = missing_episode_record(child=open_child(), by=social_worker, given=EpisodeInput(started_at=_ago(days=1)))
    with pytest.raises(IntegrityError), transaction.atomic():
        MissingEpisode.objects.filter(pk=episode.pk).update(ended_at=_ago(days=2))


# Pursuit -----------------------------------------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate()


def test_an_investigation_opened_and_closed_is_filed_in_each_childs_chronology(
    detective_sergeant: User, open_child: OpenChild, person: Person, police: Agency
) -> None:
    first, second = open_child("Ava"), open_child("Bea")
    dean = person(detective_sergeant)

    investigation = investigation_open(
        by=detective_sergeant,
        reference=" OP  NIGHTJAR ",
        summary="Exploitation at the hotel",
        opened_on=_today() - timedelta(days=30),
        lead_officer=detective_sergeant,
        children=[first, second],
        perpetrators=[dean],
        restricted_to_agency_id=police.pk,
    )

    assert investigation.reference == "OP NIGHTJAR"
    assert set(investigation.children.all()) == {first, second}
    assert list(investigation.perpetrators.all()) == [dean]
    opened = ChronologyEntry.objects.filter(source_type="investigation", source_id=investigation.pk)
    assert sorted(opened.values_list("child_id", "restricted_to_agency_id")) == sorted(
        [(first.pk, police.pk), (second.pk, police.pk)]
    )

    with pytest.raises(ValidationError) as refused:
        investigation_close(
            investigation=investigation,
            by=detective_sergeant,
            closed_on=_today() - timedelta(days=31),
            based_on_version=1,
        )
    assert "closed_on" in refused.value.message_dict
    with pytest.raises(MappingConflict):
        investigation_close(investigation=investigation, by=detective_sergeant, closed_on=_today(), based_on_version=9)

    closed = investigation_close(
        investigation=investigation, by=detective_sergeant, closed_on=_today(), based_on_version=1
    )

    assert (closed.closed_on, closed.version) == (_today(), 2)
    closings = ChronologyEntry.objects.filter(source_type="investigation", summary__startswith="Investigation closed")
    assert sorted(closings.values_list("child_id", flat=True)) == sorted([first.pk, second.pk])
    with pytest.raises(MappingRefused):
        investigation_close(investigation=investigation, by=detective_sergeant, closed_on=_today(), based_on_version=2)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"reference": " "}, {"reference"}),
        ({"summary": ""}, {"summary"}),
        ({"opened_on": None}, {"opened_on"}),
        ({"opened_on": "future"}, {"opened_on"}),
        ({"lead_officer": None}, {"lead_officer"}),
        ({"children": []}, {"children"}),
    ],
)
def test_an_investigation_missing_what_it_needs_is_refused(
    detective_sergeant: User, open_child: OpenChild, fields: dict[str, Any], errors: set[str]
) -> None:
    values: dict[str, Any] = {
        "reference": "OP NIGHTJAR",
        "summary": "Exploitation",
        "opened_on": _today(),
        "lead_officer": detective_sergeant,
        "children": [open_child()],
    }
    values.update(fields)
    if values["opened_on"] == "future":
        values["opened_on"] = _today() + timedelta(days=1)

    with pytest.raises(ValidationError) as refused:
        investigation_open(by=detective_sergeant, **values)

    assert set(refused.value.message_dict) == errors
    assert not Investigation.objects.exists()
    assert not ChronologyEntry.objects.exists()


def test_a_prosecution_concludes_once_and_only_after_the_charge(detective_sergeant: User, person: Person) -> None:
    dean = person(detective_sergeant)
    charged_on = _today() - timedelta(days=100)
    with pytest.raises(ValidationError) as refused:
        prosecution_record(
            by=detective_sergeant, perpetrator=dean, charges=" ", charged_on=_today() + timedelta(days=1)
        )
    assert set(refused.value.message_dict) == {"charges", "charged_on"}

    prosecution = prosecution_record(
        by=detective_sergeant, perpetrator=dean, charges="Trafficking", charged_on=charged_on, court=" Crown  Court "
    )
    assert (prosecution.outcome, prosecution.court) == (ProsecutionOutcome.PENDING, "Crown Court")

    for outcome, concluded_on, field in [
        (ProsecutionOutcome.PENDING, _today(), "outcome"),
        ("guilty", _today(), "outcome"),
        (ProsecutionOutcome.CONVICTED, None, "concluded_on"),
        (ProsecutionOutcome.CONVICTED, charged_on - timedelta(days=1), "concluded_on"),
        (ProsecutionOutcome.CONVICTED, _today() + timedelta(days=1), "concluded_on"),
    ]:
        with pytest.raises(ValidationError) as refused:
            prosecution_conclude(
                prosecution=prosecution,
                by=detective_sergeant,
                outcome=outcome,
                concluded_on=concluded_on,
                based_on_version=1,
            )
        assert field in refused.value.message_dict

    concluded = prosecution_conclude(
        prosecution=prosecution,
        by=detective_sergeant,
        outcome=ProsecutionOutcome.CONVICTED,
        concluded_on=charged_on,
        notes="Eight years",
        based_on_version=1,
    )
    assert (concluded.outcome, concluded.concluded_on, concluded.outcome_notes, concluded.version) == (
        ProsecutionOutcome.CONVICTED,
        charged_on,
        "Eight years",
        2,
    )
    with pytest.raises(MappingRefused):
        prosecution_conclude(
            prosecution=prosecution,
            by=detective_sergeant,
            outcome=ProsecutionOutcome.ACQUITTED,
            concluded_on=_today(),
            based_on_version=2,
        )
    assert Prosecution.objects.get(pk=prosecution.pk).outcome == ProsecutionOutcome.CONVICTED


def test_the_database_refuses_an_outcome_without_a_conclusion_date(detective_sergeant: User, person: Person) -> None:
    prosecution = prosecution_record(
        by=detective_sergeant, perpetrator=person(detective_sergeant), charges="Trafficking", charged_on=_today()
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        Prosecution.objects.filter(pk=prosecution.pk).update(outcome=ProsecutionOutcome.CONVICTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Prosecution.objects.filter(pk=prosecution.pk).update(concluded_on=_today())
    assert Prosecution.objects.get(pk=prosecution.pk).outcome == ProsecutionOutcome.PENDING


def test_a_child_abduction_warning_notice_names_the_child_and_is_served_on_a_person(
    detective_sergeant: User, open_child: OpenChild, person: Person, place: Place, police: Agency
) -> None:
    child, dean, hotel = open_child(), person(detective_sergeant), place(detective_sergeant)

    with pytest.raises(ValidationError) as refused:
        disruption_record(by=detective_sergeant, kind=DisruptionKind.CAWN, target=dean, taken_on=_today())
    assert set(refused.value.message_dict) == {"child"}
    with pytest.raises(ValidationError) as refused:
        disruption_record(by=detective_sergeant, kind=DisruptionKind.CAWN, target=hotel, taken_on=_today(), child=child)
    assert set(refused.value.message_dict) == {"target"}

    notice = disruption_record(
        by=detective_sergeant,
        kind=DisruptionKind.CAWN,
        target=dean,
        child=child,
        taken_on=_today(),
        expires_on=_today() + timedelta(days=730),
        details="Served at his home address",
        restricted_to_agency_id=police.pk,
    )

    entry = ChronologyEntry.objects.get(child=child, source_type="disruption")
    assert (entry.source_id, entry.restricted_to_agency_id) == (notice.pk, police.pk)
    assert "Child Abduction Warning Notice" in entry.summary


def test_a_notice_served_on_a_police_only_person_is_police_only_in_the_childs_chronology(
    detective_sergeant: User, open_child: OpenChild, person: Person, police: Agency
) -> None:
    child = open_child()
    hidden = person(detective_sergeant, "Hidden", "Person", restricted=True)

    notice = disruption_record(
        by=detective_sergeant, kind=DisruptionKind.CAWN, target=hidden, child=child, taken_on=_today()
    )

    entry = ChronologyEntry.objects.get(child=child, source_type="disruption")
    assert (entry.source_id, entry.restricted_to_agency_id) == (notice.pk, police.pk)


@pytest.mark.parametrize(
    ("kind", "target", "fields", "errors"),
    [
        (DisruptionKind.SRO, "place", {}, {"target"}),
        (DisruptionKind.SHPO, "place", {}, {"target"}),
        (DisruptionKind.LICENSING, "child", {}, {"target"}),
        ("bail", "place", {}, {"kind"}),
        (DisruptionKind.LICENSING, "place", {"taken_on": None}, {"taken_on"}),
        (DisruptionKind.LICENSING, "place", {"taken_on": "future"}, {"taken_on"}),
        (DisruptionKind.CLOSURE_ORDER, "place", {"expires_on": "before"}, {"expires_on"}),
    ],
)
def test_a_disruption_that_does_not_fit_its_target_is_refused(
    detective_sergeant: User,
    open_child: OpenChild,
    place: Place,
    kind: str,
    target: str,
    fields: dict[str, Any],
    errors: set[str],
) -> None:
    ends = {"place": place(detective_sergeant), "child": child_entity(child=open_child(), by=detective_sergeant)}
    moments = {"future": _today() + timedelta(days=1), "before": _today() - timedelta(days=1)}
    values: dict[str, Any] = {"taken_on": _today()}
    values.update(
        {field: moments.get(value, value) if isinstance(value, str) else value for field, value in fields.items()}
    )

    with pytest.raises(ValidationError) as refused:
        disruption_record(by=detective_sergeant, kind=kind, target=ends[target], **values)

    assert set(refused.value.message_dict) == errors
    assert not Disruption.objects.exists()


def test_a_disruptions_outcome_is_recorded_once(detective_sergeant: User, place: Place) -> None:
    taken_on = _today() - timedelta(days=10)
    order = disruption_record(
        by=detective_sergeant, kind=DisruptionKind.CLOSURE_ORDER, target=place(detective_sergeant), taken_on=taken_on
    )

    for outcome, outcome_on, field in [
        (DisruptionOutcome.IN_FORCE, _today(), "outcome"),
        (DisruptionOutcome.BREACHED, taken_on - timedelta(days=1), "outcome_on"),
        (DisruptionOutcome.BREACHED, None, "outcome_on"),
    ]:
        with pytest.raises(ValidationError) as refused:
            disruption_outcome_record(
                disruption=order, by=detective_sergeant, outcome=outcome, outcome_on=outcome_on, based_on_version=1
            )
        assert field in refused.value.message_dict

    breached = disruption_outcome_record(
        disruption=order,
        by=detective_sergeant,
        outcome=DisruptionOutcome.BREACHED,
        outcome_on=_today(),
        based_on_version=1,
    )
    assert (breached.outcome, breached.outcome_on, breached.version) == (DisruptionOutcome.BREACHED, _today(), 2)
    with pytest.raises(MappingRefused):
        disruption_outcome_record(
            disruption=order,
            by=detective_sergeant,
            outcome=DisruptionOutcome.COMPLIED,
            outcome_on=_today(),
            based_on_version=2,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Disruption.objects.filter(pk=order.pk).update(outcome_on=taken_on - timedelta(days=5))
    with pytest.raises(IntegrityError), transaction.atomic():
        Disruption.objects.filter(pk=order.pk).update(outcome_on=None)


@pytest.mark.parametrize("user", ["outsider", "governance", "case_holder"])
def test_only_team_members_record_pursuit(
    request: pytest.FixtureRequest, detective_sergeant: User, person: Person, user: str
) -> None:
    by = request.getfixturevalue(user)
    dean = person(detective_sergeant)
    with pytest.raises(MappingRefused):
        investigation_open(
            by=by, reference="OP", summary="S", opened_on=_today(), lead_officer=detective_sergeant, perpetrators=[dean]
        )
    with pytest.raises(MappingRefused):
        prosecution_record(by=by, perpetrator=dean, charges="Trafficking", charged_on=_today())
    with pytest.raises(MappingRefused):
        disruption_record(by=by, kind=DisruptionKind.OTHER, target=dean, taken_on=_today())


@pytest.mark.parametrize("user", ["outsider", "governance", "case_holder"])
def test_only_team_members_change_records_and_links(
    request: pytest.FixtureRequest, police_officer: User, person: Person, place: Place, user: str
) -> None:
    by = request.getfixturevalue(user)
    dean, hotel = person(police_officer), place(police_officer)
    recorded = link_record(by=police_officer, a=dean, b=hotel, given=_given(police_officer))

    with pytest.raises(MappingRefused):
        entity_update(
            entity=dean,
            by=by,
            details={"last_name": "Changed"},
            notes="",
            restricted_to_agency_id=None,
            based_on_version=1,
        )
    with pytest.raises(MappingRefused):
        link_update(link=recorded, by=by, given=_given(police_officer, evidence="Changed"), based_on_version=1)
    with pytest.raises(MappingRefused):
        link_withdraw(link=recorded, by=by, reason="Wrong", based_on_version=1)

    assert PersonOfConcern.objects.get(pk=dean.pk).last_name == "Sample"
    stored = Link.objects.get(pk=recorded.pk)
    assert (stored.evidence, stored.withdrawn_at, stored.version) == ("Seen together outside the takeaway", None, 1)


def test_changing_a_links_kind_to_one_the_two_already_have_is_refused(
    police_officer: User, person: Person, place: Place
) -> None:
    dean, hotel = person(police_officer), place(police_officer)
    works_at = link_record(by=police_officer, a=dean, b=hotel, given=_given(police_officer, kind=LinkKind.WORKS_AT))
    seen_at = link_record(by=police_officer, a=hotel, b=dean, given=_given(police_officer, kind=LinkKind.SEEN_AT))

    with pytest.raises(ValidationError) as refused:
        link_update(
            link=seen_at, by=police_officer, given=_given(police_officer, kind=LinkKind.WORKS_AT), based_on_version=1
        )

    assert "kind" in refused.value.message_dict
    assert Link.objects.get(pk=seen_at.pk).kind == LinkKind.SEEN_AT
    assert not LinkRevision.objects.exists()
    assert works_at.kind == LinkKind.WORKS_AT


def test_only_the_agency_that_recorded_a_shared_record_or_link_may_restrict_it(
    person: Person, place: Place, link: MakeLink, police_officer: User, nurse: User
) -> None:
    """A nurse restricting a police officer's record to health would hide it from the police who made it."""
    dean = person(police_officer)
    details: dict[str, Any] = {"first_name": "Dean", "last_name": "Sample", "aliases": [], "date_of_birth": None}
    with pytest.raises(ValidationError) as refused:
        entity_update(
            entity=dean,
            by=nurse,
            details=details,
            notes="",
            restricted_to_agency_id=nurse.agency_id,
            based_on_version=dean.version,
        )
    assert "restricted_to_agency" in refused.value.message_dict
    dean.refresh_from_db()
    assert dean.restricted_to_agency_id is None
    joined = link(police_officer, dean, place(police_officer))
    with pytest.raises(ValidationError):
        link_update(
            link=joined,
            by=nurse,
            given=_given(nurse, restricted_to_agency_id=nurse.agency_id),
            based_on_version=joined.version,
        )
    joined.refresh_from_db()
    assert joined.restricted_to_agency_id is None and joined.version == 1
    # The agency that recorded them may.
    restricted = entity_update(
        entity=dean,
        by=police_officer,
        details=details,
        notes="",
        restricted_to_agency_id=police_officer.agency_id,
        based_on_version=dean.version,
    )
    assert restricted.restricted_to_agency_id == police_officer.agency_id
