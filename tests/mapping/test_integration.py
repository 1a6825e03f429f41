"""Mapping joined to the rest of Evolve (issue 6): the Mapping item in the navigation, the child's page one click from
"children linked through a common person or place", and the missing flag (three episodes in 90 days) on the case
page, the daily review queue and the case list, at a cost that does not grow with the flagged rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evolve.access.grants import child_access_grant
from evolve.accounts.models import User
from evolve.cases.models import Case, DecisionKind
from evolve.cases.selectors import daily_review_queue
from evolve.cases.services import decision_view_record
from evolve.people.models import Child
from mapping.models import Link, LinkKind, PersonOfConcern
from mapping.selectors import missing_flagged_child_ids_subquery
from mapping.services import EpisodeInput, missing_episode_record
from referrals.models import Referral
from tests.referrals.conftest import at_stage, people

__all__ = ["at_stage", "people"]  # the referral tests' fixtures: a referral brought to the daily review

pytestmark = pytest.mark.django_db

FLAG = 'data-testid="missing-flag"'


def _go_missing(child: Child, by: User, *days_ago: int) -> None:
    """One missing episode for each number of days ago, found a few hours later."""
    for days in days_ago:
        started = timezone.now() - timedelta(days=days, hours=1)
        missing_episode_record(
            child=child,
            by=by,
            given=EpisodeInput(started_at=started, ended_at=started + timedelta(minutes=50), where_found="In town"),
        )


# The navigation and the child's page --------------------------------------------------------------------------------


def test_team_members_have_mapping_in_the_navigation_and_others_do_not(
    social_worker: User, nurse: User, case_holder: User, outsider: User, sign_in: Callable[[User], Client]
) -> None:
    for member in (social_worker, nurse):
        page = sign_in(member).get(reverse("ui:home")).content.decode()
        assert f'href="{reverse("mapping:record-list")}"' in page
    for other in (case_holder, outsider):
        page = sign_in(other).get(reverse("ui:home")).content.decode()
        assert reverse("mapping:record-list") not in page


def test_the_child_page_is_one_click_from_the_children_linked_through_a_common_person(
    open_child: Callable[..., Child],
    person: Callable[..., PersonOfConcern],
    link: Callable[..., Link],
    police_officer: User,
    social_worker: User,
    sign_in: Callable[[User], Client],
) -> None:
    first, second, _ = open_child("Ava", "Example"), open_child("Bella", "Sample"), open_child("Cora", "Unlinked")
    suspect = person(police_officer)
    link(police_officer, first, suspect, LinkKind.ASSOCIATES_WITH)
    link(police_officer, second, suspect, LinkKind.EXPLOITED_BY)
    client = sign_in(social_worker)
    page = client.get(reverse("people:child-detail", args=[first.public_id])).content.decode()
    linked_url = reverse("mapping:linked-children", args=[first.public_id])
    assert f'href="{linked_url}"' in page
    assert f'href="{reverse("mapping:child-mapping", args=[first.public_id])}"' in page
    assert f'href="{reverse("mapping:child-network", args=[first.public_id])}"' in page
    # The one click, and what it finds: the other child, through the person of concern.
    response = client.get(linked_url)
    assert response.status_code == 200
    found = response.content.decode()
    assert "Bella Sample" in found and "Cora Unlinked" not in found


def test_the_mapping_links_are_not_offered_to_a_case_holder_outside_the_team(
    open_child: Callable[..., Child], case_holder: User, sign_in: Callable[[User], Client]
) -> None:
    child = open_child()
    child_access_grant(child=child, user=case_holder)
    client = sign_in(case_holder)
    response = client.get(reverse("people:child-detail", args=[child.public_id]))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("mapping:linked-children", args=[child.public_id]) not in page
    assert 'data-testid="child-mapping-links"' not in page
    # And the page behind the link refuses them.
    assert client.get(reverse("mapping:linked-children", args=[child.public_id])).status_code == 403


# The missing flag ----------------------------------------------------------------------------------------------------


def _case(referral: Referral, people: dict[str, User]) -> Case:
    kind = DecisionKind.RISK_ASSESSMENT_MEETING
    decision_view_record(referral=referral, by=people["tm"], kind=kind, rationale="Agreed at review.")
    outcome = decision_view_record(referral=referral, by=people["ds"], kind=kind, rationale="Police agree.")
    assert outcome.decision is not None and outcome.decision.case is not None
    return outcome.decision.case


def test_the_case_page_warns_when_the_child_went_missing_three_times_in_90_days(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    often, twice = _case(at_stage("co_allocated"), people), _case(at_stage("co_allocated"), people)
    _go_missing(often.child, people["practitioner"], 80, 40, 2)
    _go_missing(twice.child, people["practitioner"], 100, 40, 2)  # the first is outside the 90 days
    client = sign_in(people["tm"])
    flagged = client.get(reverse("cases:case-detail", args=[often.public_id])).content.decode()
    assert 'data-testid="missing-warning"' in flagged
    assert "Missing 3 times in the last 90 days" in flagged
    assert f'href="{reverse("mapping:child-mapping", args=[often.child.public_id])}"' in flagged
    not_flagged = client.get(reverse("cases:case-detail", args=[twice.public_id])).content.decode()
    assert 'data-testid="missing-warning"' not in not_flagged
    assert "2 in the last 90 days" in not_flagged
    # The case list carries the same flag, on the one row.
    listed = client.get(reverse("cases:case-list")).content.decode()
    assert listed.count(FLAG) == 1


def test_the_case_holder_sees_the_flag_but_is_not_sent_to_the_team_mapping(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    from evolve.cases.services import case_holder_set

    case = _case(at_stage("co_allocated"), people)
    version = Case.objects.get(pk=case.pk).version
    case_holder_set(case=case, by=people["tm"], based_on_version=version, holder=people["case_holder"])
    _go_missing(case.child, people["practitioner"], 60, 30, 1)
    page = sign_in(people["case_holder"]).get(reverse("cases:case-detail", args=[case.public_id])).content.decode()
    assert "Missing 3 times in the last 90 days" in page
    assert reverse("mapping:child-mapping", args=[case.child.public_id]) not in page


def test_the_daily_review_flags_the_row_of_a_child_missing_three_times_and_lists_the_open_cases(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    flagged_waiting, twice_waiting = at_stage("co_allocated"), at_stage("co_allocated")
    assert flagged_waiting.child is not None and twice_waiting.child is not None
    _go_missing(flagged_waiting.child, people["practitioner"], 10, 20, 30)
    _go_missing(twice_waiting.child, people["practitioner"], 10, 20)
    often_case = _case(at_stage("co_allocated"), people)
    _go_missing(often_case.child, people["practitioner"], 5, 15, 25, 35)
    quiet_case = _case(at_stage("co_allocated"), people)
    _go_missing(quiet_case.child, people["practitioner"], 5)

    queue = daily_review_queue(user=people["tm"])
    rows = {row.referral.pk: row for row in queue.waiting}
    flag = rows[flagged_waiting.pk].holds.missing
    assert flag is not None and flag.episodes == 3 and flag.days == 90
    assert rows[twice_waiting.pk].holds.missing is None
    assert [(row.case, row.missing and row.missing.episodes) for row in queue.missing_often] == [(often_case, 4)]

    page = sign_in(people["tm"]).get(reverse("cases:review-queue")).content.decode()
    waiting_table = page.split('data-testid="review-queue"')[1].split("</table>")[0]
    assert waiting_table.count(FLAG) == 1 and "Missing 3 times in the last 90 days" in waiting_table
    missing_table = page.split('data-testid="missing-often"')[1].split("</table>")[0]
    assert reverse("cases:case-detail", args=[often_case.public_id]) in missing_table
    assert reverse("cases:case-detail", args=[quiet_case.public_id]) not in missing_table
    assert "Missing 4 times in the last 90 days" in missing_table
    # The referral's own page says it too.
    detail = sign_in(people["tm"]).get(reverse("cases:review-detail", args=[flagged_waiting.public_id]))
    assert "Missing 3 times in the last 90 days" in detail.content.decode()


def test_the_daily_review_says_when_no_child_goes_missing_often(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    at_stage("co_allocated")
    page = sign_in(people["tm"]).get(reverse("cases:review-queue")).content.decode()
    assert 'data-testid="missing-often-empty"' in page and FLAG not in page


def test_the_review_queue_api_carries_the_flag(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    waiting = at_stage("co_allocated")
    assert waiting.child is not None
    _go_missing(waiting.child, people["practitioner"], 3, 6, 9)
    case = _case(at_stage("co_allocated"), people)
    _go_missing(case.child, people["practitioner"], 3, 6, 9)
    queue = sign_in(people["tm"]).get(reverse("api-review-queue")).json()
    assert [row["missing_episodes"] for row in queue["waiting"]] == [3]
    assert [(row["case"], row["missing_episodes"]) for row in queue["missing_often"]] == [(str(case.public_id), 3)]


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_daily_review_costs_the_same_however_many_rows_are_flagged(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    def flagged_referral() -> Referral:
        referral = at_stage("co_allocated")
        assert referral.child is not None
        _go_missing(referral.child, people["practitioner"], 4, 8, 12)
        return referral

    flagged_referral()
    _go_missing(_case(flagged_referral(), people).child, people["practitioner"], 1)
    client = sign_in(people["tm"])
    url = reverse("cases:review-queue")
    few = _queries(client, url)
    for _ in range(3):
        flagged_referral()
    for _ in range(2):
        _case(flagged_referral(), people)
    assert len(daily_review_queue(user=people["tm"]).missing_often) == 3
    assert _queries(client, url) == few


def test_the_case_list_costs_the_same_however_many_children_are_flagged(
    at_stage: Callable[[str], Referral], people: dict[str, User], sign_in: Callable[[User], Client]
) -> None:
    _go_missing(_case(at_stage("co_allocated"), people).child, people["practitioner"], 1, 2, 3)
    client = sign_in(people["tm"])
    url = reverse("cases:case-list")
    few = _queries(client, url)
    for _ in range(3):
        _go_missing(_case(at_stage("co_allocated"), people).child, people["practitioner"], 1, 2, 3)
    assert _queries(client, url) == few


def test_the_flagged_children_subquery_counts_only_the_episodes_in_the_period(
    open_child: Callable[..., Child], social_worker: User
) -> None:
    """What the daily review's "children going missing often" filters on, in the same query as the cases."""
    often, twice, long_ago = open_child("Ava", "Often"), open_child("Bella", "Twice"), open_child("Cora", "Before")
    _go_missing(often, social_worker, 1, 45, 88)
    _go_missing(twice, social_worker, 1, 45)
    _go_missing(long_ago, social_worker, 1, 45, 92)
    flagged = Child.objects.filter(pk__in=missing_flagged_child_ids_subquery())
    assert list(flagged) == [often]
