"""The children API: the same gate, duplicate check, validation and version check as the pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from evolve.accounts.models import Team, User
from evolve.people.models import Child
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

LIST = "/api/children/"


def test_search_is_fuzzy_and_scoped(sign_in: Callable[[User], Client], social_worker: User, team: Team) -> None:
    wanted = ChildFactory.create(first_name="Harvey", last_name="Brennan", open_to_team=team)
    ChildFactory.create(first_name="Harvey", last_name="Brennan")  # not open to the team: invisible
    ChildFactory.create(first_name="Ruby", last_name="Vickers", open_to_team=team)
    response = sign_in(social_worker).get(LIST, {"search": "harvy brenan"})
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["results"]] == [str(wanted.public_id)]
    assert body["next"] is None


def _every_page(client: Client, url: str, params: dict[str, str]) -> tuple[list[str], list[str]]:
    """The ids on every page, following `next`, and each page's statements that count rows."""
    ids: list[str] = []
    counts: list[str] = []
    while url:
        with CaptureQueriesContext(connection) as captured:
            body = client.get(url, params).json()
        counts += [query["sql"] for query in captured.captured_queries if "COUNT(" in query["sql"].upper()]
        ids += [row["id"] for row in body["results"]]
        url, params = body["next"], {}
    return ids, counts


def test_the_list_is_read_a_page_at_a_time_by_name_without_counting_every_child(
    sign_in: Callable[[User], Client], social_worker: User, team: Team
) -> None:
    children = [
        ChildFactory.create(first_name=first, last_name=last, open_to_team=team)
        for first, last in [("Zoe", "Able"), ("Amy", "Able"), ("Ben", "Cole"), ("Ann", "Baker"), ("Cal", "Able")]
    ]
    ChildFactory.create(first_name="Hidden", last_name="Able")  # not the team's

    ids, counts = _every_page(sign_in(social_worker), LIST, {"limit": "2"})

    by_name = sorted(children, key=lambda child: (child.last_name, child.first_name))
    assert ids == [str(child.public_id) for child in by_name]
    assert counts == [], "a page never counts every row"


def test_search_results_are_read_a_page_at_a_time_best_match_first(
    sign_in: Callable[[User], Client], social_worker: User, team: Team
) -> None:
    exact = [ChildFactory.create(first_name=name, last_name="Brennan", open_to_team=team) for name in "ABC"]
    near = ChildFactory.create(first_name="Dee", last_name="Brenan", open_to_team=team)
    ChildFactory.create(first_name="Eve", last_name="Vickers", open_to_team=team)

    ids, counts = _every_page(sign_in(social_worker), LIST, {"search": "brennan", "limit": "2"})

    assert ids == [str(child.public_id) for child in [*exact, near]]
    assert counts == []


