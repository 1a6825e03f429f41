"""The children pages as a user meets them: clear messages for bad input, nothing half-saved, nothing lost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from evolve.accounts.models import Team, User
from evolve.people.models import Child
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

VALID = {
    "first_name": "Poppy",
    "last_name": "Whitley",
    "date_of_birth_0": "9",
    "date_of_birth_1": "4",
    "date_of_birth_2": "2012",
    "gender": "girl",
    "ethnicity": "WBRI",
    "looked_after_status": "not_looked_after",
}


def _post(client: Client, **changes: str) -> str:
    response = client.post(reverse("people:child-create"), {**VALID, **changes})
    assert response.status_code == 200, "a refused form is shown again, never a 500"
    return response.content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"first_name": ""}, "Enter the child&#x27;s first name"),
        ({"last_name": "   "}, "Enter the child&#x27;s last name"),
        (
            {"date_of_birth_0": "31", "date_of_birth_1": "2", "date_of_birth_2": "2012"},
            "Date of birth must be a real date",
        ),
        ({"date_of_birth_2": ""}, "Date of birth must include a year"),
        ({"date_of_birth_2": "12"}, "Date of birth must be a real date"),
        ({"date_of_birth_0": "2147483648"}, "Date of birth must be a real date"),  # was a 500 (OverflowError)
        (
            {"estimated_age": "fourteen", "date_of_birth_0": "", "date_of_birth_1": "", "date_of_birth_2": ""},
            "Estimated age must be a whole number, like 14",
        ),
        ({"gender": "dragon"}, "Select a valid choice"),
    ],
)
def test_bad_input_gets_a_clear_message_and_writes_nothing(
    sign_in: Callable[[User], Client], social_worker: User, changes: dict[str, str], message: str
) -> None:
    page = _post(sign_in(social_worker), **changes)
    assert "There is a problem" in page
    assert message in page
    assert not Child.objects.exists()


def test_a_future_date_of_birth_is_refused_with_a_message(
    sign_in: Callable[[User], Client], social_worker: User
) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    page = _post(
        sign_in(social_worker),
        date_of_birth_0=str(tomorrow.day),
        date_of_birth_1=str(tomorrow.month),
        date_of_birth_2=str(tomorrow.year),
    )
    assert "Date of birth must be today or in the past" in page
    assert 'href="#id_date_of_birth_0"' in page, "the error summary links to the day box"
    assert not Child.objects.exists()


def test_what_was_typed_is_kept_when_a_form_is_refused(sign_in: Callable[[User], Client], social_worker: User) -> None:
    page = _post(sign_in(social_worker), first_name="", school="Hillcrest School", aliases="Pops")
    assert 'value="Hillcrest School"' in page
    assert ">Pops</textarea>" in page
    assert 'value="9"' in page


@pytest.mark.parametrize("bad_id", ["12", "not-a-uuid", "00000000-0000-0000-0000-00000000000g", "../../etc"])
def test_a_malformed_id_is_a_404_page_not_an_error(
    sign_in: Callable[[User], Client], social_worker: User, bad_id: str
) -> None:
    client = sign_in(social_worker)
    assert client.get(f"/children/{bad_id}/").status_code == 404
    assert client.get(f"/api/children/{bad_id}/").status_code == 404


def test_adding_a_misspelt_existing_child_offers_the_existing_record_first(
    sign_in: Callable[[User], Client], social_worker: User, team: Team
) -> None:
    existing = ChildFactory.create(
        first_name="Jayden", last_name="Smith", date_of_birth=date(2011, 3, 14), open_to_team=team
    )
    client = sign_in(social_worker)
    offer = _post(
        client, first_name="Jaden", last_name="Smyth", date_of_birth_0="14", date_of_birth_1="3", date_of_birth_2="2011"
    )
    assert "Is this child already known?" in offer
    assert reverse("people:child-detail", args=[existing.public_id]) in offer
    assert Child.objects.count() == 1, "nothing is added until the user says none of these is the child"
    assert 'name="confirmed_new" value="True"' in offer

    response = client.post(
        reverse("people:child-create"),
        {
            **VALID,
            "first_name": "Jaden",
            "last_name": "Smyth",
            "date_of_birth_0": "14",
            "date_of_birth_1": "3",
            "date_of_birth_2": "2011",
            "confirmed_new": "True",
        },
    )
    assert response.status_code == 302
    assert Child.objects.count() == 2


def test_adding_a_new_child_goes_to_their_record(sign_in: Callable[[User], Client], social_worker: User) -> None:
    client = sign_in(social_worker)
    response = client.post(
        reverse("people:child-create"),
        {**VALID, "aliases": "Pops\nPW", "address_line_1": "4 Quarry View", "address_postcode": "s60 1zz"},
    )
    child = Child.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("people:child-detail", args=[child.public_id])
    page = client.get(response["Location"]).content.decode()
    assert "Poppy Whitley" in page
    assert "Pops" in page and "PW" in page
    assert "4 Quarry View, S60 1ZZ" in page


def test_two_people_editing_one_child_the_second_is_refused_and_keeps_their_text(
    sign_in: Callable[[User], Client], social_worker: User, team_manager: User, team: Team
) -> None:
    child = ChildFactory.create(first_name="Leah", last_name="Naylor", open_to_team=team)
    url = reverse("people:child-edit", args=[child.public_id])
    form = {**VALID, "first_name": "Leah", "last_name": "Naylor", "version": "1"}

    first = sign_in(team_manager).post(url, {**form, "school": "Hillcrest School"})
    assert first.status_code == 302

    second = sign_in(social_worker).post(url, {**form, "school": "Valley College", "looked_after_by": "Rotherham"})
    page = second.content.decode()
    assert second.status_code == 200
    assert "Someone else changed this record while you were editing it" in page
    assert 'data-testid="conflict"' in page and "Hillcrest School" in page, "the other person's change is shown"
    assert 'value="Valley College"' in page and 'value="Rotherham"' in page, "the second person's text is kept"
    assert 'name="version" value="2"' in page, "saving again is based on the version now stored"
    child.refresh_from_db()
    assert (child.school, child.looked_after_by) == ("Hillcrest School", "")


def test_adding_a_reference_and_refusing_a_duplicate_reference(
    sign_in: Callable[[User], Client], social_worker: User, team: Team
) -> None:
    child = ChildFactory.create(open_to_team=team)
    client = sign_in(social_worker)
    url = reverse("people:child-identifier-create", args=[child.public_id])
    assert client.post(url, {"system": "nhs_number", "value": "943 476 5919"}).status_code == 302
    again = client.post(url, {"system": "nhs_number", "value": "943 476 5919"})
    assert again.status_code == 400
    assert "The child already has this reference" in again.content.decode()
    assert child.identifiers.count() == 1


def test_a_move_ends_the_current_address_and_keeps_the_history(
    sign_in: Callable[[User], Client], social_worker: User, team: Team
) -> None:
    child = ChildFactory.create(open_to_team=team)
    child.addresses.create(line_1="4 Quarry View", lived_from=date(2015, 1, 1))
    client = sign_in(social_worker)
    url = reverse("people:child-address-create", args=[child.public_id])
    response = client.post(
        url,
        {
            "line_1": "12 Canal Side",
            "postcode": "s61 2zz",
            "lived_from_0": "1",
            "lived_from_1": "9",
            "lived_from_2": "2024",
        },
    )
    assert response.status_code == 302
    history = {address.line_1: (address.lived_from, address.lived_to) for address in child.addresses.all()}
    assert history == {
        "4 Quarry View": (date(2015, 1, 1), date(2024, 9, 1)),
        "12 Canal Side": (date(2024, 9, 1), None),
    }
    refused = client.post(url, {"line_1": ""})
    assert refused.status_code == 400
    assert "Enter the building and street" in refused.content.decode()
    assert child.addresses.count() == 2


def test_a_pasted_nul_character_in_a_search_is_dropped_not_a_failure(
    sign_in: Callable[[User], Client], social_worker: User, team: Team
) -> None:
    ChildFactory.create(first_name="Harvey", last_name="Brennan", open_to_team=team)
    response = sign_in(social_worker).get(reverse("people:child-list"), {"q": "Harvey\x00 Brennan"})
    assert response.status_code == 200
    assert "Harvey Brennan" in response.content.decode()


def test_a_search_matching_more_than_a_page_shows_the_best_first_without_counting_them_all(
    sign_in: Callable[[User], Client], social_worker: User, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A misspelt common surname matches thousands of children in a force area: the page shows the best matches a
    page at a time and asks for more of the name, rather than counting every match first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from evolve.people import views as people_views

    monkeypatch.setattr(people_views, "PAGE_SIZE", 2)
    for first in ("Harvey", "Harriet", "Harry"):
        ChildFactory.create(first_name=first, last_name="Brennan", open_to_team=team)
    client = sign_in(social_worker)
    url = reverse("people:child-list")

    with CaptureQueriesContext(connection) as captured:
        first_page = client.get(url, {"q": "Brenan"}).content.decode()
    assert not [query for query in captured if 'COUNT(*) AS "__count" FROM "people_child"' in query["sql"]]
    assert 'Best matches for "Brenan"' in first_page
    assert "Showing 1 to 2, best first; more match: add a first name or an alias to narrow the search" in first_page
    assert first_page.count("Brennan</a>") == 2
    assert 'href="?q=Brenan&amp;page=2"' in first_page and "Page 1<" in first_page

    second_page = client.get(url, {"q": "Brenan", "page": "2"}).content.decode()
    assert "Showing 3 to 3, best first</span>" in second_page and "more match" not in second_page
    assert second_page.count("Brennan</a>") == 1
    assert client.get(url, {"q": "Brenan", "page": "9"}).content.decode().count("Brennan</a>") == 2  # stale link
    assert client.get(url, {"q": "Brenan", "page": "9" * 30}).status_code == 200  # an OFFSET past bigint: page 1

    ChildFactory.create(first_name="Ottoline", last_name="Quarrie", open_to_team=team)
    one = client.get(url, {"q": "Ottoline Quarrie"}).content.decode()
    assert '1 match for "Ottoline Quarrie"' in one and "Best matches" not in one  # all on one page: counted
