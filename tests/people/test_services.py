"""Recording children: the duplicate check, the rules for identity, and edits that never overwrite each other."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from evolve.accounts.models import Team, User
from evolve.accounts.roles import Role
from evolve.people.models import Child
from evolve.people.selectors import child_duplicate_candidates, child_list_for_user
from evolve.people.services import (
    ChildDetails,
    ConcurrentEditError,
    child_alias_add,
    child_create,
    child_update,
)
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


def _record(by: User, first: str, last: str, born: date | None = date(2011, 3, 14), **extra: Any) -> Child:
    return child_create(by=by, details=ChildDetails(first_name=first, last_name=last, date_of_birth=born, **extra))


@pytest.mark.parametrize(
    ("first", "last"),
    [("Jaden", "Smyth"), ("Jayden", "Smith"), ("jayden", "SMITH"), ("Jaydon", "Smiths"), ("Jayden", "Smith-Jones")],
)
def test_a_misspelt_child_with_the_same_birth_date_is_offered(
    social_worker: User, team: Team, first: str, last: str
) -> None:
    existing = _record(social_worker, "Jayden", "Smith")
    check = child_duplicate_candidates(
        user=social_worker, first_name=first, last_name=last, date_of_birth=date(2011, 3, 14)
    )
    assert [child.pk for child in check.candidates] == [existing.pk]


def test_a_child_known_by_an_alias_is_offered(social_worker: User) -> None:
    existing = _record(social_worker, "Chloe", "Marsden", aliases=["Clo Brennan"])
    check = child_duplicate_candidates(
        user=social_worker, first_name="Clo", last_name="Brennan", date_of_birth=date(2011, 3, 14)
    )
    assert [child.pk for child in check.candidates] == [existing.pk]


def test_a_different_child_is_not_offered(social_worker: User) -> None:
    _record(social_worker, "Jayden", "Smith")
    different_name = child_duplicate_candidates(
        user=social_worker, first_name="Poppy", last_name="Whitley", date_of_birth=date(2011, 3, 14)
    )
    similar_name_other_birthday = child_duplicate_candidates(
        user=social_worker, first_name="Jaden", last_name="Smyth", date_of_birth=date(2014, 9, 1)
    )
    assert different_name.candidates == []
    assert similar_name_other_birthday.candidates == []


def test_the_same_name_is_offered_whatever_the_birth_date(social_worker: User) -> None:
    existing = _record(social_worker, "Jayden", "Smith", born=date(2011, 3, 14))
    check = child_duplicate_candidates(
        user=social_worker, first_name="Jayden", last_name="Smith", date_of_birth=date(2012, 3, 14)
    )
    assert [child.pk for child in check.candidates] == [existing.pk]


def test_a_match_the_user_may_not_see_is_counted_for_team_members_but_never_shown(
    social_worker: User, police_officer: User, outsider: User
) -> None:
    child_create(
        by=police_officer,
        details=ChildDetails(first_name="Jayden", last_name="Smith", date_of_birth=date(2011, 3, 14)),
        restrict_to_my_agency=True,
    )
    seen_by_team = child_duplicate_candidates(
        user=social_worker, first_name="Jaden", last_name="Smith", date_of_birth=date(2011, 3, 14)
    )
    seen_by_outsider = child_duplicate_candidates(
        user=outsider, first_name="Jaden", last_name="Smith", date_of_birth=date(2011, 3, 14)
    )
    assert (list(seen_by_team.candidates), seen_by_team.hidden_count) == ([], 1)
    assert (list(seen_by_outsider.candidates), seen_by_outsider.hidden_count) == ([], 0)


def test_fuzzy_search_finds_a_child_by_a_misspelling_of_any_name(social_worker: User) -> None:
    wanted = _record(social_worker, "Niamh", "Fenwick", aliases=["Nee"])
    _record(social_worker, "Tyler", "Oakes")
    assert list(child_list_for_user(user=social_worker, search="Neve Fenwik")) == [wanted]
    assert list(child_list_for_user(user=social_worker, search="fenwick")) == [wanted]


@pytest.mark.parametrize(
    ("details", "field", "message"),
    [
        ({"first_name": " ", "last_name": "Oakes"}, "first_name", "Enter the child's first name"),
        ({"first_name": "Ava", "last_name": ""}, "last_name", "Enter the child's last name"),
        (
            {"first_name": "Ava", "last_name": "Oakes", "date_of_birth": timezone.localdate() + timedelta(days=1)},
            "date_of_birth",
            "Date of birth must be today or in the past",
        ),
        (
            {"first_name": "Ava", "last_name": "Oakes", "date_of_birth": date(1980, 1, 1)},
            "date_of_birth",
            "Date of birth must be within the last 25 years",
        ),
        (
            {"first_name": "Ava", "last_name": "Oakes", "estimated_age": 40},
            "estimated_age",
            "Estimated age must be between 0 and 25",
        ),
    ],
)
def test_bad_identity_is_refused_and_nothing_is_written(
    social_worker: User, details: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        child_create(by=social_worker, details=ChildDetails(**details))  # type: ignore[arg-type]
    assert refused.value.message_dict == {field: [message]}
    assert not Child.objects.exists()


def test_a_team_members_child_is_open_to_their_team(social_worker: User, team: Team) -> None:
    child = _record(social_worker, "Isla", "Garside", estimated_age=None)
    assert child.open_to_team == team
    assert child.restricted_to_agency is None


def test_an_estimated_age_is_kept_with_the_date_it_was_estimated(social_worker: User) -> None:
    child = _record(social_worker, "Isla", "Garside", born=None, estimated_age=14)
    assert (child.estimated_age, child.age_estimated_on) == (14, timezone.localdate())
    assert child.age_on(timezone.localdate()) == 14


def test_a_role_that_does_not_record_children_is_refused(make_user, team: Team) -> None:
    with pytest.raises(PermissionDenied):
        _record(make_user(Role.GOVERNANCE), "Isla", "Garside")
    assert not Child.objects.exists()


def test_a_second_edit_based_on_an_old_version_is_refused_and_the_first_is_kept(social_worker: User) -> None:
    child = ChildFactory.create(school="")
    first = child_update(child=child, by=social_worker, based_on_version=1, changes={"school": "Hillcrest School"})
    assert (first.school, first.version) == ("Hillcrest School", 2)
    with pytest.raises(ConcurrentEditError) as refused:
        child_update(child=child, by=social_worker, based_on_version=1, changes={"school": "Valley College"})
    assert refused.value.current.school == "Hillcrest School"
    child.refresh_from_db()
    assert (child.school, child.version) == ("Hillcrest School", 2)


def test_an_alias_makes_the_child_findable_and_moves_the_version_on(social_worker: User) -> None:
    child = _record(social_worker, "Maisie", "Lomax")
    child_alias_add(child=child, by=social_worker, name="Mazza")
    child.refresh_from_db()
    assert child.version == 2
    assert list(child_list_for_user(user=social_worker, search="Mazza")) == [child]


@pytest.mark.django_db(transaction=True)
def test_two_moves_recorded_at_once_leave_one_current_address(social_worker: User, police_officer: User) -> None:
    """Two people record a move for the same child at the same moment. The second waits for the first, then ends the
    address the first recorded: one current address, both moves in the history."""
    import threading

    from django.db import transaction

    from evolve.people.models import ChildAddress
    from evolve.people.services import NewAddress, child_address_add
    from tests.concurrently import at_once, lock_waiters, until

    child = ChildFactory.create(first_name="Rae", last_name="Testmove")
    first_added = threading.Event()

    def first() -> None:
        with transaction.atomic():
            child_address_add(child=child, by=social_worker, address=NewAddress(line_1="1 First Street"))
            first_added.set()
            until(lambda: lock_waiters() > 0, seconds=5)  # hold the transaction open until the second is waiting

    def second() -> None:
        first_added.wait(10)
        child_address_add(child=child, by=police_officer, address=NewAddress(line_1="2 Second Road"))

    assert at_once(first, second) == []
    current = ChildAddress.objects.filter(child=child, lived_to__isnull=True)
    assert list(current.values_list("line_1", flat=True)) == ["2 Second Road"]
    assert ChildAddress.objects.filter(child=child).count() == 2
