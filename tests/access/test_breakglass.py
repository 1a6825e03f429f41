"""Break-glass (issue 8 item 3): a team member opens a record restricted to another agency in an emergency, giving a
reason. The opening lasts settings.BREAK_GLASS_MINUTES, is marked in the access log with its reason, and the owning
agency's managers are notified and review it, once. Nobody else is offered it, or learns the record exists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from evolve.access.breakglass import NOT_APPROPRIATE_SUBJECT, OPENER_MANAGER_SUBJECT, REVIEW_SUBJECT
from evolve.access.models import BreakGlassAccess, BreakGlassOutcome
from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.audit.models import AccessAction, AccessLogEntry
from evolve.notifications.models import Notification
from evolve.people.models import Child
from tests.factories import ChildFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

REASON = "Police called: she is missing tonight and may be with the man named in the intelligence."
AGREED = "I understand this is logged and my manager and the owning agency's manager will review it"


@pytest.fixture
def restricted(team: Team, police: Agency) -> Child:
    """Open to the team, restricted to the police."""
    return ChildFactory.create(
        first_name="Ruby", last_name="Westerholme", open_to_team=team, restricted_to_agency=police
    )


@pytest.fixture
def detective_sergeant(make_user: Callable[..., User], police: Agency) -> User:
    return make_user(Role.DETECTIVE_SERGEANT, agency=police, in_team=True, username="ds")


@pytest.fixture
def detective_inspector(make_user: Callable[..., User], police: Agency) -> User:
    """The police's service manager: in no team, oversees the agency's work in every team."""
    return make_user(Role.SERVICE_MANAGER, agency=police, username="di")


@pytest.fixture
def other_team() -> Team:
    return TeamFactory.create(name="Another team")


def _detail(child: Child) -> str:
    return reverse("people:child-detail", args=[child.public_id])


def _emergency(child: Child) -> str:
    return reverse("people:child-break-glass", args=[child.public_id])


def _break_glass(client: Client, child: Child, reason: str = REASON, agreed: bool = True) -> Any:
    data = {"reason": reason}
    if agreed:
        data["understood"] = "on"
    return client.post(_emergency(child), data)


def _open(user: User, child: Child, minutes: int = 60, **fields: object) -> BreakGlassAccess:
    """An opening made directly, for tests about what follows from one."""
    now = timezone.now()
    assert child.restricted_to_agency_id is not None and child.open_to_team_id is not None
    return BreakGlassAccess.objects.create(
        user=user,
        agency_id=user.agency_id,
        child=child,
        owning_agency_id=child.restricted_to_agency_id,
        team_id=child.open_to_team_id,
        reason=REASON,
        opened_at=now,
        expires_at=now + timedelta(minutes=minutes),
        **fields,
    )


# ---------------------------------------------------------------------------------------------------------------
# Who is offered it


def test_a_team_member_of_another_agency_learns_the_record_is_restricted_and_may_open_it(
    sign_in: Callable[[User], Client], social_worker: User, restricted: Child
) -> None:
    response = sign_in(social_worker).get(_detail(restricted))
    assert response.status_code == 404
    page = response.content.decode()
    assert "This record is restricted to Police Public Protection Unit" in page
    assert _emergency(restricted) in page
    assert "Westerholme" not in page and "Ruby" not in page
    assert not AccessLogEntry.objects.filter(child=restricted).exists()  # nothing of the record was shown

    form = sign_in(social_worker).get(_emergency(restricted))
    assert form.status_code == 200
    assert escape(AGREED) in form.content.decode()
    assert "Westerholme" not in form.content.decode()


@pytest.mark.parametrize(
    ("label", "roles", "agency_name", "where"),
    [
        ("practitioner of another team", [Role.PRACTITIONER], "social_care", "other"),
        ("team manager of another team", [Role.TEAM_MANAGER], "social_care", "other"),
        ("referrer at a school", [Role.REFERRER], "school", None),
        ("SPOC worker", [Role.SPOC_WORKER], "social_care", None),
        ("MASH worker", [Role.MASH_WORKER], "social_care", None),
        ("triage manager", [Role.TRIAGE_MANAGER], "social_care", None),
        ("case-holding social worker outside the team", [Role.CASE_HOLDING_SOCIAL_WORKER], "social_care", None),
        ("head of service", [Role.HEAD_OF_SERVICE], "social_care", None),
        ("governance group", [Role.GOVERNANCE], "social_care", None),
        ("governance member who is also in the team", [Role.GOVERNANCE, Role.PRACTITIONER], "social_care", "team"),
        ("administrator", [Role.ADMINISTRATOR], "social_care", None),
        ("practitioner in no team", [Role.PRACTITIONER], "social_care", None),
    ],
)
def test_nobody_else_is_offered_it_or_learns_the_record_exists(
    request: pytest.FixtureRequest,
    sign_in: Callable[[User], Client],
    restricted: Child,
    team: Team,
    other_team: Team,
    label: str,
    roles: list[Role],
    agency_name: str,
    where: str | None,
) -> None:
    agency = request.getfixturevalue(agency_name)
    user = UserFactory.create(roles=roles, agency=agency, team={"team": team, "other": other_team}.get(where or ""))
    client = sign_in(user)
    detail = client.get(_detail(restricted))
    missing = client.get("/children/00000000-0000-0000-0000-000000000009/")
    assert detail.status_code == 404 == missing.status_code, label
    for response in (detail, client.get(_emergency(restricted)), _break_glass(client, restricted)):
        assert response.status_code == 404, label
        page = response.content.decode()
        assert "restricted" not in page.lower() and "emergency" not in page.lower(), label
        assert "Police Public Protection Unit" not in page and "Westerholme" not in page, label
    assert not BreakGlassAccess.objects.exists()
    assert not AccessLogEntry.objects.filter(child=restricted).exists()
    assert not Notification.objects.exists()


def test_an_id_that_is_no_child_is_a_plain_404_for_a_team_member(
    sign_in: Callable[[User], Client], social_worker: User
) -> None:
    client = sign_in(social_worker)
    for url in (
        "/children/00000000-0000-0000-0000-000000000009/",
        "/children/00000000-0000-0000-0000-000000000009/emergency/",
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert "restricted" not in response.content.decode().lower()


def test_there_is_nothing_to_break_on_a_record_the_user_already_sees(
    sign_in: Callable[[User], Client], social_worker: User, police_officer: User, restricted: Child, team: Team
) -> None:
    open_child = ChildFactory.create(open_to_team=team)
    assert sign_in(social_worker).get(_emergency(open_child)).status_code == 404  # not restricted: no glass at all
    response = sign_in(police_officer).get(_emergency(restricted))  # restricted to their own agency
    assert response.status_code == 404
    assert not BreakGlassAccess.objects.exists()


# ---------------------------------------------------------------------------------------------------------------
# Opening it


def test_breaking_glass_opens_the_record_logs_the_reason_and_asks_the_owning_managers_to_review(
    sign_in: Callable[[User], Client],
    social_worker: User,
    team_manager: User,
    police_officer: User,
    detective_sergeant: User,
    detective_inspector: User,
    make_user: Callable[..., User],
    police: Agency,
    other_team: Team,
    restricted: Child,
) -> None:
    social_care_service_manager = make_user(Role.SERVICE_MANAGER, username="csm")
    other_team_ds = UserFactory.create(roles=[Role.DETECTIVE_SERGEANT], agency=police, team=other_team)
    client = sign_in(social_worker)

    response = _break_glass(client, restricted)

    assert response.status_code == 302
    assert response["Location"] == _detail(restricted)
    opening = BreakGlassAccess.objects.get()
    assert (opening.user, opening.child, opening.owning_agency, opening.reason) == (
        social_worker,
        restricted,
        police,
        REASON,
    )
    assert opening.expires_at - opening.opened_at == timedelta(minutes=60)
    assert opening.reviewed_at is None

    # The access log: the opening, marked and with its reason.
    entry = AccessLogEntry.objects.get(child=restricted)
    assert (entry.user, entry.agency, entry.action) == (social_worker, social_worker.agency, AccessAction.BREAK_GLASS)
    assert entry.what == f"Break-glass: {REASON}"
    assert entry.where == "POST people:child-break-glass"

    # The record opens, with a warning, and each read is logged as usual.
    page = client.get(_detail(restricted))
    assert page.status_code == 200
    until = timezone.localtime(opening.expires_at).strftime("%H:%M")
    assert f"Opened in an emergency until {until}" in page.content.decode()
    assert "Westerholme" in page.content.decode()
    assert client.get(reverse("api-child-detail", args=[restricted.public_id])).status_code == 200
    assert list(AccessLogEntry.objects.filter(child=restricted).order_by("id").values_list("action", flat=True)) == [
        AccessAction.BREAK_GLASS,
        AccessAction.VIEWED,
        AccessAction.VIEWED,
    ]

    # The owning agency's managers (in the team, and the service manager in none) are asked to review it.
    review_url = reverse("people:breakglass-review", args=[opening.public_id])
    asked = Notification.objects.filter(subject=REVIEW_SUBJECT)
    assert {notification.user for notification in asked} == {detective_sergeant, detective_inspector}
    assert {notification.url for notification in asked} == {review_url}
    # The opener's own manager is told; nobody else hears of it.
    told = Notification.objects.filter(subject=OPENER_MANAGER_SUBJECT)
    assert [notification.user for notification in told] == [team_manager]
    assert not Notification.objects.filter(
        user__in=[police_officer, social_worker, social_care_service_manager, other_team_ds]
    ).exists()
    for notification in Notification.objects.all():
        assert "Ruby" not in notification.subject + notification.body
        assert "Westerholme" not in notification.subject + notification.body
        assert str(restricted.public_id) not in notification.subject + notification.body + notification.url

    # The review task: waiting in the owning manager's list.
    reviews = sign_in(detective_sergeant).get(reverse("people:breakglass-review-list"))
    assert reviews.status_code == 200
    assert review_url in reviews.content.decode()
    assert "To review" in reviews.content.decode()


def test_the_window_is_configurable_and_closes_by_itself(
    sign_in: Callable[[User], Client], social_worker: User, restricted: Child, settings: Any
) -> None:
    settings.BREAK_GLASS_MINUTES = 15
    client = sign_in(social_worker)
    assert _break_glass(client, restricted).status_code == 302
    opening = BreakGlassAccess.objects.get()
    assert opening.expires_at - opening.opened_at == timedelta(minutes=15)

    with time_machine.travel(opening.expires_at - timedelta(seconds=5), tick=False):
        assert sign_in(social_worker).get(_detail(restricted)).status_code == 200
    with time_machine.travel(opening.expires_at + timedelta(seconds=1), tick=False):
        client = sign_in(social_worker)
        closed = client.get(_detail(restricted))
        assert closed.status_code == 404
        assert "Westerholme" not in closed.content.decode()
        assert "This record is restricted" in closed.content.decode()  # and it may be opened again
        assert client.get(reverse("api-child-detail", args=[restricted.public_id])).status_code == 404
        assert client.get(reverse("people:child-list")).content.decode().count("Westerholme") == 0


@pytest.mark.parametrize(
    ("reason", "agreed", "message"),
    [
        ("", True, "Give the reason for opening this record in an emergency, in at least 20 characters"),
        ("   ", True, "Give the reason for opening this record in an emergency, in at least 20 characters"),
        (
            "She is at risk now",
            True,
            "Give the reason for opening this record in an emergency, in at least 20 characters",
        ),
        ("x" * 2001, True, "The reason must be 2000 characters or fewer"),
        (REASON, False, "Confirm that you understand the opening is logged and will be reviewed"),
    ],
)
def test_a_reason_and_the_declaration_are_required(
    sign_in: Callable[[User], Client],
    social_worker: User,
    restricted: Child,
    detective_sergeant: User,
    reason: str,
    agreed: bool,
    message: str,
) -> None:
    client = sign_in(social_worker)
    response = _break_glass(client, restricted, reason=reason, agreed=agreed)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "govuk-error-summary" in page
    assert not BreakGlassAccess.objects.exists()
    assert not AccessLogEntry.objects.filter(child=restricted).exists()
    assert not Notification.objects.exists()
    assert client.get(_detail(restricted)).status_code == 404


def test_breaking_glass_again_while_open_goes_to_the_record(
    sign_in: Callable[[User], Client], social_worker: User, restricted: Child
) -> None:
    client = sign_in(social_worker)
    _break_glass(client, restricted)
    response = client.get(_emergency(restricted))
    assert response.status_code == 302 and response["Location"] == _detail(restricted)
    assert _break_glass(client, restricted).status_code == 302
    assert BreakGlassAccess.objects.count() == 1
    assert AccessLogEntry.objects.filter(action=AccessAction.BREAK_GLASS).count() == 1


def test_no_more_than_three_records_open_at_once(
    sign_in: Callable[[User], Client], social_worker: User, team: Team, police: Agency
) -> None:
    children = ChildFactory.create_batch(4, open_to_team=team, restricted_to_agency=police)
    client = sign_in(social_worker)
    for child in children[:3]:
        assert _break_glass(client, child).status_code == 302
    refused = _break_glass(client, children[3])
    assert refused.status_code == 400
    assert "You already have 3 records open in an emergency" in refused.content.decode()
    assert BreakGlassAccess.objects.count() == 3
    assert client.get(_detail(children[3])).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(minutes=61), tick=False):
        assert _break_glass(sign_in(social_worker), children[3]).status_code == 302


def test_an_opening_is_for_its_opener_only(
    sign_in: Callable[[User], Client], social_worker: User, team_manager: User, restricted: Child
) -> None:
    _break_glass(sign_in(social_worker), restricted)
    assert sign_in(team_manager).get(_detail(restricted)).status_code == 404


def test_the_opening_counts_in_lists_at_no_extra_cost_per_row(
    sign_in: Callable[[User], Client], social_worker: User, team: Team, police: Agency
) -> None:
    """granted_children is a subquery in the one scope query: the list costs the same with 1 opening or 5."""
    ChildFactory.create_batch(3, open_to_team=team)
    children = ChildFactory.create_batch(5, open_to_team=team, restricted_to_agency=police)
    client = sign_in(social_worker)
    url = reverse("people:child-list")

    def cost() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries.captured_queries), sum(child.last_name in response.content.decode() for child in children)

    _open(social_worker, children[0])
    one, shown_one = cost()
    for child in children[1:]:
        _open(social_worker, child)
    five, shown_five = cost()
    assert (shown_one, shown_five) == (1, 5)
    assert one == five


# ---------------------------------------------------------------------------------------------------------------
# Reviewing it


def test_the_owning_manager_reviews_once(
    sign_in: Callable[[User], Client], social_worker: User, detective_sergeant: User, restricted: Child
) -> None:
    opener = sign_in(social_worker)
    _break_glass(opener, restricted)
    opener.get(_detail(restricted))
    opening = BreakGlassAccess.objects.get()
    url = reverse("people:breakglass-review", args=[opening.public_id])
    client = sign_in(detective_sergeant)

    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert REASON in text
    assert "Westerholme" in text  # the DS sees the record anyway
    assert "Break-glass: " in text and "Viewed: record" in text  # what the opener looked at while it was open
    assert AccessLogEntry.objects.filter(
        user=detective_sergeant, child=restricted, what="emergency opening review"
    ).exists()

    done = client.post(url, {"outcome": BreakGlassOutcome.APPROPRIATE, "notes": "Missing child: right call."})
    assert done.status_code == 302
    opening.refresh_from_db()
    assert (opening.review_outcome, opening.reviewed_by, opening.review_notes) == (
        BreakGlassOutcome.APPROPRIATE,
        detective_sergeant,
        "Missing child: right call.",
    )
    assert opening.reviewed_at is not None
    assert not Notification.objects.filter(subject=NOT_APPROPRIATE_SUBJECT).exists()

    again = client.post(url, {"outcome": BreakGlassOutcome.NOT_APPROPRIATE, "notes": "Changed my mind."})
    assert again.status_code == 400
    assert "This emergency opening has already been reviewed" in again.content.decode()
    opening.refresh_from_db()
    assert opening.review_outcome == BreakGlassOutcome.APPROPRIATE

    listing = client.get(reverse("people:breakglass-review-list")).content.decode()
    assert "To review" not in listing and "Appropriate" in listing


def test_open_reviews_come_first(
    sign_in: Callable[[User], Client], social_worker: User, detective_sergeant: User, team: Team, police: Agency
) -> None:
    first, second = ChildFactory.create_batch(2, open_to_team=team, restricted_to_agency=police)
    older = _open(social_worker, first)
    newer = _open(social_worker, second)
    BreakGlassAccess.objects.filter(pk=newer.pk).update(
        reviewed_at=timezone.now(), reviewed_by=detective_sergeant, review_outcome=BreakGlassOutcome.APPROPRIATE
    )
    listing = sign_in(detective_sergeant).get(reverse("people:breakglass-review-list")).content.decode()
    assert listing.index(str(older.public_id)) < listing.index(str(newer.public_id))


def test_not_appropriate_needs_notes_and_tells_the_openers_manager(
    sign_in: Callable[[User], Client],
    social_worker: User,
    team_manager: User,
    detective_inspector: User,
    restricted: Child,
) -> None:
    _break_glass(sign_in(social_worker), restricted)
    opening = BreakGlassAccess.objects.get()
    url = reverse("people:breakglass-review", args=[opening.public_id])
    client = sign_in(detective_inspector)

    page = client.get(url).content.decode()
    assert "Westerholme" not in page  # the DI reviews without seeing the record
    assert str(restricted.public_id) in page
    assert not AccessLogEntry.objects.filter(user=detective_inspector).exists()

    for data, message in [
        ({"notes": "No outcome chosen"}, "Choose whether opening the record was appropriate"),
        ({"outcome": "maybe"}, "Choose whether opening the record was appropriate"),
        ({"outcome": BreakGlassOutcome.NOT_APPROPRIATE}, "Say why opening the record was not appropriate"),
    ]:
        refused = client.post(url, data)
        assert refused.status_code == 400
        assert message in refused.content.decode()
        opening.refresh_from_db()
        assert opening.reviewed_at is None

    Notification.objects.all().delete()
    done = client.post(url, {"outcome": BreakGlassOutcome.NOT_APPROPRIATE, "notes": "A grant was available in time."})
    assert done.status_code == 302
    told = Notification.objects.get(subject=NOT_APPROPRIATE_SUBJECT)
    assert told.user == team_manager
    assert "Westerholme" not in told.body


@pytest.mark.parametrize(
    ("label", "roles", "agency_name", "in_team"),
    [
        ("the opener", None, None, None),
        ("police practitioner in the team", [Role.PRACTITIONER], "police", True),
        ("referrer", [Role.REFERRER], "school", False),
        ("SPOC worker", [Role.SPOC_WORKER], "police", False),
        ("governance group", [Role.GOVERNANCE], "police", False),
        ("administrator", [Role.ADMINISTRATOR], "police", False),
        ("case-holding social worker", [Role.CASE_HOLDING_SOCIAL_WORKER], "social_care", False),
    ],
)
def test_only_managers_reach_the_reviews(
    request: pytest.FixtureRequest,
    sign_in: Callable[[User], Client],
    social_worker: User,
    restricted: Child,
    label: str,
    roles: list[Role] | None,
    agency_name: str | None,
    in_team: bool | None,
    team: Team,
) -> None:
    opening = _open(social_worker, restricted)
    user = (
        social_worker
        if roles is None
        else UserFactory.create(
            roles=roles, agency=request.getfixturevalue(agency_name or ""), team=team if in_team else None
        )
    )
    client = sign_in(user)
    url = reverse("people:breakglass-review", args=[opening.public_id])
    assert client.get(reverse("people:breakglass-review-list")).status_code == 403, label
    assert client.get(url).status_code == 403, label
    assert client.post(url, {"outcome": BreakGlassOutcome.APPROPRIATE}).status_code == 403, label
    opening.refresh_from_db()
    assert opening.reviewed_at is None


@pytest.mark.parametrize("who", ["team_manager", "other_team_ds", "health_manager"])
def test_managers_of_other_agencies_or_teams_see_none_of_them(
    request: pytest.FixtureRequest,
    sign_in: Callable[[User], Client],
    social_worker: User,
    restricted: Child,
    police: Agency,
    other_team: Team,
    make_user: Callable[..., User],
    who: str,
) -> None:
    opening = _open(social_worker, restricted)
    user = {
        "team_manager": lambda: request.getfixturevalue("team_manager"),
        "other_team_ds": lambda: UserFactory.create(roles=[Role.DETECTIVE_SERGEANT], agency=police, team=other_team),
        "health_manager": lambda: make_user(Role.SERVICE_MANAGER, username="clinical-manager"),
    }[who]()
    client = sign_in(user)
    listing = client.get(reverse("people:breakglass-review-list"))
    assert listing.status_code == 200
    assert str(opening.public_id) not in listing.content.decode()
    url = reverse("people:breakglass-review", args=[opening.public_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"outcome": BreakGlassOutcome.APPROPRIATE}).status_code == 404
    opening.refresh_from_db()
    assert opening.reviewed_at is None


# ---------------------------------------------------------------------------------------------------------------
# The record of an opening is evidence


def test_an_opening_cannot_be_changed_or_deleted_and_a_review_stands(
    social_worker: User, detective_sergeant: User, restricted: Child
) -> None:
    opening = _open(social_worker, restricted)
    for change in (
        lambda: BreakGlassAccess.objects.filter(pk=opening.pk).update(reason="Nothing to see"),
        lambda: BreakGlassAccess.objects.filter(pk=opening.pk).update(
            expires_at=opening.expires_at + timedelta(days=1)
        ),
        lambda: BreakGlassAccess.objects.filter(pk=opening.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            change()
    BreakGlassAccess.objects.filter(pk=opening.pk).update(
        reviewed_at=timezone.now(), reviewed_by=detective_sergeant, review_outcome=BreakGlassOutcome.APPROPRIATE
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        BreakGlassAccess.objects.filter(pk=opening.pk).update(review_outcome=BreakGlassOutcome.NOT_APPROPRIATE)
    opening.refresh_from_db()
    assert (opening.reason, opening.review_outcome) == (REASON, BreakGlassOutcome.APPROPRIATE)
