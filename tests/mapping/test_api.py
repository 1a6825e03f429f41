"""The mapping API: records with the duplicate check, links with their history, the network, hotspots, missing
episodes, pursuit and the Intelligence Sharing Meeting pack, for the team only, with police intelligence hidden from
the other agencies, refusals that change nothing, and every endpoint in the OpenAPI schema."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evolve.accounts.models import User
from evolve.people.models import Child
from mapping.models import (
    Disruption,
    Entity,
    EntityKind,
    Investigation,
    Link,
    LinkKind,
    LinkRevision,
    Location,
    MissingEpisode,
    PersonOfConcern,
    Prosecution,
)

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
MakeChild = Callable[..., Child]
MakePerson = Callable[..., PersonOfConcern]
MakePlace = Callable[..., Location]
MakeLink = Callable[..., Link]
NOBODY = "00000000-0000-0000-0000-000000000001"


def _url(name: str, *args: Any) -> str:
    return reverse(f"api-mapping-{name}", args=[str(arg) for arg in args])


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


def _patch(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.patch(url, body, content_type="application/json")


def _person_body(**fields: Any) -> dict[str, Any]:
    return {"kind": "person", "first_name": "Dean", "last_name": "Sample", "aliases": ["Deano"], **fields}


def _ids(rows: list[dict[str, Any]]) -> set[str]:
    return {row["id"] for row in rows}


def _days_ago(days: int) -> str:
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def _node_ids(network: dict[str, Any]) -> set[str]:
    return {node["id"] for node in network["nodes"]}


def _child_node(child: Child) -> str:
    return str(Entity.objects.get(child=child).public_id)


# Records ------------------------------------------------------------------------------------------------------------


def test_a_team_member_records_a_person_of_concern_and_finds_it(sign_in: SignIn, social_worker: User) -> None:
    client = sign_in(social_worker)
    response = _post(client, _url("record-list"), _person_body(date_of_birth="1990-02-03", identifiers="PNC 1"))
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["kind"] == "person" and created["label"] == "Dean Sample (Deano)"
    assert created["person"]["aliases"] == ["Deano"] and created["person"]["date_of_birth"] == "1990-02-03"
    assert created["location"] is None and created["restricted"] is False and created["version"] == 1

    detail = client.get(_url("record-detail", created["id"]))
    assert detail.status_code == 200 and detail.json()["person"]["identifiers"] == "PNC 1"
    listed = client.get(_url("record-list")).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == created["id"]
    assert _ids(client.get(_url("record-list"), {"search": "deano"}).json()["results"]) == {created["id"]}
    assert client.get(_url("record-list"), {"kind": "vehicle"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("body", "key", "label"),
    [
        (
            {
                "kind": "location",
                "location_type": "hotel",
                "name": "Station Hotel",
                "address": "1 High Street",
                "postcode": "s11aa",
                "latitude": "53.43",
                "longitude": "-1.36",
            },
            "location",
            "Station Hotel, 1 High Street, S1 1AA",
        ),
        ({"kind": "vehicle", "registration": "ab12 cde", "make": "Ford", "colour": "Silver"}, "vehicle", None),
        ({"kind": "group", "name": "The Northside Crew", "description": "Older males"}, "group", "The Northside Crew"),
        ({"kind": "online_identity", "platform": "Snapchat", "handle": "@example_user"}, "online_identity", None),
    ],
)
def test_each_kind_is_recorded_with_its_own_fields(
    sign_in: SignIn, police_officer: User, body: dict[str, Any], key: str, label: str | None
) -> None:
    response = _post(sign_in(police_officer), _url("record-list"), body)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["kind"] == body["kind"] and created[key] is not None
    assert label is None or created["label"] == label
    if key == "location":
        assert created["location"]["latitude"] == 53.43 and created["location"]["postcode"] == "S1 1AA"


def test_bad_input_for_a_record_is_a_400_keyed_by_field_and_records_nothing(
    sign_in: SignIn, police_officer: User
) -> None:
    client = sign_in(police_officer)
    before = Entity.objects.count()
    another_kinds_field = _post(client, _url("record-list"), _person_body(registration="AB12CDE"))
    assert another_kinds_field.status_code == 400
    assert "registration" in another_kinds_field.json()
    no_name = _post(client, _url("record-list"), {"kind": "person"})
    assert no_name.status_code == 400 and "last_name" in no_name.json()
    a_child = _post(client, _url("record-list"), {"kind": "child"})
    assert a_child.status_code == 400 and "kind" in a_child.json()
    coordinates = _post(
        client, _url("record-list"), {"kind": "location", "location_type": "park", "name": "Rec", "latitude": "53"}
    )
    assert coordinates.status_code == 400 and "latitude" in coordinates.json()
    assert Entity.objects.count() == before


def test_a_possible_duplicate_is_a_409_listing_it_then_recorded_when_confirmed(
    sign_in: SignIn, police_officer: User, social_worker: User, person: MakePerson
) -> None:
    existing = person(social_worker, "Dean", "Sample")
    client = sign_in(police_officer)
    before = Entity.objects.count()
    response = _post(client, _url("record-list"), _person_body(aliases=[]))
    assert response.status_code == 409
    body = response.json()
    assert "not_a_duplicate" in body["detail"]
    assert body["candidates"] == [
        {"id": str(existing.public_id), "kind": "person", "label": "Dean Sample", "child": None}
    ]
    assert Entity.objects.count() == before

    confirmed = _post(client, _url("record-list"), _person_body(aliases=[], not_a_duplicate=True))
    assert confirmed.status_code == 201
    assert Entity.objects.count() == before + 1


def test_a_record_is_changed_on_the_version_read_and_a_stale_version_is_a_409(
    sign_in: SignIn, police_officer: User, social_worker: User, person: MakePerson
) -> None:
    record = person(police_officer, "Dean", "Sample")
    client = sign_in(social_worker)
    changed = _patch(client, _url("record-detail", record.public_id), {"version": 1, "last_name": "Samples"})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["label"] == "Dean Samples" and changed.json()["version"] == 2
    assert changed.json()["person"]["first_name"] == "Dean"  # left out: kept

    stale = _patch(client, _url("record-detail", record.public_id), {"version": 1, "last_name": "Other"})
    assert stale.status_code == 409 and stale.json()["version"] == 2
    assert PersonOfConcern.objects.get(pk=record.pk).last_name == "Samples"

    bad = _patch(client, _url("record-detail", record.public_id), {"version": 2, "handle": "x"})
    assert bad.status_code == 400 and "handle" in bad.json()
    no_version = _patch(client, _url("record-detail", record.public_id), {"last_name": "Other"})
    assert no_version.status_code == 400 and "version" in no_version.json()
    assert PersonOfConcern.objects.get(pk=record.pk).version == 2


def test_only_the_agency_that_recorded_a_record_may_restrict_it_to_itself(
    sign_in: SignIn, police_officer: User, social_worker: User, person: MakePerson
) -> None:
    """Police restricting a social worker's record would hide it from social care, who recorded it."""
    theirs, ours = person(social_worker), person(police_officer, first_name="Lee", last_name="Other")
    client = sign_in(police_officer)
    refused = _patch(client, _url("record-detail", theirs.public_id), {"version": 1, "restricted": True})
    assert refused.status_code == 400 and "restricted" in str(refused.json())
    theirs.refresh_from_db()
    assert theirs.restricted_to_agency_id is None
    restricted = _patch(client, _url("record-detail", ours.public_id), {"version": 1, "restricted": True})
    assert restricted.status_code == 200 and restricted.json()["restricted_to_agency"] == "PPU"