def test_create_offers_possible_duplicates_with_409_then_creates_when_confirmed(
    sign_in: Callable[[User], Client], social_worker: User, team: Team
) -> None:
    existing = ChildFactory.create(
        first_name="Jayden", last_name="Smith", date_of_birth=date(2011, 3, 14), open_to_team=team
    )
    client = sign_in(social_worker)
    new = {"first_name": "Jaden", "last_name": "Smyth", "date_of_birth": "2011-03-14"}
    offered = client.post(LIST, new, content_type="application/json")
    assert offered.status_code == 409
    assert [row["id"] for row in offered.json()["candidates"]] == [str(existing.public_id)]
    assert Child.objects.count() == 1

    created = client.post(LIST, {**new, "confirm_new": True}, content_type="application/json")
    assert created.status_code == 201
    assert created.json()["full_name"] == "Jaden Smyth"
    assert created.json()["open_to_team"] == "Evolve"
    assert Child.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": "", "last_name": "Shaw"}, "first_name"),
        ({"last_name": "Shaw"}, "first_name"),
        ({"first_name": "Ava", "last_name": "Shaw", "date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"first_name": "Ava", "last_name": "Shaw", "date_of_birth": "14/14/2014"}, "date_of_birth"),
        ({"first_name": "Ava", "last_name": "Shaw", "gender": "unicorn"}, "gender"),
        ({"first_name": "Ava", "last_name": "Shaw", "estimated_age": -3}, "estimated_age"),
        ({"first_name": "Ava" * 100, "last_name": "Shaw"}, "first_name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    sign_in: Callable[[User], Client], social_worker: User, body: dict[str, object], field: str
) -> None:
    response = sign_in(social_worker).post(LIST, body, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Child.objects.exists()


def test_malformed_json_is_a_400(sign_in: Callable[[User], Client], social_worker: User) -> None:
    response = sign_in(social_worker).post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert not Child.objects.exists()


def test_read_gives_the_whole_record(sign_in: Callable[[User], Client], social_worker: User, team: Team) -> None:
    child = ChildFactory.create(first_name="Ruby", last_name="Vickers", open_to_team=team)
    child.aliases.create(name="Rubes")
    body = sign_in(social_worker).get(reverse("api-child-detail", args=[child.public_id])).json()
    assert body["id"] == str(child.public_id)
    assert body["aliases"] == [{"name": "Rubes", "kind": "alias"}]
    assert body["version"] == 1
    assert "pk" not in body and body["id"] != child.pk


def test_update_needs_the_version_and_refuses_a_stale_one(
    sign_in: Callable[[User], Client], social_worker: User, team: Team
) -> None:
    child = ChildFactory.create(open_to_team=team)
    url = reverse("api-child-detail", args=[child.public_id])
    client = sign_in(social_worker)
    assert client.patch(url, {"school": "Hillcrest School"}, content_type="application/json").status_code == 400
    ok = client.patch(url, {"school": "Hillcrest School", "version": 1}, content_type="application/json")
    assert (ok.status_code, ok.json()["version"], ok.json()["school"]) == (200, 2, "Hillcrest School")
    stale = client.patch(url, {"school": "Valley College", "version": 1}, content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["current"]["school"] == "Hillcrest School"
    child.refresh_from_db()
    assert child.school == "Hillcrest School"


def test_an_update_that_would_break_the_rules_is_refused(
    sign_in: Callable[[User], Client], social_worker: User, team: Team
) -> None:
    child = ChildFactory.create(open_to_team=team, date_of_birth=date(2012, 1, 1))
    response = sign_in(social_worker).patch(
        reverse("api-child-detail", args=[child.public_id]),
        {"estimated_age": 12, "version": 1},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "estimated_age" in response.json()


def test_anonymous_and_password_only_sessions_are_refused(client: Client, social_worker: User, team: Team) -> None:
    assert client.get(LIST).status_code == 403
    client.force_login(social_worker, backend="evolve.accounts.backends.UserBackend")
    assert client.get(LIST).status_code == 403, "a session that has not passed the second factor cannot use the API"


def test_token_authentication_uses_the_same_gate(social_worker: User, outsider: User, team: Team) -> None:
    child = ChildFactory.create(open_to_team=team)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=social_worker).key}")
    assert api.get(reverse("api-child-detail", args=[child.public_id])).status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=outsider).key}")
    assert api.get(reverse("api-child-detail", args=[child.public_id])).status_code == 404


def test_the_schema_and_docs_are_served_without_a_cdn(sign_in: Callable[[User], Client], social_worker: User) -> None:
    client = sign_in(social_worker)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/children/{public_id}/" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()


def test_create_with_aliases_and_an_address(sign_in: Callable[[User], Client], social_worker: User) -> None:
    response = sign_in(social_worker).post(
        LIST,
        {
            "first_name": "Ellie",
            "last_name": "Thorpe",
            "estimated_age": 15,
            "aliases": ["Elz"],
            "address": {
                "line_1": "7 Orchard Close",
                "postcode": "s65 3zz",
                "lived_from": "2020-02-01",
                "lived_to": None,
            },
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["aliases"] == [{"name": "Elz", "kind": "alias"}]
    assert body["addresses"][0]["line_1"] == "7 Orchard Close"
    assert body["addresses"][0]["postcode"] == "S65 3ZZ"
    assert body["estimated_age"] == 15 and body["date_of_birth"] is None
