"""Reading the team's mapping (issue 6): children linked through a common person or place, the hotspot map's
figures, the missing-episode flag and counts, pursuit lists and the Intelligence Sharing Meeting pack. Only what the
user may see counts, and each read costs the same statements however much there is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evolve.accounts.models import Agency, User
from evolve.audit.models import AccessLogEntry
from evolve.people.models import Child
from mapping.models import DisruptionKind, Entity, EntityKind, Link, LinkKind, Location, PersonOfConcern
from mapping.selectors import (
    children_missing_often,
    hotspots,
    intelligence_pack,
    investigation_children,
    linked_children,
    links_for_entity,
    missing_counts,
    missing_episodes_for_child,
    missing_flagged_child_ids,
    pursuit_for_entity,
)
from mapping.services import (
    EpisodeInput,
    disruption_record,
    entity_flag_for_disruption,
    entity_record,
    investigation_open,
    link_withdraw,
    missing_episode_record,
    prosecution_record,
)

pytestmark = pytest.mark.django_db

Person = Callable[..., PersonOfConcern]
Place = Callable[..., Location]
MakeLink = Callable[..., Link]
OpenChild = Callable[..., Child]


def _statements(read: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        read()
    return len(captured.captured_queries)


def _days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


def _today() -> date:
    return timezone.localdate()


# Children linked through a common person or place -------------------------------------------------------------------


def _linked(user: User, child: Child) -> dict[Child, set[int]]:
    return {item.child: {entity.pk for entity in item.through} for item in linked_children(user=user, child=child)}


def test_children_linked_through_a_common_person_or_place(
    police_officer: User, open_child: OpenChild, person: Person, place: Place, link: MakeLink
) -> None:
    ava, bea, cat, dot = open_child("Ava"), open_child("Bea"), open_child("Cat"), open_child("Dot")
    dean, hotel, other = person(police_officer), place(police_officer), person(police_officer, "Other", "Person")
    link(police_officer, ava, dean, kind=LinkKind.EXPLOITED_BY)
    link(police_officer, ava, dean, kind=LinkKind.CONTACTED_BY)  # twice: Ava still does not list herself
    link(police_officer, ava, hotel, kind=LinkKind.SEEN_AT)
    link(police_officer, dean, bea)
    link(police_officer, bea, hotel, kind=LinkKind.SEEN_AT)
    link(police_officer, cat, hotel, kind=LinkKind.SEEN_AT)
    link(police_officer, dot, other)  # nothing in common with Ava
    link(police_officer, ava, dot, kind=LinkKind.RELATED_TO)  # linked directly, not through a person or place

    assert _linked(police_officer, ava) == {bea: {dean.pk, hotel.pk}, cat: {hotel.pk}}
    assert [item.child for item in linked_children(user=police_officer, child=ava)] == [bea, cat]
    assert _linked(police_officer, cat) == {ava: {hotel.pk}, bea: {hotel.pk}}
    assert _linked(police_officer, open_child("Eve")) == {}  # never linked
    logged = AccessLogEntry.objects.filter(user=police_officer, what="children linked through mapping")
    assert set(logged.values_list("child_id", flat=True)) == {bea.pk, cat.pk, ava.pk}


def test_a_hidden_record_links_nobody(
    police_officer: User, nurse: User, open_child: OpenChild, person: Person, place: Place, link: MakeLink
) -> None:
    ava, bea, cat = open_child("Ava"), open_child("Bea"), open_child("Cat")
    hidden = person(police_officer, "Hidden", "Person", restricted=True)
    hotel = place(police_officer)
    link(police_officer, ava, hidden)
    link(police_officer, bea, hidden)
    link(police_officer, ava, hotel, restricted=True)
    link(police_officer, cat, hotel)

    assert _linked(nurse, ava) == {}
    assert _linked(police_officer, ava) == {bea: {hidden.pk}, cat: {hotel.pk}}


def test_a_child_the_user_may_not_see_is_not_listed(
    police_officer: User,
    social_worker: User,
    open_child: OpenChild,
    person: Person,
    link: MakeLink,
    police: Agency,
) -> None:
    ava, hidden_child = open_child("Ava"), open_child("Bea", restricted_to_agency=police)
    dean = person(police_officer)
    link(police_officer, ava, dean)
    link(police_officer, hidden_child, dean)

    assert _linked(social_worker, ava) == {}
    assert _linked(police_officer, ava) == {hidden_child: {dean.pk}}


def test_a_withdrawn_link_links_nobody(
    police_officer: User, open_child: OpenChild, person: Person, link: MakeLink
) -> None:
    ava, bea = open_child("Ava"), open_child("Bea")
    dean = person(police_officer)
    link(police_officer, ava, dean)
    wrong = link(police_officer, bea, dean)
    link_withdraw(link=wrong, by=police_officer, reason="Wrong child", based_on_version=1)

    assert _linked(police_officer, ava) == {}


def test_linked_children_cost_the_same_however_many(
    police_officer: User, open_child: OpenChild, person: Person, place: Place, link: MakeLink
) -> None:
    ava, few = open_child("Ava"), open_child("Few")
    dean = person(police_officer)
    link(police_officer, few, dean)
    link(police_officer, dean, open_child())
    for number in range(6):
        hotel = place(police_officer, name=f"Hotel {number}")
        link(police_officer, ava, hotel)
        for _ in range(3):
            link(police_officer, open_child(), hotel)

    assert len(linked_children(user=police_officer, child=ava)) == 18
    assert _statements(lambda: linked_children(user=police_officer, child=few)) == _statements(
        lambda: linked_children(user=police_officer, child=ava)
    )


# Hotspots -----------------------------------------------------------------------------------------------------------


def _spots(user: User, since: date, until: date) -> dict[int, tuple[int, int]]:
    return {spot.location.pk: (spot.children, spot.episodes) for spot in hotspots(user=user, since=since, until=until)}


def test_hotspots_count_each_child_once_and_the_missing_episodes_in_the_period(
    police_officer: User, social_worker: User, open_child: OpenChild, person: Person, place: Place, link: MakeLink
) -> None:
    ava, bea = open_child("Ava"), open_child("Bea")
    hotel, park = place(police_officer, name="Station Hotel"), place(police_officer, name="Clifton Park")
    quiet = place(police_officer, name="Quiet Street")
    link(police_officer, ava, hotel, kind=LinkKind.SEEN_AT)
    link(police_officer, ava, hotel, kind=LinkKind.LIVES_AT)  # the same child again
    link(police_officer, bea, hotel, kind=LinkKind.SEEN_AT)
    link(police_officer, person(police_officer), quiet)  # a person, not a child: no count
    missing_episode_record(  # found at the park, in the period
        child=ava, by=social_worker, given=EpisodeInput(started_at=_days_ago(5), ended_at=_days_ago(4), found_at=park)
    )
    missing_episode_record(  # involving the hotel, in the period
        child=bea, by=social_worker, given=EpisodeInput(started_at=_days_ago(3), linked=[hotel])
    )
    missing_episode_record(  # long before the period
        child=bea, by=social_worker, given=EpisodeInput(started_at=_days_ago(200), found_at=hotel)
    )

    spots = hotspots(user=social_worker, since=_today() - timedelta(days=30), until=_today())

    assert [(spot.location.pk, spot.children, spot.episodes, spot.total) for spot in spots] == [
        (hotel.pk, 2, 1, 3),
        (park.pk, 0, 1, 1),
    ]
    assert _spots(social_worker, _today() - timedelta(days=210), _today() - timedelta(days=190)) == {
        hotel.pk: (0, 1)  # the old episode; the links, undated, count from when they were recorded (today)
    }


def test_a_link_seen_outside_the_period_is_not_counted(
    police_officer: User, open_child: OpenChild, place: Place, link: MakeLink
) -> None:
    ava, bea = open_child("Ava"), open_child("Bea")
    hotel = place(police_officer)
    link(police_officer, ava, hotel, first_seen_on=date(2024, 1, 1), last_seen_on=date(2024, 2, 1))
    link(police_officer, bea, hotel, first_seen_on=date(2024, 3, 1))

    assert _spots(police_officer, date(2024, 1, 10), date(2024, 1, 20)) == {hotel.pk: (1, 0)}
    assert _spots(police_officer, date(2024, 2, 10), date(2024, 2, 20)) == {}
    assert _spots(police_officer, date(2024, 5, 1), date(2024, 5, 31)) == {hotel.pk: (1, 0)}
    assert _spots(police_officer, date(2023, 1, 1), date(2023, 12, 31)) == {}


def test_a_place_restricted_to_police_is_not_on_a_health_workers_map(
    police_officer: User, nurse: User, open_child: OpenChild, place: Place, link: MakeLink, police: Agency
) -> None:
    ava = open_child("Ava")
    secret = place(police_officer, name="Flat 3", restricted_to_agency_id=police.pk)
    hotel = place(police_officer)
    link(police_officer, ava, secret)
    link(police_officer, ava, hotel)
    missing_episode_record(child=ava, by=nurse, given=EpisodeInput(started_at=_days_ago(2), found_at=secret))
    period = (_today() - timedelta(days=7), _today())

    assert _spots(nurse, *period) == {hotel.pk: (1, 0)}
    assert _spots(police_officer, *period) == {secret.pk: (1, 1), hotel.pk: (1, 0)}


def test_hotspots_cost_the_same_however_many_places(
    police_officer: User, social_worker: User, open_child: OpenChild, place: Place, link: MakeLink
) -> None:
    period = (_today() - timedelta(days=7), _today())
    ava = open_child("Ava")
    link(police_officer, ava, place(police_officer))
    few = _statements(lambda: hotspots(user=police_officer, since=period[0], until=period[1]))
    for number in range(8):
        hotel = place(police_officer, name=f"Hotel {number}")
        child = open_child()
        link(police_officer, child, hotel)
        missing_episode_record(
            child=child, by=social_worker, given=EpisodeInput(started_at=_days_ago(1), found_at=hotel)
        )

    assert len(hotspots(user=police_officer, since=period[0], until=period[1])) == 9
    assert _statements(lambda: hotspots(user=police_officer, since=period[0], until=period[1])) == few


# Missing episodes ---------------------------------------------------------------------------------------------------


def _went_missing(child: Child, by: User, *days_ago: float) -> None:
    for days in days_ago:
        missing_episode_record(child=child, by=by, given=EpisodeInput(started_at=_days_ago(days)))


def test_three_episodes_in_ninety_days_flag_the_child(social_worker: User, open_child: OpenChild) -> None:
    often, spread, twice, never = open_child("Ava"), open_child("Bea"), open_child("Cat"), open_child("Dot")
    _went_missing(often, social_worker, 1, 40, 88)
    _went_missing(spread, social_worker, 1, 40, 95)
    _went_missing(twice, social_worker, 1, 2)
    ids = [often.pk, spread.pk, twice.pk, never.pk]

    assert missing_flagged_child_ids(child_ids=ids) == {often.pk}
    assert missing_counts(child_ids=ids) == {often.pk: 3, spread.pk: 2, twice.pk: 2}
    # Looked at from 30 days ago, the latest episode had not happened.
    assert missing_counts(child_ids=ids, on=_today() - timedelta(days=30)) == {often.pk: 2, spread.pk: 2}


def test_the_flag_follows_the_settings(settings: Any, social_worker: User, open_child: OpenChild) -> None:
    twice, spread = open_child("Ava"), open_child("Bea")
    _went_missing(twice, social_worker, 1, 2)
    _went_missing(spread, social_worker, 1, 20, 40)

    settings.MISSING_FLAG_EPISODES = 2
    settings.MISSING_FLAG_DAYS = 30

    assert missing_flagged_child_ids(child_ids=[twice.pk, spread.pk]) == {twice.pk, spread.pk}
    settings.MISSING_FLAG_DAYS = 10
    assert missing_flagged_child_ids(child_ids=[twice.pk, spread.pk]) == {twice.pk}


def test_the_flag_costs_one_query_however_many_children(social_worker: User, open_child: OpenChild) -> None:
    children = [open_child() for _ in range(6)]
    for child in children:
        _went_missing(child, social_worker, 1, 2, 3)

    assert _statements(lambda: missing_flagged_child_ids(child_ids=[children[0].pk])) == 1
    assert _statements(lambda: missing_flagged_child_ids(child_ids=[child.pk for child in children])) == 1


def test_children_missing_often_is_a_count_for_the_report(
    social_worker: User, other_team_officer: User, open_child: OpenChild
) -> None:
    often, spread, elsewhere = open_child("Ava"), open_child("Bea"), open_child("Cat")
    _went_missing(often, social_worker, 10, 12, 14)
    _went_missing(spread, social_worker, 10, 12, 60)
    _went_missing(elsewhere, other_team_officer, 10, 12, 14)  # another team's episodes
    assert social_worker.team_id is not None
    since, until = _today() - timedelta(days=30), _today()

    assert children_missing_often(team_id=social_worker.team_id, since=since, until=until) == 1
    assert children_missing_often(team_id=social_worker.team_id, since=since, until=until, threshold=2) == 2
    assert children_missing_often(team_id=social_worker.team_id, since=since - timedelta(days=60), until=until) == 2
    assert children_missing_often(team_id=social_worker.team_id, since=since, until=_today() - timedelta(days=13)) == 0


def test_a_childs_missing_episodes_are_listed_for_those_who_see_the_child(
    social_worker: User, nurse: User, outsider: User, governance: User, open_child: OpenChild, police: Agency
) -> None:
    ava, hidden_child = open_child("Ava"), open_child("Bea", restricted_to_agency=police)
    _went_missing(ava, social_worker, 1, 5)

    assert [episode.started_at.date() for episode in missing_episodes_for_child(user=nurse, child_id=ava.pk)] == [
        _days_ago(1).date(),
        _days_ago(5).date(),
    ]
    assert missing_episodes_for_child(user=outsider, child_id=ava.pk) == []
    assert missing_episodes_for_child(user=governance, child_id=ava.pk) == []
    assert missing_episodes_for_child(user=nurse, child_id=hidden_child.pk) == []


# Pursuit ------------------------------------------------------------------------------------------------------------


def test_an_investigations_children_leave_out_a_child_the_user_may_not_see(
    detective_sergeant: User, nurse: User, open_child: OpenChild, police: Agency
) -> None:
    ava, hidden_child = open_child("Ava"), open_child("Bea", restricted_to_agency=police)
    investigation = investigation_open(
        by=detective_sergeant,
        reference="OP NIGHTJAR",
        summary="Exploitation",
        opened_on=_today(),
        lead_officer=detective_sergeant,
        children=[ava, hidden_child],
    )

    assert investigation_children(user=nurse, investigation=investigation) == [ava]
    assert investigation_children(user=detective_sergeant, investigation=investigation) == [ava, hidden_child]


def test_a_persons_pursuit_is_what_the_user_may_see(
    detective_sergeant: User, nurse: User, person: Person, police: Agency
) -> None:
    dean, other = person(detective_sergeant), person(detective_sergeant, "Other", "Person")
    open_investigation = investigation_open(
        by=detective_sergeant,
        reference="OP ONE",
        summary="S",
        opened_on=_today(),
        lead_officer=detective_sergeant,
        perpetrators=[dean],
    )
    investigation_open(
        by=detective_sergeant,
        reference="OP TWO",
        summary="S",
        opened_on=_today(),
        lead_officer=detective_sergeant,
        perpetrators=[dean],
        restricted_to_agency_id=police.pk,
    )
    investigation_open(
        by=detective_sergeant,
        reference="OP THREE",
        summary="S",
        opened_on=_today(),
        lead_officer=detective_sergeant,
        perpetrators=[other],
    )
    charge = prosecution_record(by=detective_sergeant, perpetrator=dean, charges="Trafficking", charged_on=_today())
    order = disruption_record(by=detective_sergeant, kind=DisruptionKind.SRO, target=dean, taken_on=_today())

    investigations, prosecutions, disruptions = pursuit_for_entity(user=nurse, entity=dean)

    assert (investigations, prosecutions, disruptions) == ([open_investigation], [charge], [order])
    assert len(pursuit_for_entity(user=detective_sergeant, entity=dean)[0]) == 2


# The Intelligence Sharing Meeting pack ------------------------------------------------------------------------------


def _flag(entity: Entity, by: User) -> None:
    entity_flag_for_disruption(entity=entity, by=by, flagged=True, reason="Children seen there", based_on_version=None)


def test_the_pack_holds_the_flagged_groups_and_places_with_the_links_the_user_may_see(
    police_officer: User,
    nurse: User,
    open_child: OpenChild,
    person: Person,
    place: Place,
    link: MakeLink,
    police: Agency,
) -> None:
    ava = open_child("Ava")
    dean = person(police_officer)
    hotel, park = place(police_officer), place(police_officer, name="Clifton Park")
    group = entity_record(by=police_officer, kind=EntityKind.GROUP, details={"name": "Red Lions"})
    unflagged = entity_record(by=police_officer, kind=EntityKind.GROUP, details={"name": "Blue Crew"})
    secret = entity_record(
        by=police_officer,
        kind=EntityKind.GROUP,
        details={"name": "Northside"},
        restricted_to_agency_id=police.pk,
    )
    for entity in (hotel, group, secret):
        _flag(entity, police_officer)
    seen_at = link(police_officer, ava, hotel, kind=LinkKind.SEEN_AT)
    works_at = link(police_officer, dean, hotel, kind=LinkKind.WORKS_AT)
    member = link(police_officer, dean, group, kind=LinkKind.MEMBER_OF)
    police_only = link(police_officer, ava, group, restricted=True)
    withdrawn = link(police_officer, park, group)
    link_withdraw(link=withdrawn, by=police_officer, reason="Wrong", based_on_version=1)
    link(police_officer, dean, unflagged, kind=LinkKind.MEMBER_OF)

    for_health = {entry.entity.pk: {item.pk for item in entry.links} for entry in intelligence_pack(user=nurse)}
    for_police = {
        entry.entity.pk: {item.pk for item in entry.links} for entry in intelligence_pack(user=police_officer)
    }

    assert for_health == {group.pk: {member.pk}, hotel.pk: {seen_at.pk, works_at.pk}}
    assert for_police == {
        group.pk: {member.pk, police_only.pk},
        hotel.pk: {seen_at.pk, works_at.pk},
        secret.pk: set(),
    }


def test_the_pack_costs_two_queries_however_big(
    police_officer: User, open_child: OpenChild, place: Place, link: MakeLink
) -> None:
    hotel = place(police_officer)
    _flag(hotel, police_officer)
    link(police_officer, open_child(), hotel)
    few = _statements(lambda: intelligence_pack(user=police_officer))
    for number in range(6):
        more = place(police_officer, name=f"Hotel {number}")
        _flag(more, police_officer)
        for _ in range(3):
            link(police_officer, open_child(), more)

    assert few == 2
    assert _statements(lambda: intelligence_pack(user=police_officer)) == 2


def test_a_records_links_are_those_the_user_may_see(
    police_officer: User, nurse: User, open_child: OpenChild, person: Person, link: MakeLink
) -> None:
    ava = open_child("Ava")
    dean = person(police_officer)
    hidden = person(police_officer, "Hidden", "Person", restricted=True)
    to_dean = link(police_officer, ava, dean)
    link(police_officer, ava, hidden)
    child_entity = Entity.objects.get(child=ava)

    assert [item.pk for item in links_for_entity(user=nurse, entity=child_entity)] == [to_dean.pk]
    assert len(links_for_entity(user=police_officer, entity=child_entity)) == 2
    assert AccessLogEntry.objects.filter(user=nurse, child=ava, what="mapping links").exists() is False
    links_for_entity(user=nurse, entity=dean)
    assert AccessLogEntry.objects.filter(user=nurse, child=ava, what="mapping links").exists()


def test_a_records_current_links_come_before_the_withdrawn(
    police_officer: User, open_child: OpenChild, person: Person, place: Place, link: MakeLink
) -> None:
    dean = person(police_officer)
    first = link(police_officer, dean, place(police_officer))
    wrong = link(police_officer, dean, open_child("Ava"))
    latest = link(police_officer, dean, place(police_officer, name="Clifton Park"))
    link_withdraw(link=wrong, by=police_officer, reason="Wrong child", based_on_version=1)

    listed = links_for_entity(user=police_officer, entity=dean, include_withdrawn=True)

    assert [item.pk for item in listed] == [latest.pk, first.pk, wrong.pk]
