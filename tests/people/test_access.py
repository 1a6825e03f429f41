"""Who sees which child, on pages, in lists and search, and through the API (DESIGN.md "Information sharing")."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from evolve.access.grants import child_access_grant
from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.audit.models import AccessAction, AccessLogEntry
from evolve.people.models import Child
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_child(team: Team) -> Child:
    return ChildFactory.create(first_name="Amelia", last_name="Quarrington", open_to_team=team)


@pytest.fixture
def police_restricted_child(team: Team, police: Agency) -> Child:
    return ChildFactory.create(
        first_name="Ruby", last_name="Westerholme", open_to_team=team, restricted_to_agency=police
    )


@pytest.fixture
def front_door_child() -> Child:
    """Known to the front door, not open to the team."""
    return ChildFactory.create(first_name="Kian", last_name="Oldroyd")


def _sees(client: Client, child: Child) -> tuple[int, int]:
    page = client.get(reverse("people:child-detail", args=[child.public_id])).status_code
    api = client.get(reverse("api-child-detail", args=[child.public_id])).status_code
    return page, api


# (role, agency fixture, in team) -> which of the three children they may see
CASES = [
    ("team manager", Role.TEAM_MANAGER, "social_care", True, {"open"}),
    ("detective sergeant", Role.DETECTIVE_SERGEANT, "police", True, {"open", "restricted"}),
    ("police practitioner", Role.PRACTITIONER, "police", True, {"open", "restricted"}),
    ("social care practitioner", Role.PRACTITIONER, "social_care", True, {"open"}),
    ("referrer at a school", Role.REFERRER, "school", False, set()),
    ("case-holding social worker outside the team", Role.CASE_HOLDING_SOCIAL_WORKER, "social_care", False, set()),
    ("MASH worker", Role.MASH_WORKER, "social_care", False, {"open", "front door"}),
    ("SPOC worker", Role.SPOC_WORKER, "social_care", False, {"open", "front door"}),
    ("head of service", Role.HEAD_OF_SERVICE, "social_care", False, set()),
    ("governance group", Role.GOVERNANCE, "social_care", False, set()),
    ("administrator", Role.ADMINISTRATOR, "social_care", False, set()),
    # A team role with no team is not a team member.
    ("practitioner not in any team", Role.PRACTITIONER, "social_care", False, set()),
]


@pytest.mark.parametrize(("label", "role", "agency_name", "in_team", "visible"), CASES, ids=[c[0] for c in CASES])
def test_each_role_sees_exactly_the_children_its_rules_allow(
    request: pytest.FixtureRequest,
    sign_in: Callable[[User], Client],
    make_user: Callable[..., User],
    open_child: Child,
    police_restricted_child: Child,
    front_door_child: Child,
    label: str,
    role: Role,
    agency_name: str,
    in_team: bool,
    visible: set[str],
) -> None:
    user = make_user(role, agency=request.getfixturevalue(agency_name), in_team=in_team)
    client = sign_in(user)
    children = {"open": open_child, "restricted": police_restricted_child, "front door": front_door_child}
    for name, child in children.items():
        expected = 200 if name in visible else 404
        assert _sees(client, child) == (expected, expected), f"{label} on the {name} child"

    if role == Role.GOVERNANCE:  # aggregates only: the lists themselves are refused, not shown empty
        assert client.get(reverse("people:child-list")).status_code == 403
        assert client.get(reverse("api-child-list")).status_code == 403
        return
    listed = client.get(reverse("people:child-list")).content.decode()
    searched = client.get(reverse("people:child-list"), {"q": "Westerholme"}).content.decode()
    api_list = client.get(reverse("api-child-list")).json()["results"]
    api_ids = {row["id"] for row in api_list}
    for name, child in children.items():
        assert (str(child.public_id) in listed) == (name in visible), f"{label}: {name} child in the list"
        assert (str(child.public_id) in api_ids) == (name in visible), f"{label}: {name} child in the API list"
    assert (str(police_restricted_child.public_id) in searched) == ("restricted" in visible)


def test_an_explicit_grant_lets_an_outsider_see_that_child_and_no_other(
    sign_in: Callable[[User], Client], outsider: User, open_child: Child, police_restricted_child: Child
) -> None:
    child_access_grant(child=police_restricted_child, user=outsider)
    client = sign_in(outsider)
    assert _sees(client, police_restricted_child) == (200, 200)
    assert _sees(client, open_child) == (404, 404)


def test_governance_never_sees_a_child_even_with_a_grant(
    sign_in: Callable[[User], Client], governance: User, open_child: Child
) -> None:
    child_access_grant(child=open_child, user=governance)
    assert _sees(sign_in(governance), open_child) == (404, 404)


def test_outsider_gets_404_not_403_so_an_id_reveals_nothing(
    sign_in: Callable[[User], Client], outsider: User, open_child: Child
) -> None:
    client = sign_in(outsider)
    missing = client.get(reverse("people:child-detail", args=["00000000-0000-0000-0000-000000000000"]))
    forbidden = client.get(reverse("people:child-detail", args=[open_child.public_id]))
    assert missing.status_code == forbidden.status_code == 404
    assert open_child.first_name not in forbidden.content.decode()


def test_outsider_cannot_change_a_child_through_the_api(
    sign_in: Callable[[User], Client], outsider: User, open_child: Child
) -> None:
    response = sign_in(outsider).patch(
        reverse("api-child-detail", args=[open_child.public_id]),
        {"school": "Somewhere", "version": 1},
        content_type="application/json",
    )
    assert response.status_code == 404
    open_child.refresh_from_db()
    assert open_child.school == ""


def test_a_granted_referrer_may_read_but_not_change(
    sign_in: Callable[[User], Client], outsider: User, open_child: Child
) -> None:
    child_access_grant(child=open_child, user=outsider)
    client = sign_in(outsider)
    assert client.get(reverse("people:child-edit", args=[open_child.public_id])).status_code == 403
    response = client.patch(
        reverse("api-child-detail", args=[open_child.public_id]),
        {"school": "Somewhere", "version": 1},
        content_type="application/json",
    )
    assert response.status_code == 403
    open_child.refresh_from_db()
    assert open_child.school == ""


@pytest.mark.parametrize("role", [Role.REFERRER, Role.GOVERNANCE, Role.ADMINISTRATOR, Role.HEAD_OF_SERVICE])
def test_roles_that_do_not_record_children_cannot_add_one(
    sign_in: Callable[[User], Client], make_user: Callable[..., User], role: Role
) -> None:
    client = sign_in(make_user(role))
    assert client.get(reverse("people:child-create")).status_code == 403
    response = client.post(
        reverse("api-child-list"), {"first_name": "Ava", "last_name": "Kingsley"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not Child.objects.exists()


@pytest.mark.parametrize("role", [Role.SPOC_WORKER, Role.MASH_WORKER, Role.CASE_HOLDING_SOCIAL_WORKER])
def test_a_front_door_worker_keeps_sight_of_the_child_they_record(
    sign_in: Callable[[User], Client], make_user: Callable[..., User], role: Role
) -> None:
    client = sign_in(make_user(role))
    response = client.post(
        reverse("api-child-list"),
        {"first_name": "Ava", "last_name": "Kingsley", "date_of_birth": "2013-02-02"},
        content_type="application/json",
    )
    assert response.status_code == 201
    child = Child.objects.get()
    assert child.open_to_team is None
    assert client.get(reverse("people:child-detail", args=[child.public_id])).status_code == 200


def test_access_report_is_for_managers_who_can_see_the_child(
    sign_in: Callable[[User], Client], team_manager: User, social_worker: User, outsider: User, open_child: Child
) -> None:
    url = reverse("people:child-access-report", args=[open_child.public_id])
    assert sign_in(team_manager).get(url).status_code == 200
    assert sign_in(social_worker).get(url).status_code == 403
    assert sign_in(outsider).get(url).status_code == 404


def test_a_team_member_can_restrict_a_new_record_to_their_agency(
    sign_in: Callable[[User], Client], police_officer: User, social_worker: User
) -> None:
    response = sign_in(police_officer).post(
        reverse("api-child-list"),
        {"first_name": "Ivy", "last_name": "Brackenbury", "date_of_birth": "2012-01-09", "restrict_to_my_agency": True},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["restricted_to_agency"] == "PPU"
    child = Child.objects.get()
    assert _sees(sign_in(social_worker), child) == (404, 404)
    assert _sees(sign_in(police_officer), child) == (200, 200)


def test_a_manager_gives_a_named_person_access_with_a_reason_on_record(
    sign_in: Callable[[User], Client], team_manager: User, outsider: User, open_child: Child
) -> None:
    url = reverse("people:child-access-grant-create", args=[open_child.public_id])
    refused = sign_in(team_manager).post(url, {"username": outsider.username, "reason": " "})
    assert refused.status_code == 400
    assert "Say why this person needs to see the record" in refused.content.decode()
    assert _sees(sign_in(outsider), open_child) == (404, 404)

    response = sign_in(team_manager).post(url, {"username": outsider.username, "reason": "Allocated case holder"})
    assert response.status_code == 302
    assert _sees(sign_in(outsider), open_child) == (200, 200)
    grant = AccessLogEntry.objects.get(action=AccessAction.GRANTED)
    assert (grant.user, grant.what) == (team_manager, f"granted to user {outsider.pk}: Allocated case holder")
    report = sign_in(team_manager).get(reverse("people:child-access-report", args=[open_child.public_id]))
    assert outsider.display_name in report.content.decode()


@pytest.mark.parametrize(
    ("username", "message"),
    [("nobody-by-that-name", "There is no active user with that username"), ("board", "sees figures only")],
)
def test_a_grant_to_someone_who_cannot_have_one_is_refused(
    sign_in: Callable[[User], Client],
    team_manager: User,
    governance: User,
    open_child: Child,
    username: str,
    message: str,
) -> None:
    response = sign_in(team_manager).post(
        reverse("people:child-access-grant-create", args=[open_child.public_id]),
        {"username": username, "reason": "Needs to know"},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AccessLogEntry.objects.filter(action=AccessAction.GRANTED).exists()


def test_a_practitioner_cannot_give_access(
    sign_in: Callable[[User], Client], social_worker: User, outsider: User, open_child: Child
) -> None:
    response = sign_in(social_worker).post(
        reverse("people:child-access-grant-create", args=[open_child.public_id]),
        {"username": outsider.username, "reason": "Wants to know"},
    )
    assert response.status_code == 403
    assert _sees(sign_in(outsider), open_child) == (404, 404)
