"""The network page and the hotspot map: what each team member sees (a police-restricted man, and a child reached only
through him, are absent for the health worker), the filters, the tables that are the view without JavaScript, a
page cost that does not grow with the network, and who is turned away."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evolve.accounts.models import User
from evolve.people.models import Child
from mapping.models import Entity, Link, LinkKind, Location, LocationType, PersonOfConcern
from mapping.services import child_entity

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]
OLD_FIRST, OLD_LAST = date(2021, 3, 1), date(2021, 6, 1)


def _data(html: str, script_id: str) -> Any:
    """The JSON data block the page's script reads."""
    match = re.search(rf'<script id="{script_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match is not None
    return json.loads(match.group(1))


def _table(html: str, testid: str) -> str:
    """The HTML of the table marked `data-testid=testid` (empty when there is none)."""
    match = re.search(rf'data-testid="{testid}".*?</table>', html, re.S)
    return match.group(0) if match else ""


@pytest.fixture
def scene(
    police_officer: User,
    open_child: Callable[..., Child],
    person: Callable[..., PersonOfConcern],
    place: Callable[..., Location],
    link: Callable[..., Link],
) -> dict[str, Any]:
    """Ava is exploited by Dean (police intelligence, restricted to police), who also exploits Bella; Ava and Cara
    were both seen at the Station Hotel. Dean's links are from 2021; the hotel's have no dates (current)."""
    ava, bella, cara = open_child("Ava", "Example"), open_child("Bella", "Sample"), open_child("Cara", "Test")
    dean = person(police_officer, "Dean", "Hidden", restricted=True)
    hotel = place(police_officer)
    kwargs = {"first_seen_on": OLD_FIRST, "last_seen_on": OLD_LAST}
    link(police_officer, ava, dean, kind=LinkKind.EXPLOITED_BY, **kwargs)
    link(police_officer, bella, dean, kind=LinkKind.EXPLOITED_BY, **kwargs)
    link(police_officer, ava, hotel, kind=LinkKind.SEEN_AT)
    link(police_officer, cara, hotel, kind=LinkKind.SEEN_AT)
    return {"ava": ava, "bella": bella, "cara": cara, "dean": dean, "hotel": hotel}


def _child_network(client: Client, child: Child, **query: Any) -> Any:
    return client.get(reverse("mapping:child-network", args=[child.public_id]), query)


def test_police_see_the_restricted_man_and_the_child_reached_through_him(
    sign_in: SignIn, police_officer: User, scene: dict[str, Any]
) -> None:
    page = _child_network(sign_in(police_officer), scene["ava"])
    assert page.status_code == 200
    html = page.content.decode()
    nodes = _table(html, "network-nodes")
    for name in ("Ava Example", "Dean Hidden", "Bella Sample", "Station Hotel", "Cara Test"):
        assert name in nodes, name
    assert "Restricted to PPU" in nodes
    assert 'data-testid="network-graph"' in html and 'role="img"' in html
    data = _data(html, "network-data")
    assert len(data["nodes"]) == 5 and len(data["links"]) == 4
    bella = next(node for node in data["nodes"] if node["label"] == "Bella Sample")
    assert bella["hops"] == 2 and bella["url"] == reverse("people:child-detail", args=[scene["bella"].public_id])
    hotel = next(node for node in data["nodes"] if node["kind"] == "location")
    assert hotel["url"] == reverse("mapping:record-detail", args=[scene["hotel"].public_id])
    assert "Exploited by" in _table(html, "network-links")


def test_the_health_worker_sees_neither_the_restricted_man_nor_the_child_reached_only_through_him(
    sign_in: SignIn, nurse: User, scene: dict[str, Any]
) -> None:
    page = _child_network(sign_in(nurse), scene["ava"])
    assert page.status_code == 200
    html = page.content.decode()
    nodes = _table(html, "network-nodes")
    assert "Station Hotel" in nodes and "Cara Test" in nodes
    assert "Dean" not in html and "Hidden" not in html
    assert "Bella" not in html
    assert "Exploited by" not in html.split('data-testid="network-filters"')[1].split("</form>")[1]


def test_the_filters_change_the_network(sign_in: SignIn, police_officer: User, scene: dict[str, Any]) -> None:
    client = sign_in(police_officer)
    seen_at_only = _table(_child_network(client, scene["ava"], kind="seen_at").content.decode(), "network-nodes")
    assert "Station Hotel" in seen_at_only and "Dean Hidden" not in seen_at_only and "Bella" not in seen_at_only

    two_kinds = _child_network(client, scene["ava"], kind=["seen_at", "exploited_by"]).content.decode()
    assert "Dean Hidden" in _table(two_kinds, "network-nodes")

    one_hop = _table(_child_network(client, scene["ava"], hops=1).content.decode(), "network-nodes")
    assert "Dean Hidden" in one_hop and "Bella Sample" not in one_hop and "Cara Test" not in one_hop

    since_2022 = _table(_child_network(client, scene["ava"], since="2022-01-01").content.decode(), "network-nodes")
    assert "Dean Hidden" not in since_2022 and "Station Hotel" in since_2022

    in_2021 = _child_network(client, scene["ava"], since="2021-01-01", until="2021-12-31").content.decode()
    assert "Dean Hidden" in _table(in_2021, "network-nodes") and "Bella Sample" in _table(in_2021, "network-nodes")
    assert "Station Hotel" not in _table(in_2021, "network-nodes")  # its links were recorded this year


@pytest.mark.parametrize(
    "query",
    [{"since": "2021-13-01"}, {"until": "yesterday"}, {"since": "2022-01-01", "until": "2021-01-01"}, {"hops": 9}],
)
def test_bad_filters_are_shown_in_the_error_summary(
    sign_in: SignIn, police_officer: User, scene: dict[str, Any], query: dict[str, Any]
) -> None:
    page = _child_network(sign_in(police_officer), scene["ava"], **query)
    assert page.status_code == 400
    html = page.content.decode()
    assert "govuk-error-summary" in html and "network-nodes" not in html
    for value in query.values():
        assert f'value="{value}"' in html or str(value) == "9"  # what was typed is kept


def test_the_network_page_from_a_record(sign_in: SignIn, police_officer: User, scene: dict[str, Any]) -> None:
    page = sign_in(police_officer).get(reverse("mapping:network", args=[scene["hotel"].public_id]))
    assert page.status_code == 200
    nodes = _table(page.content.decode(), "network-nodes")
    assert "Ava Example" in nodes and "Cara Test" in nodes and "Dean Hidden" in nodes  # two links from the hotel


def test_a_child_with_no_links_yet(sign_in: SignIn, police_officer: User, open_child: Callable[..., Child]) -> None:
    lonely = open_child("Dana", "Nolinks")
    page = _child_network(sign_in(police_officer), lonely)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="network-empty"' in html
    assert reverse("mapping:child-link-new", args=[lonely.public_id]) in html


def test_the_restricted_record_is_not_found_by_the_health_worker(
    sign_in: SignIn, nurse: User, scene: dict[str, Any]
) -> None:
    assert sign_in(nurse).get(reverse("mapping:network", args=[scene["dean"].public_id])).status_code == 404


def test_people_outside_the_team_are_turned_away(
    sign_in: SignIn, governance: User, outsider: User, scene: dict[str, Any]
) -> None:
    for user in (governance, outsider):
        client = sign_in(user)
        assert _child_network(client, scene["ava"]).status_code == 403
        assert client.get(reverse("mapping:network", args=[scene["hotel"].public_id])).status_code == 403
        assert client.get(reverse("mapping:hotspots")).status_code == 403


def test_the_network_page_costs_the_same_whatever_the_size_of_the_network(
    sign_in: SignIn,
    police_officer: User,
    open_child: Callable[..., Child],
    person: Callable[..., PersonOfConcern],
    place: Callable[..., Location],
    link: Callable[..., Link],
    django_assert_num_queries: Any,
) -> None:
    # A chain four links long, so the small network is walked to every hop the large one is.
    start = open_child("Ava", "Example")
    first = person(police_officer, "Zed", "First")
    takeaway = place(police_officer, name="First Takeaway", location_type=LocationType.TAKEAWAY)
    second = open_child("Bea", "Second")
    link(police_officer, start, first)
    link(police_officer, first, takeaway)
    link(police_officer, second, takeaway, kind=LinkKind.SEEN_AT)
    link(police_officer, second, person(police_officer, "Yan", "Fourth"))
    entity = Entity.objects.get(child=start)
    url = reverse("mapping:network", args=[entity.public_id]) + "?hops=4"
    client = sign_in(police_officer)
    assert client.get(url).status_code == 200  # the session settles
    with CaptureQueriesContext(connection) as small:
        small_page = client.get(url)
    assert len(_table(small_page.content.decode(), "network-nodes").split("<tr")) - 2 == 5

    for n in range(6):
        other = person(police_officer, f"Extra{n}", f"Person{n}", restricted=n % 2 == 0)
        link(police_officer, first, other)
        link(police_officer, other, open_child(f"Child{n}", f"More{n}"))
        link(police_officer, child_entity(child=open_child(f"Far{n}", "Away"), by=police_officer), other)
    with django_assert_num_queries(len(small.captured_queries)):
        large_page = client.get(url)
    assert len(_table(large_page.content.decode(), "network-nodes").split("<tr")) - 2 == 23


def test_the_hotspot_map_lists_the_hotel_with_two_children(
    sign_in: SignIn,
    police_officer: User,
    nurse: User,
    scene: dict[str, Any],
    place: Callable[..., Location],
    link: Callable[..., Link],
) -> None:
    nowhere = place(
        police_officer, name="Unmapped Park", location_type=LocationType.PARK, latitude=None, longitude=None
    )
    link(police_officer, scene["cara"], nowhere, kind=LinkKind.SEEN_AT)
    for user in (police_officer, nurse):
        page = sign_in(user).get(reverse("mapping:hotspots"))
        assert page.status_code == 200
        html = page.content.decode()
        table = _table(html, "hotspot-table")
        row = re.search(r"<tr[^>]*hotspot-row.*?Station Hotel.*?</tr>", table, re.S)
        assert row is not None
        assert re.search(r'data-testid="hotspot-children">2<', row.group(0))
        assert "Unmapped Park" in table and "No coordinates" in table
        assert 'data-testid="hotspot-map"' in html
        data = _data(html, "hotspot-data")
        assert [point["label"] for point in data["points"]] == ["Station Hotel, 1 High Street"]
        assert data["points"][0]["children"] == 2 and data["tiles"] is None


def test_the_hotspot_period(sign_in: SignIn, police_officer: User, scene: dict[str, Any]) -> None:
    client = sign_in(police_officer)
    long_ago = client.get(reverse("mapping:hotspots"), {"since": "2020-01-01", "until": "2020-12-31"})
    assert long_ago.status_code == 200 and "Station Hotel" not in _table(long_ago.content.decode(), "hotspot-table")
    bad = client.get(reverse("mapping:hotspots"), {"since": "2020-02-30"})
    assert bad.status_code == 400 and "govuk-error-summary" in bad.content.decode()


def test_the_hotspot_map_uses_a_tile_server_when_one_is_configured(
    sign_in: SignIn, police_officer: User, scene: dict[str, Any], settings: Any
) -> None:
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "Example tiles"
    html = sign_in(police_officer).get(reverse("mapping:hotspots")).content.decode()
    data = _data(html, "hotspot-data")
    assert data["tiles"] == {"url": settings.MAP_TILE_URL, "attribution": "Example tiles"}
    assert "app-map--plain" not in html
