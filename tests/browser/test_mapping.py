"""Issue 6's acceptance in a browser: a police officer records a person of concern and a hotel, links two children to
both, opens the network from the first child and finds the second within two hops, then opens the hotspot map and
finds the hotel with two children. A health colleague in the same team sees neither the police-restricted person
nor the child reached only through him. Every page is scanned with axe-core."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.people.models import Child
from mapping.models import Link, Location, PersonOfConcern
from tests.factories import AgencyFactory, ChildFactory, totp_device


def _record_link(page: Page, child: Child, search: str, pick: str, kind: str, agency: Agency) -> None:
    """From the child's page: link the child to the record found by `search`."""
    page.goto(f"/children/{child.public_id}/")
    page.get_by_test_id("child-mapping-link").click()
    page.get_by_role("link", name=f"Link {child.full_name} to a record").click()
    page.get_by_label(re.compile("Find the person")).fill(search)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("radio", name=re.compile(pick)).check()
    page.get_by_label("How are they linked?").select_option(label=kind)
    page.get_by_label("Source agency").select_option(label=agency.name)
    page.get_by_label("Probable").check()
    page.get_by_label("Evidence").fill("Seen together by a patrol on a Friday night")
    page.get_by_role("button", name="Record the link").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()


@pytest.mark.browser
def test_two_children_linked_through_a_man_and_a_hotel_show_in_the_network_and_on_the_map(
    page_for: Callable[[User], Page],
    transactional_db: None,
    team: Team,
    police: Agency,
    make_user: Callable[..., User],
    assert_accessible: Callable[[Page, str], None],
) -> None:
    health = AgencyFactory.create(name="Hospital Trust", short_name="Trust", kind=Agency.Kind.HEALTH)
    team.agencies.add(health)
    officer = make_user(Role.PRACTITIONER, agency=police, in_team=True, username="officer", first_name="Sam")
    nurse = make_user(Role.PRACTITIONER, agency=health, in_team=True, username="nurse", first_name="Jo")
    totp_device(officer)
    totp_device(nurse)
    first = ChildFactory.create(first_name="Ava", last_name="Testwell", open_to_team=team, created_by=officer)
    second = ChildFactory.create(first_name="Ben", last_name="Exampleton", open_to_team=team, created_by=officer)

    page = page_for(officer)
    # A person of concern, police intelligence: restricted to police.
    page.goto("/mapping/")
    assert_accessible(page, "the mapping records list")
    page.get_by_role("button", name=re.compile("person of concern")).click()
    page.get_by_label("First name").fill("Dean")
    page.get_by_label("Last name").fill("Samplewick")
    page.get_by_label(re.compile("Restrict to Police Public Protection Unit")).check()
    assert_accessible(page, "recording a person of concern")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dean Samplewick")
    # The hotel, with its coordinates.
    page.goto("/mapping/new/location/")
    page.get_by_label("Hotel or bed and breakfast").check()
    page.get_by_label(re.compile("Name of the place")).fill("Station Hotel")
    page.get_by_label("Address", exact=True).fill("1 Station Road")
    page.get_by_label(re.compile("Latitude")).fill("53.430100")
    page.get_by_label(re.compile("Longitude")).fill("-1.356200")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Station Hotel")
    assert PersonOfConcern.objects.get().restricted_to_agency == police
    assert Location.objects.get().latitude is not None

    # Both children linked to the man (only the first to the hotel, then the second too).
    _record_link(page, first, "Dean", "Dean Samplewick", "Exploited by", police)
    assert_accessible(page, "a child's mapping page")
    _record_link(page, second, "Dean", "Dean Samplewick", "Exploited by", police)
    _record_link(page, first, "Station Hotel", "Station Hotel", "Seen at", police)
    _record_link(page, second, "Station Hotel", "Station Hotel", "Seen at", police)
    assert Link.objects.count() == 4

    # The network from the first child, one click from the child's page: the second child two hops away.
    page.goto(f"/children/{first.public_id}/")
    page.get_by_test_id("child-network-link").click()
    graph = page.get_by_test_id("network-graph")
    expect(graph).to_have_attribute("data-rendered", "4")
    nodes = page.get_by_test_id("network-nodes")
    second_row = nodes.get_by_test_id("network-node").filter(has_text="Ben Exampleton")
    expect(second_row).to_have_attribute("data-hops", "2")
    expect(nodes).to_contain_text("Dean Samplewick")
    expect(nodes).to_contain_text("Station Hotel")
    assert_accessible(page, "the network from a child")

    # The children linked through a common person or place, also one click from the child's page.
    page.goto(f"/children/{first.public_id}/")
    page.get_by_test_id("linked-children-link").click()
    expect(page.get_by_role("main")).to_contain_text("Ben Exampleton")

    # The hotspot map: the hotel, with two children.
    page.goto("/mapping/hotspots/")
    expect(page.get_by_test_id("hotspot-map")).to_have_attribute("data-rendered", "1")
    expect(page.locator(".leaflet-tooltip")).to_contain_text("Station Hotel")
    expect(page.locator(".leaflet-tooltip")).to_contain_text("2 children")
    row = page.get_by_test_id("hotspot-row").filter(has_text="Station Hotel")
    expect(row.get_by_test_id("hotspot-children")).to_have_text("2")
    assert_accessible(page, "the hotspot map")

    # The nurse, in the same team: the police-restricted man is nowhere, and the network from the first child
    # reaches the second only through the hotel.
    other = page_for(nurse)
    other.goto("/mapping/?q=Dean")
    expect(other.get_by_role("main")).not_to_contain_text("Samplewick")
    other.goto(f"/children/{first.public_id}/")
    other.get_by_test_id("child-network-link").click()
    expect(other.get_by_test_id("network-graph")).to_have_attribute("data-rendered", "3")
    expect(other.get_by_role("main")).not_to_contain_text("Samplewick")
    expect(other.get_by_test_id("network-nodes")).to_contain_text("Ben Exampleton")
