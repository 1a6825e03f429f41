"""Retention (issue 8): the rules per record type put children whose records have reached the end of their period on
a review list, once per child and rule however often the nightly task runs; nothing is deleted without a recorded
decision, and decisions keep their history; a legal hold keeps a child off the list and refuses a decision."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dataprotection.dates import add_years
from dataprotection.models import LegalHold, RetentionDecision, RetentionReview, ReviewStatus
from dataprotection.retention import RULES
from dataprotection.services import (
    DataProtectionRefused,
    legal_hold_lift,
    legal_hold_place,
    retention_decision_record,
    retention_reviews_build,
)
from dataprotection.tasks import retention_review_task
from evolve.accounts.models import Agency, Team, User
from evolve.audit.models import AccessAction, AccessLogEntry
from evolve.cases.models import Case, CaseNote
from evolve.chronology.models import ChronologyEntry
from evolve.people.models import Child
from mapping.models import Confidence, Entity, EntityKind, Link, LinkKind
from referrals.models import Referral
from referrals.states import State
from tests.dataprotection.conftest import born
from tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]


def years_ago(years: int, days: int = 0) -> datetime:
    return timezone.now() - timedelta(days=365 * years + years // 4 + days)


@dataclass
class Children:
    old_with_case: Child  # 75th birthday passed, with an Evolve case: children's social care records
    young_with_case: Child
    old_without_case: Child  # nothing under the 75-year rule: no case
    no_further_action: Child  # referred seven years ago, no case
    referred_recently: Child
    health: Child  # a clinical note nine years ago, 25th birthday passed
    intelligence: Child  # police linked them seven years ago
    estimated: Child  # no date of birth; estimated 10 years old 70 years ago
    held: Child  # 75th birthday passed, with a case, under a legal hold


@pytest.fixture
def children(crew: dict[str, User], team: Team, police: Agency, health: Agency) -> Children:
    tm = crew["tm"]

    def child(first: str, last: str, birth: date | None, case: bool = False, **more: object) -> Child:
        made = ChildFactory.create(
            first_name=first, last_name=last, date_of_birth=birth, open_to_team=team, created_by=tm, **more
        )
        if case:
            Case.objects.create(child=made, team=team, opened_at=years_ago(10), opened_by=tm)
        return made

    def referral(about: Child, changed: datetime) -> None:
        made = Referral.objects.create(child=about, referrer=crew["teacher"], state=State.CLOSED, concern="Worried")
        Referral.objects.filter(pk=made.pk).update(updated_at=changed)

    found = Children(
        old_with_case=child("Olive", "Oldcase", born(80), case=True),
        young_with_case=child("Yasmin", "Young", date(2012, 3, 4), case=True),
        old_without_case=child("Norah", "Nocase", born(80)),
        no_further_action=child("Nina", "Referred", date(2005, 2, 1)),
        referred_recently=child("Rita", "Recent", date(2008, 2, 1)),
        health=child("Hannah", "Health", born(30), case=True),
        intelligence=child("Ivy", "Intel", date(2004, 2, 1)),
        estimated=child(
            "Esme", "Estimate", None, case=True, estimated_age=10, age_estimated_on=add_years(timezone.localdate(), -70)
        ),
        held=child("Hazel", "Held", born(80), case=True),
    )
    referral(found.no_further_action, years_ago(7))
    referral(found.referred_recently, years_ago(2))
    note = CaseNote.objects.create(
        case=Case.objects.get(child=found.health),
        author=crew["nurse"],
        agency=health,
        text="Clinical note",
        restricted_to_agency=health,
    )
    CaseNote.objects.filter(pk=note.pk).update(written_at=years_ago(9))
    node = Entity.objects.create(kind=EntityKind.CHILD, team=team, child=found.intelligence, created_by=tm)
    man = Entity.objects.create(kind=EntityKind.PERSON, team=team, label="Dean Sample", created_by=tm)
    link = Link.objects.create(
        team=team,
        a=node,
        b=man,
        kind=LinkKind.EXPLOITED_BY,
        source_agency=police,
        confidence=Confidence.PROBABLE,
        evidence="Seen together",
        created_by=crew["officer"],
        updated_by=crew["officer"],
    )
    Link.objects.filter(pk=link.pk).update(updated_at=years_ago(7))
    legal_hold_place(child=found.held, by=tm, inquiry="Independent inquiry", reason="The inquiry asked for the files")
    return found


def _reviews() -> set[tuple[int, str]]:
    return set(RetentionReview.objects.filter(status=ReviewStatus.OPEN).values_list("child_id", "rule"))


def test_the_task_run_twice_puts_each_due_child_and_rule_on_the_list_once(children: Children) -> None:
    expected = {
        (children.old_with_case.pk, "social_care_case"),
        (children.estimated.pk, "social_care_case"),
        (children.no_further_action.pk, "referral_no_further_action"),
        (children.health.pk, "health_clinical_notes"),
        (children.intelligence.pk, "police_intelligence"),
    }
    assert retention_review_task() == len(expected)
    assert _reviews() == expected
    assert retention_review_task() == 0
    assert RetentionReview.objects.count() == len(expected)
    old = RetentionReview.objects.get(child=children.old_with_case)
    assert old.due_on == add_years(children.old_with_case.date_of_birth, 75)  # type: ignore[arg-type]
    health = RetentionReview.objects.get(child=children.health)
    # The later of the 25th birthday and eight years after the last clinical note.
    assert health.due_on == add_years(timezone.localdate(timezone.localtime(years_ago(9))), 8)
    assert set(RULES) == {rule for _, rule in expected}


def test_a_child_under_a_legal_hold_gets_no_review_and_a_decision_on_them_is_refused(
    children: Children, crew: dict[str, User], sign_in: SignIn
) -> None:
    retention_reviews_build()
    assert not RetentionReview.objects.filter(child=children.held).exists()
    # A review made before a hold: the hold takes the child off the list and refuses any decision.
    retention_reviews_build()
    review = RetentionReview.objects.get(child=children.old_with_case)
    hold = legal_hold_place(
        child=children.old_with_case, by=crew["ds"], inquiry="Operation Example", reason="Needed by the inquiry"
    )
    client = sign_in(crew["tm"])
    listed = client.get(reverse("dataprotection:retention-list")).content.decode()
    assert "Oldcase" not in listed and "Hazel" not in listed and "Estimate" in listed
    with pytest.raises(DataProtectionRefused, match="legal hold for Operation Example"):
        retention_decision_record(review=review, by=crew["tm"], outcome="destroy", reason="Period over")
    url = reverse("dataprotection:retention-review", args=[review.public_id])
    page = client.get(url).content.decode()
    assert "under a legal hold for Operation Example" in page and "Record the decision" not in page
    response = client.post(url, {"outcome": "destroy", "reason": "Period over"})
    assert response.status_code == 409
    assert "No retention decision can be recorded until the hold is lifted" in response.content.decode()
    assert not RetentionDecision.objects.exists()
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    # Lifted, the child is back on the list and the decision can be made.
    legal_hold_lift(hold=hold, by=crew["tm"], reason="The inquiry has reported")
    assert "Oldcase" in client.get(reverse("dataprotection:retention-list")).content.decode()
    assert client.post(url, {"outcome": "destroy", "reason": "Period over"}).status_code == 302
    assert LegalHold.objects.get(pk=hold.pk).lift_reason == "The inquiry has reported"


def test_decisions_are_recorded_with_who_and_when_and_keep_their_history(
    children: Children, crew: dict[str, User], sign_in: SignIn
) -> None:
    retention_reviews_build()
    review = RetentionReview.objects.get(child=children.old_with_case)
    client = sign_in(crew["tm"])
    url = reverse("dataprotection:retention-review", args=[review.public_id])
    response = client.post(url, {"outcome": "retain", "retain_years": "5", "reason": "Civil claim expected"})
    assert response.status_code == 302
    first = RetentionDecision.objects.get()
    today = timezone.localdate()
    assert (first.outcome, first.retain_years, first.retain_until) == ("retain", 5, add_years(today, 5))
    assert first.decided_by == crew["tm"] and first.decided_at is not None
    review.refresh_from_db()
    assert review.status == ReviewStatus.DECIDED
    assert ChronologyEntry.objects.filter(
        child=children.old_with_case, kind="retention_decision", source_id=first.pk
    ).exists()
    assert AccessLogEntry.objects.filter(
        child=children.old_with_case, action=AccessAction.UPDATED, what=f"retention decision {first.pk}"
    ).exists()
    # Decided once: the same review takes no second decision, and the task leaves the child alone while retained.
    assert client.post(url, {"outcome": "destroy", "reason": "Changed my mind"}).status_code == 409
    retention_reviews_build()
    assert not RetentionReview.objects.filter(child=children.old_with_case, status=ReviewStatus.OPEN).exists()
    # Six years on, the records come back for review, due when the retention ran out.
    later = add_years(today, 6)
    retention_reviews_build(today=later)
    again = RetentionReview.objects.get(child=children.old_with_case, status=ReviewStatus.OPEN)
    assert again.due_on == first.retain_until
    retention_decision_record(review=again, by=crew["ds"], outcome="destroy", reason="No reason to keep them")
    page = client.get(reverse("dataprotection:retention-review", args=[again.public_id])).content.decode()
    assert "Civil claim expected" in page and "No reason to keep them" in page
    assert list(RetentionDecision.objects.order_by("decided_at").values_list("outcome", flat=True)) == [
        "retain",
        "destroy",
    ]
    # A decision to destroy stands: the child is not brought back; nothing about the child was deleted.
    retention_reviews_build(today=add_years(today, 20))
    assert not RetentionReview.objects.filter(child=children.old_with_case, status=ReviewStatus.OPEN).exists()
    assert Child.objects.filter(pk=children.old_with_case.pk).exists()
    # A recorded decision is never changed or removed, whoever asks.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        RetentionDecision.objects.filter(pk=first.pk).update(reason="Rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        RetentionDecision.objects.filter(pk=first.pk).delete()


def test_bad_input_is_refused_with_a_message_and_nothing_changes(
    children: Children, crew: dict[str, User], sign_in: SignIn
) -> None:
    retention_reviews_build()
    review = RetentionReview.objects.get(child=children.old_with_case)
    client = sign_in(crew["tm"])
    url = reverse("dataprotection:retention-review", args=[review.public_id])
    for posted, message in (
        ({"reason": "x"}, "Select whether to retain or destroy the records"),
        ({"outcome": "retain", "reason": "x"}, "Enter how many more years to retain the records"),
        ({"outcome": "retain", "retain_years": "500", "reason": "x"}, "Enter a number of years from 1 to 50"),
        ({"outcome": "retain", "retain_years": "five", "reason": "x"}, "Enter the number of years as a whole number"),
        ({"outcome": "destroy", "reason": "  "}, "Give the reason for the decision"),
        ({"outcome": "shred", "reason": "x"}, "Select a valid choice"),
    ):
        response = client.post(url, posted)
        assert response.status_code == 400, posted
        assert message in response.content.decode(), posted
    holds = reverse("dataprotection:child-holds", args=[children.old_with_case.public_id])
    response = client.post(holds, {"inquiry": "", "reason": ""})
    assert response.status_code == 400
    assert "Enter the inquiry, review or proceedings that need the records" in response.content.decode()
    assert not RetentionDecision.objects.exists()
    assert not LegalHold.objects.filter(child=children.old_with_case).exists()


def test_a_review_whose_rule_no_longer_applies_is_withdrawn_not_deleted(children: Children) -> None:
    retention_reviews_build()
    review = RetentionReview.objects.get(child=children.old_with_case)
    Child.objects.filter(pk=children.old_with_case.pk).update(date_of_birth=date(2010, 1, 1))  # a corrected date
    run = retention_reviews_build()
    review.refresh_from_db()
    assert run.withdrawn == 1 and review.status == ReviewStatus.WITHDRAWN and review.withdrawn_reason


def test_a_hold_is_placed_and_lifted_on_the_pages_with_its_history(
    children: Children, crew: dict[str, User], sign_in: SignIn
) -> None:
    client = sign_in(crew["head_of_service"])
    url = reverse("dataprotection:child-holds", args=[children.young_with_case.public_id])
    assert client.get(url).status_code == 404  # the head of service cannot see this child
    client = sign_in(crew["tm"])
    response = client.post(url, {"inquiry": "Serious case review", "reason": "The review panel needs the file"})
    assert response.status_code == 302
    hold = LegalHold.objects.get(child=children.young_with_case)
    assert (hold.placed_by, hold.lifted_at) == (crew["tm"], None)
    listed = client.get(reverse("dataprotection:hold-list")).content.decode()
    assert "Young" in listed and "Serious case review" in listed
    lift = reverse("dataprotection:hold-lift", args=[hold.public_id])
    assert client.post(lift, {"reason": ""}).status_code == 400
    assert client.post(lift, {"reason": "The review has been published"}).status_code == 302
    hold.refresh_from_db()
    assert hold.lifted_by == crew["tm"] and hold.lift_reason == "The review has been published"
    assert client.post(lift, {"reason": "Again"}).status_code == 409
    page = client.get(url).content.decode()
    assert "Lifted" in page and "Serious case review" in page
    kinds = ChronologyEntry.objects.filter(child=children.young_with_case, kind="legal_hold").values_list(
        "summary", flat=True
    )
    assert sorted(kinds) == [
        "Legal hold lifted: Serious case review",
        "Legal hold placed on the records: Serious case review",
    ]


# Who may use the retention pages: managers; for one child's review or holds, only managers who can see the child.
LIST_ALLOWED = ("tm", "ds", "head_of_service", "di", "csm", "other_team_manager")
REFUSED = (
    "practitioner",
    "nurse",
    "officer",
    "spoc",
    "triage",
    "triage_manager",
    "mash",
    "teacher",
    "case_holder",
    "governance",
    "administrator",
)
CANNOT_SEE_CHILD = ("head_of_service", "di", "csm", "other_team_manager")


def test_who_may_use_the_retention_and_hold_pages(
    children: Children, everyone: dict[str, User], sign_in: SignIn
) -> None:
    retention_reviews_build()
    review = RetentionReview.objects.get(child=children.old_with_case)
    hold = LegalHold.objects.get(child=children.held)
    child_pages = [
        reverse("dataprotection:retention-review", args=[review.public_id]),
        reverse("dataprotection:child-holds", args=[children.old_with_case.public_id]),
        reverse("dataprotection:hold-lift", args=[hold.public_id]),
    ]
    lists = [reverse("dataprotection:retention-list"), reverse("dataprotection:hold-list")]
    for who in LIST_ALLOWED + REFUSED:
        client = sign_in(everyone[who])
        for url in lists:
            response = client.get(url)
            assert response.status_code == (200 if who in LIST_ALLOWED else 403), (who, url)
            if who in CANNOT_SEE_CHILD:
                assert "Oldcase" not in response.content.decode() and "Hazel" not in response.content.decode()
        for url in child_pages:
            expected = 200 if who in ("tm", "ds") else 404 if who in CANNOT_SEE_CHILD else 403
            assert client.get(url).status_code == expected, (who, url)
            posted = {"outcome": "destroy", "reason": "x", "inquiry": "x"}
            assert client.post(url, posted).status_code in ((302, 409) if expected == 200 else (expected,)), (who, url)
    assert not RetentionDecision.objects.exclude(decided_by__username__in=["tm", "ds"]).exists()
    assert LegalHold.objects.filter(lifted_at__isnull=True).exclude(placed_by__username__in=["tm", "ds"]).count() == 0


def test_the_review_list_costs_the_same_queries_however_long_it_is(
    crew: dict[str, User], team: Team, sign_in: SignIn
) -> None:
    client = sign_in(crew["tm"])

    def queries_for(reviews: int) -> int:
        RetentionReview.objects.all().delete()
        for _ in range(reviews):
            child = ChildFactory.create(date_of_birth=born(80), open_to_team=team, created_by=crew["tm"])
            RetentionReview.objects.create(child=child, rule="social_care_case", due_on=born(5))
        client.get(reverse("dataprotection:retention-list"))  # warm the session and the caches
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("dataprotection:retention-list"))
        assert response.status_code == 200
        assert f"{reviews} review{'s' if reviews != 1 else ''} waiting" in response.content.decode()
        return len(captured)

    assert queries_for(2) == queries_for(7)
