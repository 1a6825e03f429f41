"""The network around a record (issue 6): N hops out in one recursive query, through what the user may see only.

Acceptance: a police-restricted person of concern is absent from a health worker's network, and the walk does not
pass through them (a child linked only through that person is absent too); both are there for police. The number of
SQL statements is the same for a network of 3 records and one of 66 over three hops."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import pairwise

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from evolve.accounts.models import Agency, User
from evolve.audit.models import AccessAction, AccessLogEntry
from evolve.people.models import Child
from mapping import network as network_module
from mapping.models import Entity, Link, LinkKind, Location, PersonOfConcern
from mapping.network import Network, network_as_json, network_for_user
from mapping.services import child_entity, link_withdraw

pytestmark = pytest.mark.django_db

Person = Callable[..., PersonOfConcern]
Place = Callable[..., Location]
MakeLink = Callable[..., Link]
OpenChild = Callable[..., Child]

# Two queries a hop (the links, then which records at their ends may be seen), the records found, the links between
# them, and one insert logging the children shown.
NETWORK_STATEMENTS_AT_3_HOPS = 2 * 3 + 3


def _reached(network: Network) -> dict[int, int]:
    return {node.entity.pk: node.hops for node in network.nodes}


def _entity(child: Child) -> Entity:
    return Entity.objects.get(child=child)


def test_two_children_linked_to_a_person_and_a_hotel_are_within_two_hops(
    police_officer: User, open_child: OpenChild, person: Person, place: Place, link: MakeLink
) -> None:
    first, second = open_child("Ava"), open_child("Bea")
    dean, hotel = person(police_officer), place(police_officer)
    for child in (first, second):
        link(police_officer, child, dean, kind=LinkKind.EXPLOITED_BY)
        link(police_officer, child, hotel, kind=LinkKind.SEEN_AT)

    network = network_for_user(user=police_officer, start=_entity(first))

    assert network.hops == 2
    assert _reached(network) == {_entity(first).pk: 0, dean.pk: 1, hotel.pk: 1, _entity(second).pk: 2}
    assert [node.entity.child for node in network.children()] == [second]
    assert len(network.links) == 4
    assert not network.truncated


def test_the_walk_does_not_pass_through_a_person_restricted_to_police(
    police_officer: User, nurse: User, open_child: OpenChild, person: Person, link: MakeLink
) -> None:
    first, second = open_child("Ava"), open_child("Bea")
    hidden = person(police_officer, "Hidden", "Person", restricted=True)
    link(police_officer, first, hidden)
    link(police_officer, hidden, second)
    start = _entity(first)

    for_health = network_for_user(user=nurse, start=start)
    for_police = network_for_user(user=police_officer, start=start)

    assert _reached(for_health) == {start.pk: 0}
    assert for_health.links == []
    assert _reached(for_police) == {start.pk: 0, hidden.pk: 1, _entity(second).pk: 2}
    shown = AccessLogEntry.objects.filter(action=AccessAction.LISTED, what="mapping network")
    assert list(shown.filter(user=nurse).values_list("child_id", flat=True)) == [first.pk]
    assert sorted(shown.filter(user=police_officer).values_list("child_id", flat=True)) == sorted([first.pk, second.pk])
    as_json = network_as_json(for_police)
    assert {node["label"]: node["restricted"] for node in as_json["nodes"]} == {
        "Ava Example": False,
        "Bea Example": False,
        "Hidden Person": True,
    }


def test_a_link_restricted_to_police_is_not_walked_for_other_agencies(
    police_officer: User, social_worker: User, open_child: OpenChild, person: Person, link: MakeLink
) -> None:
    first, second = open_child("Ava"), open_child("Bea")
    dean = person(police_officer)
    link(police_officer, first, dean)
    link(police_officer, dean, second, restricted=True)
    start = _entity(first)

    assert _reached(network_for_user(user=social_worker, start=start)) == {start.pk: 0, dean.pk: 1}
    assert _entity(second).pk in _reached(network_for_user(user=police_officer, start=start))


def test_a_child_restricted_to_police_is_not_shown_to_others(
    police_officer: User, social_worker: User, open_child: OpenChild, person: Person, link: MakeLink, police: Agency
) -> None:
    first = open_child("Ava")
    hidden_child = open_child("Bea", restricted_to_agency=police)
    dean = person(police_officer)
    link(police_officer, first, dean)
    link(police_officer, dean, hidden_child)

    assert _reached(network_for_user(user=social_worker, start=dean)) == {dean.pk: 0, _entity(first).pk: 1}


@pytest.fixture
def chain(police_officer: User, open_child: OpenChild, person: Person, link: MakeLink) -> list[Entity]:
    """A child, then four people, each linked to the next."""
    child = open_child()
    people = [person(police_officer, "Person", name) for name in ("One", "Two", "Three", "Four")]
    ends: list[Entity] = [child_entity(child=child, by=police_officer), *people]
    for a, b in pairwise(ends):
        link(police_officer, a, b)
    return ends


@pytest.mark.parametrize(("hops", "reach"), [(1, 1), (2, 2), (3, 3), (4, 4), (0, 1), (9, 4)])
def test_the_network_reaches_as_many_hops_as_asked_up_to_four(
    police_officer: User, chain: list[Entity], hops: int, reach: int
) -> None:
    network = network_for_user(user=police_officer, start=chain[0], hops=hops)

    assert network.hops == reach
    assert _reached(network) == {entity.pk: distance for distance, entity in enumerate(chain[: reach + 1])}
    assert len(network.links) == reach


def test_the_links_between_the_records_found_are_all_drawn(
    police_officer: User, open_child: OpenChild, person: Person, place: Place, link: MakeLink
) -> None:
    """A cycle ends the walk, each record at its shortest distance, and the link between two outer records shows."""
    child = open_child()
    dean, hotel = person(police_officer), place(police_officer)
    link(police_officer, child, dean)
    link(police_officer, dean, hotel)
    link(police_officer, hotel, child, kind=LinkKind.SEEN_AT)

    network = network_for_user(user=police_officer, start=dean, hops=4)

    assert _reached(network) == {dean.pk: 0, _entity(child).pk: 1, hotel.pk: 1}
    assert len(network.links) == 3


def test_the_network_follows_only_the_kinds_of_link_asked_for(
    police_officer: User, open_child: OpenChild, person: Person, place: Place, link: MakeLink
) -> None:
    child = open_child()
    dean, hotel = person(police_officer), place(police_officer)
    link(police_officer, child, dean, kind=LinkKind.EXPLOITED_BY)
    link(police_officer, child, hotel, kind=LinkKind.SEEN_AT)
    start = _entity(child)

    seen_at = network_for_user(user=police_officer, start=start, kinds=[LinkKind.SEEN_AT])
    both = network_for_user(user=police_officer, start=start, kinds=[LinkKind.SEEN_AT, LinkKind.EXPLOITED_BY])

    assert _reached(seen_at) == {start.pk: 0, hotel.pk: 1}
    assert [found.kind for found in seen_at.links] == [LinkKind.SEEN_AT]
    assert set(_reached(both)) == {start.pk, dean.pk, hotel.pk}


@pytest.mark.parametrize(
    ("since", "until", "reached"),
    [
        (None, None, {"old", "current", "undated"}),
        (date(2024, 1, 15), date(2024, 1, 20), {"old"}),  # while the old link was seen
        (date(2024, 2, 10), date(2024, 2, 20), set()),  # after it, before the current one began
        (date(2024, 3, 10), None, {"current", "undated"}),  # no last seen: still current
        (None, date(2024, 1, 1), {"old"}),  # first seen on the last day
        (None, date(2023, 12, 31), set()),  # the undated link counts from when it was recorded (today)
    ],
)
def test_the_network_follows_links_seen_in_the_period(
    police_officer: User,
    open_child: OpenChild,
    person: Person,
    link: MakeLink,
    since: date | None,
    until: date | None,
    reached: set[str],
) -> None:
    child = open_child()
    others = {name: person(police_officer, "Person", name) for name in ("old", "current", "undated")}
    link(police_officer, child, others["old"], first_seen_on=date(2024, 1, 1), last_seen_on=date(2024, 2, 1))
    link(police_officer, child, others["current"], first_seen_on=date(2024, 3, 1))
    link(police_officer, child, others["undated"])

    network = network_for_user(user=police_officer, start=_entity(child), since=since, until=until)

    assert set(_reached(network)) == {_entity(child).pk} | {others[name].pk for name in reached}


def test_a_withdrawn_link_is_not_walked(
    police_officer: User, open_child: OpenChild, person: Person, link: MakeLink
) -> None:
    child = open_child()
    dean, other = person(police_officer), person(police_officer, "Other", "Person")
    wrong = link(police_officer, child, dean)
    link(police_officer, dean, other)
    link_withdraw(link=wrong, by=police_officer, reason="Wrong person", based_on_version=1)

    assert _reached(network_for_user(user=police_officer, start=_entity(child))) == {_entity(child).pk: 0}
    assert _reached(network_for_user(user=police_officer, start=dean)) == {dean.pk: 0, other.pk: 1}


def test_a_network_bigger_than_the_cap_is_cut_at_the_farthest_records(
    police_officer: User, chain: list[Entity], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(network_module, "MAX_NODES", 3)

    network = network_for_user(user=police_officer, start=chain[0], hops=4)

    assert network.truncated
    assert _reached(network) == {chain[0].pk: 0, chain[1].pk: 1, chain[2].pk: 2}
    assert len(network.links) == 2
    as_json = network_as_json(network)
    assert as_json["truncated"] is True
    assert len(as_json["nodes"]) == 3


def test_a_network_exactly_at_the_cap_is_not_cut(
    police_officer: User, chain: list[Entity], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(network_module, "MAX_NODES", 5)

    network = network_for_user(user=police_officer, start=chain[0], hops=4)

    assert not network.truncated
    assert len(network.nodes) == 5


def test_the_network_as_the_page_takes_it_uses_public_ids_only(
    police_officer: User, open_child: OpenChild, person: Person, link: MakeLink
) -> None:
    child = open_child("Ava", "Example")
    dean = person(police_officer)
    recorded = link(police_officer, child, dean, kind=LinkKind.EXPLOITED_BY, first_seen_on=date(2024, 1, 1))

    as_json = network_as_json(network_for_user(user=police_officer, start=dean))

    child_id = str(_entity(child).public_id)
    assert as_json["start"] == str(dean.public_id)
    assert as_json["hops"] == 2
    assert as_json["nodes"] == [
        {"id": str(dean.public_id), "kind": "person", "label": "Dean Sample", "hops": 0, "restricted": False},
        {"id": child_id, "kind": "child", "label": "Ava Example", "hops": 1, "restricted": False},
    ]
    assert as_json["links"] == [
        {
            "id": str(recorded.public_id),
            "source": child_id,
            "target": str(dean.public_id),
            "kind": "exploited_by",
            "label": "Exploited by",
            "first_seen_on": "2024-01-01",
            "last_seen_on": None,
            "confidence": "probable",
            "restricted": False,
        }
    ]


# Cost: the same statements however big the network -----------------------------------------------------------------


def _statements(user: User, start: Entity, hops: int) -> tuple[int, Network]:
    with CaptureQueriesContext(connection) as captured:
        network = network_for_user(user=user, start=start, hops=hops)
    return len(captured.captured_queries), network


def test_the_network_costs_the_same_statements_for_4_records_and_for_66(
    police_officer: User,
    open_child: OpenChild,
    person: Person,
    place: Place,
    link: MakeLink,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    # Small: a child, a person, a place, another child.
    small_start, small_other = open_child("Small", "One"), open_child("Small", "Two")
    small_person, small_place = person(police_officer, "Small", "Person"), place(police_officer, name="Small place")
    link(police_officer, small_start, small_person)
    link(police_officer, small_person, small_place, kind=LinkKind.WORKS_AT)
    link(police_officer, small_other, small_place, kind=LinkKind.SEEN_AT)

    # Large: a child, five people, four places each, two children at each place: 66 records over three hops.
    start = child_entity(child=open_child("Large", "Start"), by=police_officer)
    for number in range(5):
        someone = person(police_officer, "Person", f"Number{number}")
        link(police_officer, start, someone)
        for where in range(4):
            hotel = place(police_officer, name=f"Place {number}-{where}")
            link(police_officer, someone, hotel, kind=LinkKind.WORKS_AT)
            for _ in range(2):
                link(police_officer, open_child(), hotel, kind=LinkKind.SEEN_AT)

    small_count, small = _statements(police_officer, _entity(small_start), hops=3)
    large_count, large = _statements(police_officer, start, hops=3)

    assert len(small.nodes) == 4
    assert len(large.nodes) == 66
    assert len(large.children()) == 40
    assert small_count == large_count == NETWORK_STATEMENTS_AT_3_HOPS
    with django_assert_num_queries(NETWORK_STATEMENTS_AT_3_HOPS):
        network_for_user(user=police_officer, start=start, hops=3)