def test_a_group_is_flagged_for_disruption_and_the_pack_shows_a_child_only_as_a_child(
    sign_in: SignIn, police_officer: User, open_child: MakeChild, link: MakeLink
) -> None:
    client = sign_in(police_officer)
    group = _post(client, _url("record-list"), {"kind": "group", "name": "The Northside Crew"}).json()
    person = _post(client, _url("record-list"), _person_body()).json()
    child = open_child("Ava", "Example")
    crew = Entity.objects.get(public_id=group["id"])
    link(police_officer, child, crew, kind=LinkKind.ASSOCIATES_WITH)
    link(police_officer, Entity.objects.get(public_id=person["id"]), crew, kind=LinkKind.MEMBER_OF)

    no_reason = _post(client, _url("record-flag", group["id"]), {"flagged": True, "version": 1})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    a_person = _post(client, _url("record-flag", person["id"]), {"flagged": True, "reason": "Why", "version": 1})
    assert a_person.status_code == 400 and "flagged" in a_person.json()
    flagged = _post(
        client, _url("record-flag", group["id"]), {"flagged": True, "reason": "Grooming outside school", "version": 1}
    )
    assert flagged.status_code == 200 and flagged.json()["flagged_for_disruption"] is True

    response = client.get(_url("intelligence-pack"))
    assert response.status_code == 200
    [entry] = response.json()
    assert entry["id"] == group["id"] and entry["flag_reason"] == "Grooming outside school"
    others = sorted(
        (item["other"]["kind"], item["other"]["label"] or "", item["id"] is None) for item in entry["links"]
    )
    assert others == [("child", "", True), ("person", "Dean Sample (Deano)", False)]
    [child_end] = [item["other"] for item in entry["links"] if item["other"]["kind"] == "child"]
    assert child_end == {"id": None, "kind": "child", "label": None}
    assert "Ava" not in response.content.decode() and str(child.public_id) not in response.content.decode()


def test_a_child_is_not_changed_through_the_mapping(
    sign_in: SignIn, police_officer: User, open_child: MakeChild, person: MakePerson, link: MakeLink
) -> None:
    child = open_child()
    link(police_officer, child, person(police_officer))
    client = sign_in(police_officer)
    detail = client.get(_url("record-detail", _child_node(child)))
    assert detail.status_code == 200
    assert detail.json()["kind"] == "child" and detail.json()["child"]["id"] == str(child.public_id)
    assert _patch(client, _url("record-detail", _child_node(child)), {"version": 1}).status_code == 409


