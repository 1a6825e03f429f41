"""A page's cost does not grow with the data: the same number of queries for 3 children as for 30."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evolve.accounts.models import Agency, Team, User
from evolve.people.models import Child
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def _child_with_details(team: Team, aliases: int, agency: Agency | None = None) -> Child:
    child = ChildFactory.create(open_to_team=team)
    for index in range(aliases):
        child.aliases.create(name=f"Alias {index}")
        child.addresses.create(line_1=f"{index} Mill Lane")
        child.identifiers.create(system="other", value=f"REF{index}", agency=agency)
    return child


@pytest.mark.parametrize("url_name", ["people:child-list", "api-child-list"])
def test_lists_cost_the_same_for_3_or_30_children(
    sign_in: Callable[[User], Client], social_worker: User, team: Team, url_name: str
) -> None:
    client = sign_in(social_worker)
    ChildFactory.create_batch(3, open_to_team=team)
    few = _queries(client, reverse(url_name))
    ChildFactory.create_batch(27, open_to_team=team)
    many = _queries(client, reverse(url_name))
    assert few == many
    assert many <= 12


@pytest.mark.parametrize("url_name", ["people:child-detail", "api-child-detail"])
def test_a_childs_record_costs_the_same_however_much_it_holds(
    sign_in: Callable[[User], Client], social_worker: User, team: Team, url_name: str
) -> None:
    client = sign_in(social_worker)
    bare = _queries(client, reverse(url_name, args=[_child_with_details(team, 0).public_id]))
    small = _queries(client, reverse(url_name, args=[_child_with_details(team, 1).public_id]))
    large = _queries(client, reverse(url_name, args=[_child_with_details(team, 8, social_worker.agency).public_id]))
    assert bare == small == large
    assert large <= 14


def test_the_access_report_costs_the_same_for_a_long_history(
    sign_in: Callable[[User], Client], team_manager: User, social_worker: User, team: Team
) -> None:
    child = ChildFactory.create(open_to_team=team)
    detail = reverse("people:child-detail", args=[child.public_id])
    report = reverse("people:child-access-report", args=[child.public_id])
    sign_in(social_worker).get(detail)
    short = _queries(sign_in(team_manager), report)
    for _ in range(20):
        sign_in(social_worker).get(detail)
    long = _queries(sign_in(team_manager), report)
    assert short == long