# Links --------------------------------------------------------------------------------------------------------------


def test_a_child_is_linked_to_a_person_and_the_link_keeps_its_history(
    sign_in: SignIn, social_worker: User, police_officer: User, open_child: MakeChild, person: MakePerson
) -> None:
    child = open_child("Ava", "Example")
    record = person(police_officer)
    client = sign_in(social_worker)
    response = _post(
        client,
        _url("link-create"),
        {
            "a": {"child": str(child.public_id)},
            "b": {"record": str(record.public_id)},
            "kind": "exploited_by",
            "confidence": "probable",
            "evidence": "Seen getting into his car after school",
            "first_seen_on": _days_ago(30),
        },
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["a"]["kind"] == "child" and created["a"]["child"] == str(child.public_id)
    assert created["a"]["label"] == "Ava Example" and created["b"]["id"] == str(record.public_id)
    assert created["source_agency"] == "CS" and created["revisions"] == [] and created["withdrawn"] is None

    links = client.get(_url("record-links", record.public_id)).json()
    assert _ids(links["results"]) == {created["id"]}
    assert _ids(client.get(_url("record-links", _child_node(child))).json()["results"]) == {created["id"]}

    changed = _patch(
        client, _url("link-detail", created["id"]), {"version": 1, "confidence": "confirmed", "source_agency": "PPU"}
    )
    assert changed.status_code == 200, changed.json()
    body = changed.json()
    assert body["confidence"] == "confirmed" and body["kind"] == "exploited_by" and body["version"] == 2
    assert [(r["version"], r["confidence"], r["source_agency"]) for r in body["revisions"]] == [(1, "probable", "CS")]

    stale = _patch(client, _url("link-detail", created["id"]), {"version": 1, "confidence": "possible"})
    assert stale.status_code == 409 and stale.json()["version"] == 2
    assert LinkRevision.objects.count() == 1

    unknown_agency = _patch(client, _url("link-detail", created["id"]), {"version": 2, "source_agency": "Nope"})
    assert unknown_agency.status_code == 400 and "source_agency" in unknown_agency.json()

    no_reason = _post(client, _url("link-withdraw", created["id"]), {"reason": " ", "version": 2})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    withdrawn = _post(client, _url("link-withdraw", created["id"]), {"reason": "Wrong person", "version": 2})
    assert withdrawn.status_code == 200
    assert withdrawn.json()["withdrawn"]["reason"] == "Wrong person" and withdrawn.json()["withdrawn"]["by"] == "sw"
    again = _post(client, _url("link-withdraw", created["id"]), {"reason": "Again", "version": 3})
    assert again.status_code == 409
    assert client.get(_url("record-links", record.public_id)).json()["count"] == 0
    assert client.get(_url("link-detail", created["id"])).json()["withdrawn"] is not None


def test_a_refused_link_changes_nothing_not_even_the_childs_node(
    sign_in: SignIn, social_worker: User, open_child: MakeChild, person: MakePerson
) -> None:
    child = open_child()
    record = person(social_worker)
    client = sign_in(social_worker)
    before = (Entity.objects.count(), Link.objects.count())
    body: dict[str, Any] = {
        "a": {"child": str(child.public_id)},
        "b": {"record": str(record.public_id)},
        "kind": "associates_with",
        "confidence": "possible",
        "evidence": "",
    }
    no_evidence = _post(client, _url("link-create"), body)
    assert no_evidence.status_code == 400 and "evidence" in no_evidence.json()
    both = _post(
        client,
        _url("link-create"),
        {**body, "evidence": "x", "a": {"child": str(child.public_id), "record": str(record.public_id)}},
    )
    assert both.status_code == 400 and "a" in both.json()
    unseen = _post(client, _url("link-create"), {**body, "evidence": "x", "b": {"record": NOBODY}})
    assert unseen.status_code == 400 and "b" in unseen.json()
    to_itself = _post(client, _url("link-create"), {**body, "evidence": "x", "a": body["b"]})
    assert to_itself.status_code == 400 and "b" in to_itself.json()
    assert (Entity.objects.count(), Link.objects.count()) == before


# The network, linked children and hotspots --------------------------------------------------------------------------


@pytest.fixture
def two_children_at_the_hotel(
    police_officer: User, open_child: MakeChild, place: MakePlace, link: MakeLink
) -> tuple[Child, Child, Location]:
    first, second = open_child("Ava", "Example"), open_child("Bea", "Sample")
    hotel = place(police_officer, "Station Hotel")
    link(police_officer, first, hotel, kind=LinkKind.SEEN_AT)
    link(police_officer, second, hotel, kind=LinkKind.SEEN_AT)
    return first, second, hotel


def test_the_network_from_a_child_reaches_the_other_child_within_two_hops(
    sign_in: SignIn, nurse: User, two_children_at_the_hotel: tuple[Child, Child, Location]
) -> None:
    first, second, hotel = two_children_at_the_hotel
    client = sign_in(nurse)
    response = client.get(_url("child-network", first.public_id))
    assert response.status_code == 200
    network = response.json()
    assert network["start"] == _child_node(first) and network["hops"] == 2
    assert _node_ids(network) == {_child_node(first), _child_node(second), str(hotel.public_id)}
    assert {node["label"] for node in network["nodes"]} == {"Ava Example", "Bea Sample", hotel.label}
    assert len(network["links"]) == 2

    one_hop = client.get(_url("child-network", first.public_id), {"hops": 1}).json()
    assert _node_ids(one_hop) == {_child_node(first), str(hotel.public_id)}
    other_kind = client.get(_url("child-network", first.public_id), {"kind": ["lives_at", "uses"]}).json()
    assert _node_ids(other_kind) == {_child_node(first)}
    both_kinds = client.get(_url("child-network", first.public_id), {"kind": ["lives_at", "seen_at"]}).json()
    assert len(both_kinds["nodes"]) == 3
    from_the_hotel = client.get(_url("record-network", hotel.public_id)).json()
    assert len(from_the_hotel["nodes"]) == 3

    assert client.get(_url("child-network", first.public_id), {"hops": 9}).status_code == 400
    assert client.get(_url("child-network", first.public_id), {"kind": "nonsense"}).status_code == 400
    backwards = client.get(_url("record-network", hotel.public_id), {"since": _days_ago(1), "until": _days_ago(9)})
    assert backwards.status_code == 400 and "until" in backwards.json()


def test_a_child_never_linked_has_an_empty_network(sign_in: SignIn, nurse: User, open_child: MakeChild) -> None:
    child = open_child()
    response = sign_in(nurse).get(_url("child-network", child.public_id))
    assert response.status_code == 200
    assert response.json() == {"start": None, "hops": 2, "truncated": False, "nodes": [], "links": []}
    assert not Entity.objects.filter(child=child).exists()


def test_children_linked_through_a_common_place(
    sign_in: SignIn, social_worker: User, two_children_at_the_hotel: tuple[Child, Child, Location]
) -> None:
    first, second, hotel = two_children_at_the_hotel
    response = sign_in(social_worker).get(_url("linked-children", first.public_id))
    assert response.status_code == 200
    assert response.json() == [
        {
            "child": {"id": str(second.public_id), "name": "Bea Sample"},
            "through": [{"id": str(hotel.public_id), "kind": "location", "label": hotel.label, "child": None}],
        }
    ]


def test_the_hotspots_show_the_hotel_with_two_children(
    sign_in: SignIn, social_worker: User, two_children_at_the_hotel: tuple[Child, Child, Location]
) -> None:
    _, _, hotel = two_children_at_the_hotel
    client = sign_in(social_worker)
    response = client.get(_url("hotspots"))
    assert response.status_code == 200
    body = response.json()
    assert body["until"] == timezone.localdate().isoformat()
    assert body["since"] == (timezone.localdate() - timedelta(days=365)).isoformat()
    assert body["hotspots"] == [
        {
            "id": str(hotel.public_id),
            "label": hotel.label,
            "location_type": "hotel",
            "latitude": 53.43,
            "longitude": -1.36,
            "children": 2,
            "episodes": 0,
        }
    ]
    long_ago = client.get(_url("hotspots"), {"since": "2001-01-01", "until": "2001-12-31"}).json()
    assert long_ago["hotspots"] == []
    assert client.get(_url("hotspots"), {"since": "2020-01-02", "until": "2020-01-01"}).status_code == 400


# Missing episodes ---------------------------------------------------------------------------------------------------


def test_a_missing_episode_is_recorded_listed_and_updated_on_its_version(
    sign_in: SignIn, nurse: User, police_officer: User, open_child: MakeChild, place: MakePlace
) -> None:
    child = open_child()
    hotel = place(police_officer, "Station Hotel")
    client = sign_in(nurse)
    started = timezone.now() - timedelta(days=2)
    response = _post(
        client,
        _url("missing-episode-list", child.public_id),
        {"started_at": started.isoformat(), "linked": [str(hotel.public_id)], "notes": "Reported by carer"},
    )
    assert response.status_code == 201, response.json()
    episode = response.json()
    assert episode["child"] == str(child.public_id) and episode["ended_at"] is None
    assert _ids(episode["linked"]) == {str(hotel.public_id)} and episode["version"] == 1

    listed = client.get(_url("missing-episode-list", child.public_id)).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == episode["id"]

    found = _patch(
        client,
        _url("missing-episode-detail", episode["id"]),
        {
            "version": 1,
            "ended_at": (started + timedelta(hours=20)).isoformat(),
            "found_at": str(hotel.public_id),
            "return_interview_done": True,
            "return_interview_by": "CSE nurse, Trust",
        },
    )
    assert found.status_code == 200, found.json()
    body = found.json()
    assert body["found_at"]["id"] == str(hotel.public_id) and body["return_interview_done"] is True
    assert body["notes"] == "Reported by carer" and body["version"] == 2  # left out: kept
    assert client.get(_url("missing-episode-detail", episode["id"])).json()["version"] == 2

    stale = _patch(client, _url("missing-episode-detail", episode["id"]), {"version": 1, "notes": "x"})
    assert stale.status_code == 409 and stale.json()["version"] == 2


def test_bad_input_for_a_missing_episode_is_a_400_and_records_nothing(
    sign_in: SignIn, nurse: User, open_child: MakeChild, person: MakePerson, police_officer: User
) -> None:
    child = open_child()
    client = sign_in(nurse)
    url = _url("missing-episode-list", child.public_id)
    started = timezone.now() - timedelta(days=2)
    found_before = _post(
        client, url, {"started_at": started.isoformat(), "ended_at": (started - timedelta(hours=1)).isoformat()}
    )
    assert found_before.status_code == 400 and "ended_at" in found_before.json()
    naive = _post(client, url, {"started_at": "2025-01-01T10:00:00"})
    assert naive.status_code == 400 and "started_at" in naive.json()
    a_person_as_the_place = _post(
        client, url, {"started_at": started.isoformat(), "found_at": str(person(police_officer).public_id)}
    )
    assert a_person_as_the_place.status_code == 400 and "found_at" in a_person_as_the_place.json()
    assert MissingEpisode.objects.count() == 0


# Pursuit ------------------------------------------------------------------------------------------------------------


def test_an_investigation_is_opened_listed_read_and_closed(
    sign_in: SignIn, police_officer: User, open_child: MakeChild, person: MakePerson
) -> None:
    child, suspect = open_child(), person(police_officer)
    client = sign_in(police_officer)
    body = {
        "reference": "OP EXAMPLE",
        "summary": "Exploitation at the hotel",
        "opened_on": _days_ago(20),
        "children": [str(child.public_id)],
        "perpetrators": [str(suspect.public_id)],
    }
    response = _post(client, _url("investigation-list"), body)
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["lead_officer"] == "officer" and created["closed_on"] is None
    assert created["children"] == [{"id": str(child.public_id), "name": child.full_name}]
    assert _ids(created["perpetrators"]) == {str(suspect.public_id)}

    listed = client.get(_url("investigation-list")).json()
    assert listed["count"] == 1 and listed["results"][0]["reference"] == "OP EXAMPLE"
    assert client.get(_url("investigation-detail", created["id"])).status_code == 200

    stale = _post(client, _url("investigation-close", created["id"]), {"version": 2})
    assert stale.status_code == 409 and stale.json()["version"] == 1
    closed = _post(client, _url("investigation-close", created["id"]), {"version": 1})
    assert closed.status_code == 200 and closed.json()["closed_on"] == timezone.localdate().isoformat()
    assert _post(client, _url("investigation-close", created["id"]), {"version": 2}).status_code == 409


def test_bad_input_for_pursuit_is_a_400_and_records_nothing(
    sign_in: SignIn, police_officer: User, place: MakePlace
) -> None:
    client = sign_in(police_officer)
    hotel = place(police_officer)
    nothing_named = _post(client, _url("investigation-list"), {"reference": "OP", "summary": "S"})
    assert nothing_named.status_code == 400 and "children" in nothing_named.json()
    stranger = _post(
        client,
        _url("investigation-list"),
        {"reference": "OP", "summary": "S", "lead_officer": "nobody", "children": [NOBODY]},
    )
    assert stranger.status_code == 400
    a_place_charged = _post(
        client,
        _url("prosecution-list"),
        {"perpetrator": str(hotel.public_id), "charges": "x", "charged_on": "2025-01-01"},
    )
    assert a_place_charged.status_code == 400 and "perpetrator" in a_place_charged.json()
    an_order_on_a_place = _post(
        client, _url("disruption-list"), {"kind": "sro", "target": str(hotel.public_id), "taken_on": _days_ago(1)}
    )
    assert an_order_on_a_place.status_code == 400 and "target" in an_order_on_a_place.json()
    assert (Investigation.objects.count(), Prosecution.objects.count(), Disruption.objects.count()) == (0, 0, 0)


def test_a_prosecution_is_recorded_and_concluded(sign_in: SignIn, police_officer: User, person: MakePerson) -> None:
    suspect = person(police_officer)
    client = sign_in(police_officer)
    response = _post(
        client,
        _url("prosecution-list"),
        {"perpetrator": str(suspect.public_id), "charges": "Child abduction", "charged_on": _days_ago(10)},
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["outcome"] == "pending" and created["perpetrator"]["id"] == str(suspect.public_id)
    assert client.get(_url("prosecution-list")).json()["count"] == 1
    assert client.get(_url("prosecution-detail", created["id"])).status_code == 200

    pending = _post(client, _url("prosecution-conclude", created["id"]), {"outcome": "pending", "version": 1})
    assert pending.status_code == 400 and "outcome" in pending.json()
    concluded = _post(client, _url("prosecution-conclude", created["id"]), {"outcome": "convicted", "version": 1})
    assert concluded.status_code == 200 and concluded.json()["outcome"] == "convicted"
    assert (
        _post(client, _url("prosecution-conclude", created["id"]), {"outcome": "acquitted", "version": 2}).status_code
        == 409
    )


def test_a_disruption_is_recorded_and_its_outcome_recorded(
    sign_in: SignIn, police_officer: User, person: MakePerson, open_child: MakeChild
) -> None:
    suspect, child = person(police_officer), open_child()
    client = sign_in(police_officer)
    body = {"kind": "cawn", "target": str(suspect.public_id), "taken_on": _days_ago(5)}
    no_child = _post(client, _url("disruption-list"), body)
    assert no_child.status_code == 400 and "child" in no_child.json()
    response = _post(client, _url("disruption-list"), {**body, "child": str(child.public_id)})
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["child"] == {"id": str(child.public_id), "name": child.full_name}
    assert created["outcome"] == "in_force"
    assert client.get(_url("disruption-list")).json()["count"] == 1
    assert client.get(_url("disruption-detail", created["id"])).status_code == 200

    stale = _post(client, _url("disruption-outcome", created["id"]), {"outcome": "complied", "version": 3})
    assert stale.status_code == 409 and stale.json()["version"] == 1
    done = _post(client, _url("disruption-outcome", created["id"]), {"outcome": "complied", "version": 1})
    assert done.status_code == 200 and done.json()["outcome"] == "complied"


# Police intelligence restricted to police (acceptance) --------------------------------------------------------------


def test_a_police_restricted_person_of_concern_is_there_for_police_and_absent_for_health(
    sign_in: SignIn, police_officer: User, nurse: User, open_child: MakeChild
) -> None:
    """Acceptance: a police-restricted person of concern is absent from the network, search and API for a health
    user (the team's nurse) and present for police."""
    child = open_child("Ava", "Example")
    police = sign_in(police_officer)
    person = _post(police, _url("record-list"), _person_body(first_name="Rory", last_name="Hidden", restricted=True))
    assert person.status_code == 201 and person.json()["restricted_to_agency"] == "PPU"
    person_id = person.json()["id"]
    linked = _post(
        police,
        _url("link-create"),
        {
            "a": {"child": str(child.public_id)},
            "b": {"record": person_id},
            "kind": "exploited_by",
            "confidence": "probable",
            "evidence": "Intelligence report",
        },
    )
    assert linked.status_code == 201
    link_id = linked.json()["id"]

    # Police: in the list, the search, the detail, the links and the network.
    assert person_id in _ids(police.get(_url("record-list")).json()["results"])
    assert person_id in _ids(police.get(_url("record-list"), {"search": "rory hidden"}).json()["results"])
    assert police.get(_url("record-detail", person_id)).status_code == 200
    assert police.get(_url("record-links", person_id)).status_code == 200
    assert police.get(_url("link-detail", link_id)).status_code == 200
    assert person_id in _node_ids(police.get(_url("child-network", child.public_id)).json())
    assert police.get(_url("record-network", person_id)).status_code == 200

    # Health: not in the list, the search or the network; its id, its links and its link are a 404.
    health = sign_in(nurse)
    assert person_id not in _ids(health.get(_url("record-list")).json()["results"])
    assert health.get(_url("record-list"), {"search": "rory hidden"}).json()["count"] == 0
    network = health.get(_url("child-network", child.public_id))
    assert network.status_code == 200 and person_id not in _node_ids(network.json())
    assert network.json()["links"] == []
    assert health.get(_url("record-detail", person_id)).status_code == 404
    assert health.get(_url("record-links", person_id)).status_code == 404
    assert health.get(_url("record-network", person_id)).status_code == 404
    assert health.get(_url("link-detail", link_id)).status_code == 404
    assert _patch(health, _url("record-detail", person_id), {"version": 1, "last_name": "X"}).status_code == 404
    assert "Rory" not in health.get(_url("record-links", _child_node(child))).content.decode()
    # Nor is it offered as a possible duplicate (that would say police hold something).
    duplicate = _post(health, _url("record-list"), _person_body(first_name="Rory", last_name="Hidden"))
    assert duplicate.status_code == 201


def test_children_linked_only_through_a_restricted_person_are_not_linked_for_health(
    sign_in: SignIn, police_officer: User, nurse: User, open_child: MakeChild, person: MakePerson, link: MakeLink
) -> None:
    first, second = open_child("Ava", "Example"), open_child("Bea", "Sample")
    hidden = person(police_officer, "Rory", "Hidden", restricted=True)
    link(police_officer, first, hidden)
    link(police_officer, second, hidden)
    assert len(sign_in(police_officer).get(_url("linked-children", first.public_id)).json()) == 1
    assert sign_in(nurse).get(_url("linked-children", first.public_id)).json() == []
    assert _node_ids(sign_in(nurse).get(_url("child-network", first.public_id)).json()) == {_child_node(first)}


def test_episodes_and_pursuit_leave_out_a_restricted_person_for_health_and_keep_it_when_health_changes_them(
    sign_in: SignIn, police_officer: User, nurse: User, open_child: MakeChild, person: MakePerson, place: MakePlace
) -> None:
    child = open_child()
    hidden = person(police_officer, "Rory", "Hidden", restricted=True)
    hotel = place(police_officer, "Station Hotel")
    police = sign_in(police_officer)
    episode = _post(
        police,
        _url("missing-episode-list", child.public_id),
        {"started_at": timezone.now().isoformat(), "linked": [str(hidden.public_id), str(hotel.public_id)]},
    ).json()
    body = {
        "reference": "OP",
        "summary": "S",
        "children": [str(child.public_id)],
        "perpetrators": [str(hidden.public_id)],
    }
    investigation = _post(police, _url("investigation-list"), body).json()
    prosecution = _post(
        police,
        _url("prosecution-list"),
        {"perpetrator": str(hidden.public_id), "charges": "x", "charged_on": _days_ago(1)},
    ).json()

    health = sign_in(nurse)
    shown = health.get(_url("missing-episode-detail", episode["id"])).json()
    assert _ids(shown["linked"]) == {str(hotel.public_id)}
    assert _ids(health.get(_url("missing-episode-list", child.public_id)).json()["results"][0]["linked"]) == {
        str(hotel.public_id)
    }
    changed = _patch(health, _url("missing-episode-detail", episode["id"]), {"version": 1, "linked": []})
    assert changed.status_code == 200 and changed.json()["linked"] == []
    assert set(MissingEpisode.objects.get().linked.values_list("pk", flat=True)) == {hidden.pk}  # kept for police

    listed = health.get(_url("investigation-list")).json()["results"]
    assert [row["perpetrators"] for row in listed] == [[]]
    assert health.get(_url("investigation-detail", investigation["id"])).json()["perpetrators"] == []
    assert health.get(_url("prosecution-list")).json()["count"] == 0
    assert health.get(_url("prosecution-detail", prosecution["id"])).status_code == 404
    assert "Rory" not in health.get(_url("investigation-list")).content.decode()


# Who may use the mapping API ----------------------------------------------------------------------------------------

LISTS = ["record-list", "hotspots", "intelligence-pack", "investigation-list", "prosecution-list", "disruption-list"]
CREATES = ["record-list", "link-create", "investigation-list", "prosecution-list", "disruption-list"]


@pytest.mark.parametrize("who", ["governance", "outsider", "case_holder"])
def test_anyone_outside_the_team_is_refused_everywhere(
    request: pytest.FixtureRequest,
    who: str,
    sign_in: SignIn,
    police_officer: User,
    open_child: MakeChild,
    person: MakePerson,
    link: MakeLink,
) -> None:
    child = open_child()
    record = person(police_officer)
    a_link = link(police_officer, child, record)
    client = sign_in(request.getfixturevalue(who))
    before = (Entity.objects.count(), Link.objects.count(), MissingEpisode.objects.count())

    for name in LISTS:
        assert client.get(_url(name)).status_code == 403, name
    for name in CREATES:
        assert _post(client, _url(name), {"kind": "person", "last_name": "X"}).status_code == 403, name
    for name in ("child-network", "linked-children", "missing-episode-list"):
        assert client.get(_url(name, child.public_id)).status_code == 403, name
    assert _post(client, _url("missing-episode-list", child.public_id), {}).status_code == 403
    for name in ("record-detail", "record-links", "record-network"):
        assert client.get(_url(name, record.public_id)).status_code == 404, name
    assert client.get(_url("record-detail", _child_node(child))).status_code == 404
    assert client.get(_url("link-detail", a_link.public_id)).status_code == 404
    assert _patch(client, _url("record-detail", record.public_id), {"version": 1}).status_code == 404
    assert _post(client, _url("record-flag", record.public_id), {"flagged": False, "version": 1}).status_code == 404
    assert _post(client, _url("link-withdraw", a_link.public_id), {"reason": "x", "version": 1}).status_code == 404
    assert (Entity.objects.count(), Link.objects.count(), MissingEpisode.objects.count()) == before


def test_a_stranger_is_refused(client: Client, db: None) -> None:
    assert client.get(_url("record-list")).status_code in (401, 403)
    assert client.get(_url("record-detail", NOBODY)).status_code in (401, 403)


def test_pursuit_ids_are_a_404_outside_the_team(
    sign_in: SignIn, police_officer: User, governance: User, person: MakePerson, open_child: MakeChild
) -> None:
    suspect, child = person(police_officer), open_child()
    client = sign_in(police_officer)
    body = {"reference": "OP", "summary": "S", "children": [str(child.public_id)]}
    investigation = _post(client, _url("investigation-list"), body).json()["id"]
    prosecution = _post(
        client,
        _url("prosecution-list"),
        {"perpetrator": str(suspect.public_id), "charges": "x", "charged_on": _days_ago(1)},
    ).json()["id"]
    disruption = _post(
        client, _url("disruption-list"), {"kind": "sro", "target": str(suspect.public_id), "taken_on": _days_ago(1)}
    ).json()["id"]
    episode = _post(
        client, _url("missing-episode-list", child.public_id), {"started_at": timezone.now().isoformat()}
    ).json()["id"]
    board = sign_in(governance)
    for name, public_id in (
        ("investigation-detail", investigation),
        ("prosecution-detail", prosecution),
        ("disruption-detail", disruption),
        ("missing-episode-detail", episode),
    ):
        assert board.get(_url(name, public_id)).status_code == 404, name
    assert _post(board, _url("investigation-close", investigation), {"version": 1}).status_code == 404
    assert Investigation.objects.get().closed_on is None


# Cost and schema ----------------------------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_lists_cost_the_same_for_one_row_or_three(
    sign_in: SignIn,
    police_officer: User,
    open_child: MakeChild,
    person: MakePerson,
    place: MakePlace,
    link: MakeLink,
) -> None:
    child = open_child()
    hotel = place(police_officer, "Station Hotel")

    def add(n: int) -> None:
        suspect = person(police_officer, "Dean", f"Sample{n}", restricted=n % 2 == 1)
        link(police_officer, suspect, hotel)
        link(police_officer, child, suspect)
        client = sign_in(police_officer)
        _post(
            client,
            _url("investigation-list"),
            {"reference": f"OP{n}", "summary": "S", "perpetrators": [str(suspect.public_id)]},
        )
        _post(
            client,
            _url("prosecution-list"),
            {"perpetrator": str(suspect.public_id), "charges": "x", "charged_on": _days_ago(1)},
        )
        _post(
            client, _url("disruption-list"), {"kind": "sro", "target": str(suspect.public_id), "taken_on": _days_ago(1)}
        )
        started = timezone.now() - timedelta(days=n + 1)
        _post(
            client,
            _url("missing-episode-list", child.public_id),
            {"started_at": started.isoformat(), "linked": [str(suspect.public_id)], "found_at": str(hotel.public_id)},
        )

    urls = [
        _url("record-list"),
        _url("record-list") + "?search=sample",
        _url("record-links", hotel.public_id),
        _url("investigation-list"),
        _url("prosecution-list"),
        _url("disruption-list"),
        _url("missing-episode-list", child.public_id),
        _url("linked-children", child.public_id),
        _url("child-network", child.public_id),
        _url("hotspots"),
    ]
    add(1)
    client = sign_in(police_officer)
    one = [_queries(client, url) for url in urls]
    add(2)
    add(3)
    client = sign_in(police_officer)
    assert client.get(_url("investigation-list")).json()["count"] == 3
    assert client.get(_url("record-links", hotel.public_id)).json()["count"] == 3
    assert [_queries(client, url) for url in urls] == one


def test_the_mapping_endpoints_are_in_the_openapi_schema(sign_in: SignIn, police_officer: User) -> None:
    schema = sign_in(police_officer).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    expected = {
        "/api/mapping/records/": {"get", "post"},
        "/api/mapping/records/{public_id}/": {"get", "patch"},
        "/api/mapping/records/{public_id}/flag/": {"post"},
        "/api/mapping/records/{public_id}/links/": {"get"},
        "/api/mapping/records/{public_id}/network/": {"get"},
        "/api/mapping/links/": {"post"},
        "/api/mapping/links/{public_id}/": {"get", "patch"},
        "/api/mapping/links/{public_id}/withdraw/": {"post"},
        "/api/mapping/children/{child_id}/network/": {"get"},
        "/api/mapping/children/{child_id}/linked-children/": {"get"},
        "/api/mapping/children/{child_id}/missing-episodes/": {"get", "post"},
        "/api/mapping/missing-episodes/{public_id}/": {"get", "patch"},
        "/api/mapping/hotspots/": {"get"},
        "/api/mapping/intelligence-pack/": {"get"},
        "/api/mapping/investigations/": {"get", "post"},
        "/api/mapping/investigations/{public_id}/": {"get"},
        "/api/mapping/investigations/{public_id}/close/": {"post"},
        "/api/mapping/prosecutions/": {"get", "post"},
        "/api/mapping/prosecutions/{public_id}/": {"get"},
        "/api/mapping/prosecutions/{public_id}/conclude/": {"post"},
        "/api/mapping/disruptions/": {"get", "post"},
        "/api/mapping/disruptions/{public_id}/": {"get"},
        "/api/mapping/disruptions/{public_id}/outcome/": {"post"},
    }
    for path, methods in expected.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path
    create = schema["paths"]["/api/mapping/records/"]["post"]["responses"]
    assert {"201", "400", "403", "409"} <= set(create)
    assert create["409"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/PossibleDuplicate"
    change = schema["paths"]["/api/mapping/records/{public_id}/"]["patch"]["responses"]
    assert {"200", "400", "404", "409"} <= set(change)
    assert change["409"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/MappingConflict"
    network = schema["paths"]["/api/mapping/records/{public_id}/network/"]["get"]
    assert {"hops", "kind", "since", "until"} <= {parameter["name"] for parameter in network["parameters"]}
    assert schema["components"]["schemas"]["MappingLinkKindEnum"]["enum"] == list(LinkKind.values)
    assert schema["components"]["schemas"]["MappingRecordKindEnum"]["enum"] == [
        kind for kind in EntityKind.values if kind != EntityKind.CHILD
    ]
    assert all("{pk}" not in path and "{id}" not in path for path in schema["paths"]), "public UUIDs only"
