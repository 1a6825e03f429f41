"""Work on a child's Evolve case: allocations and the sight they give, the key individual, closing and re-opening,
two people changing the case at once, the child's own words, and caseloads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from evolve.access import gate
from evolve.access.models import InformationShare, LawfulBasis
from evolve.accounts.models import Agency, User
from evolve.cases.models import (
    AgencyCheck,
    Allocation,
    AllocationRole,
    Case,
    CaseStatusChange,
    ChildWords,
    DecisionKind,
)
from evolve.cases.selectors import case_page, caseloads, cases_for_user
from evolve.cases.services import (
    CaseConflict,
    CaseRefused,
    agency_check_answer,
    agency_checks_request_team,
    allocation_add,
    allocation_end,
    case_close,
    case_holder_set,
    case_reopen,
    case_review_date_set,
    child_words_add,
    key_individual_set,
)
from evolve.chronology.models import ChronologyEntry
from evolve.notifications.models import Notification
from evolve.people.selectors import child_list_for_user
from referrals.models import Referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(waiting: Referral, decide: Callable[[Referral, str], Case]) -> Case:
    return decide(waiting, DecisionKind.RISK_ASSESSMENT_MEETING)


def _fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def _sees_child(user: User, case: Case) -> bool:
    return child_list_for_user(user=user).filter(pk=case.child_id).exists()


def _kinds(case: Case) -> list[str]:
    return list(
        ChronologyEntry.objects.filter(child_id=case.child_id, kind__startswith="case.")
        .order_by("occurred_at", "id")
        .values_list("kind", flat=True)
    )


# Allocation --------------------------------------------------------------------------------------------------------


def test_allocating_someone_outside_the_team_gives_them_sight_of_the_child_on_the_ledger(
    crew: dict[str, User], case: Case
) -> None:
    worker = crew["other_case_holder"]
    assert not _sees_child(worker, case)

    allocation = allocation_add(
        case=case, by=crew["tm"], user=worker, role=AllocationRole.SOCIAL_WORK_LEAD, start_on=timezone.localdate()
    )

    assert allocation.is_current and allocation.created_by == crew["tm"]
    assert _sees_child(worker, case)
    assert gate.can_see(worker, case)
    (entry,) = InformationShare.objects.filter(child_id=case.child_id, to_user=worker)
    assert entry.source_type == "case" and entry.source_id == case.pk
    assert entry.lawful_basis == LawfulBasis.PUBLIC_TASK and entry.reason_without_consent
    assert entry.decided_by == crew["tm"]
    assert Notification.objects.filter(user=worker, subject="You have been allocated to a child's case").exists()
    assert "case.allocation" in _kinds(case)
    assert [a.user for a in case_page(user=crew["tm"], case=case).current_allocations] == [worker]


def test_the_same_person_cannot_be_allocated_twice_in_the_same_role(crew: dict[str, User], case: Case) -> None:
    worker = crew["other_case_holder"]
    today = timezone.localdate()
    allocation_add(case=case, by=crew["tm"], user=worker, role=AllocationRole.SOCIAL_WORK_LEAD, start_on=today)

    with pytest.raises(ValidationError) as refused:
        allocation_add(case=case, by=crew["ds"], user=worker, role=AllocationRole.SOCIAL_WORK_LEAD, start_on=today)

    assert set(refused.value.message_dict) == {"user"}
    assert Allocation.objects.filter(case=case, user=worker).count() == 1
    # A second role is a second allocation, but the ledger already records their sight of the child.
    allocation_add(case=case, by=crew["ds"], user=worker, role=AllocationRole.BARNARDOS_PRACTITIONER, start_on=today)
    assert Allocation.objects.filter(case=case, user=worker).count() == 2
    assert InformationShare.objects.filter(child_id=case.child_id, to_user=worker).count() == 1


def test_only_the_teams_manager_and_detective_sergeant_allocate(crew: dict[str, User], case: Case) -> None:
    for who in ("practitioner", "officer", "di", "case_holder", "other_team_member"):
        with pytest.raises(CaseRefused):
            allocation_add(
                case=case,
                by=crew[who],
                user=crew["other_case_holder"],
                role=AllocationRole.SOCIAL_WORK_LEAD,
                start_on=timezone.localdate(),
            )

    assert not Allocation.objects.exists()
    assert not _sees_child(crew["other_case_holder"], case)


def test_an_allocation_cannot_end_before_it_started_and_ending_it_ends_sight(crew: dict[str, User], case: Case) -> None:
    worker = crew["other_case_holder"]
    today = timezone.localdate()
    allocation = allocation_add(
        case=case, by=crew["tm"], user=worker, role=AllocationRole.SOCIAL_WORK_LEAD, start_on=today - timedelta(10)
    )

    with pytest.raises(ValidationError) as refused:
        allocation_end(allocation=allocation, by=crew["tm"], end_on=today - timedelta(20))

    assert set(refused.value.message_dict) == {"end_on"}
    allocation.refresh_from_db()
    assert allocation.is_current and _sees_child(worker, case)

    allocation_end(allocation=allocation, by=crew["tm"], end_on=today)

    allocation.refresh_from_db()
    assert allocation.end_on == today
    assert not _sees_child(worker, case)
    assert [a.user for a in case_page(user=crew["tm"], case=case).past_allocations] == [worker]
    with pytest.raises(CaseRefused, match="already ended"):
        allocation_end(allocation=allocation, by=crew["tm"], end_on=today)


def test_an_allocation_cannot_start_in_the_future(crew: dict[str, User], case: Case) -> None:
    with pytest.raises(ValidationError) as refused:
        allocation_add(
            case=case,
            by=crew["tm"],
            user=crew["officer"],
            role=AllocationRole.POLICE_INVESTIGATION,
            start_on=timezone.localdate() + timedelta(1),
        )

    assert set(refused.value.message_dict) == {"start_on"}
    assert not Allocation.objects.exists()


def test_a_case_holder_replaced_by_another_no_longer_sees_the_child(crew: dict[str, User], case: Case) -> None:
    first, second = crew["case_holder"], crew["other_case_holder"]
    case = case_holder_set(case=case, by=crew["tm"], based_on_version=case.version, holder=first)
    assert _sees_child(first, case)

    case = case_holder_set(case=case, by=crew["ds"], based_on_version=case.version, holder=second)

    assert case.case_holder == second
    assert _sees_child(second, case) and not _sees_child(first, case)
    assert set(cases_for_user(user=first)) == set()
    assert set(cases_for_user(user=second)) == {case}


# The key individual ------------------------------------------------------------------------------------------------


def test_the_key_individual_can_be_someone_outside_the_team_without_an_account(
    crew: dict[str, User], case: Case
) -> None:
    done = key_individual_set(
        case=case, by=crew["tm"], based_on_version=case.version, name="Sam Okafor", organisation="Hilltop School"
    )

    assert _fresh(case).key_individual_label == "Sam Okafor, Hilltop School"
    assert _fresh(case).key_individual is None
    assert "case.key_individual" in _kinds(case)
    with pytest.raises(ValidationError) as refused:
        key_individual_set(case=case, by=crew["tm"], based_on_version=done.version, name="Sam Okafor")
    assert set(refused.value.message_dict) == {"organisation"}
    assert _fresh(case).key_individual_label == "Sam Okafor, Hilltop School"


def test_a_key_individual_with_an_account_sees_the_child_until_replaced(crew: dict[str, User], case: Case) -> None:
    worker = crew["other_case_holder"]

    done = key_individual_set(case=case, by=crew["ds"], based_on_version=case.version, user=worker)

    assert _fresh(case).key_individual == worker
    assert worker.display_name in _fresh(case).key_individual_label
    assert _sees_child(worker, case)
    assert InformationShare.objects.filter(child_id=case.child_id, to_user=worker).exists()

    key_individual_set(
        case=case, by=crew["ds"], based_on_version=done.version, name="Jo Patel", organisation="Barnardo's"
    )

    assert _fresh(case).key_individual is None
    assert not _sees_child(worker, case)


# Closing and re-opening ------------------------------------------------------------------------------------------


def test_closing_ends_current_allocations_and_reopening_keeps_the_history(crew: dict[str, User], case: Case) -> None:
    today = timezone.localdate()
    for who, role in (
        ("officer", AllocationRole.POLICE_INVESTIGATION),
        ("nurse", AllocationRole.CSE_NURSE),
        ("other_case_holder", AllocationRole.SOCIAL_WORK_LEAD),
    ):
        allocation_add(case=case, by=crew["tm"], user=crew[who], role=role, start_on=today)
    case = _fresh(case)

    closed = case_close(
        case=case, by=crew["tm"], based_on_version=case.version, reason="Risk reduced: engaging with the nurse."
    )

    assert not closed.is_open and closed.closure_reason == "Risk reduced: engaging with the nurse."
    assert closed.awaiting_ra_meeting_since is None
    assert list(Allocation.objects.filter(case=case).values_list("end_on", flat=True)) == [today] * 3
    assert not _sees_child(crew["other_case_holder"], case)
    assert case not in cases_for_user(user=crew["tm"])
    assert case in cases_for_user(user=crew["tm"], include_closed=True)
    with pytest.raises(CaseRefused, match="closed"):
        case_close(case=case, by=crew["tm"], based_on_version=closed.version, reason="Again.")
    with pytest.raises(CaseRefused, match="closed"):
        allocation_add(
            case=case, by=crew["tm"], user=crew["ds"], role=AllocationRole.POLICE_INVESTIGATION, start_on=today
        )

    reopened = case_reopen(
        case=case, by=crew["ds"], based_on_version=closed.version, reason="Missing again: new intelligence."
    )

    assert reopened.is_open and reopened.closure_reason == ""
    changes = list(CaseStatusChange.objects.filter(case=case).values_list("change", "reason", "by"))
    assert [(change, by) for change, _, by in changes] == [
        ("opened", crew["ds"].pk),
        ("closed", crew["tm"].pk),
        ("reopened", crew["ds"].pk),
    ]
    assert changes[1][1] == "Risk reduced: engaging with the nurse."
    assert changes[2][1] == "Missing again: new intelligence."
    kinds = _kinds(case)
    assert kinds.index("case.opened") < kinds.index("case.closed") < kinds.index("case.reopened")
    page = case_page(user=crew["tm"], case=_fresh(case))
    assert page.current_allocations == [] and len(page.past_allocations) == 3
    assert [change.change for change in page.status_changes] == ["opened", "closed", "reopened"]
    assert case in cases_for_user(user=crew["tm"])
    with pytest.raises(CaseRefused, match="already open"):
        case_reopen(case=case, by=crew["tm"], based_on_version=reopened.version, reason="Again.")


def test_closing_needs_a_reason(crew: dict[str, User], case: Case) -> None:
    with pytest.raises(ValidationError) as refused:
        case_close(case=case, by=crew["tm"], based_on_version=case.version, reason=" ")

    assert set(refused.value.message_dict) == {"reason"}
    assert _fresh(case).is_open
    assert not CaseStatusChange.objects.filter(change="closed").exists()


def test_a_change_based_on_an_old_version_of_the_case_is_refused_and_changes_nothing(
    crew: dict[str, User], case: Case
) -> None:
    seen = case.version
    next_review = timezone.localdate() + timedelta(days=28)
    case_review_date_set(case=case, by=crew["tm"], based_on_version=seen, next_review_on=next_review)
    entries = ChronologyEntry.objects.count()

    with pytest.raises(CaseConflict) as conflict:
        case_close(case=case, by=crew["ds"], based_on_version=seen, reason="Risk reduced.")
    with pytest.raises(CaseConflict):
        key_individual_set(case=case, by=crew["ds"], based_on_version=seen, name="Jo Patel", organisation="NHS")
    with pytest.raises(CaseConflict):
        case_holder_set(case=case, by=crew["ds"], based_on_version=seen, holder=crew["case_holder"])

    assert conflict.value.current.next_review_on == next_review
    current = _fresh(case)
    assert current.is_open and current.closure_reason == ""
    assert current.key_individual_label == "" and current.case_holder is None
    assert current.version == conflict.value.current.version
    assert not CaseStatusChange.objects.filter(change="closed").exists()
    assert ChronologyEntry.objects.count() == entries
    assert not gate.can_see(crew["case_holder"], case)


def test_the_next_review_cannot_be_in_the_past(crew: dict[str, User], case: Case) -> None:
    with pytest.raises(ValidationError) as refused:
        case_review_date_set(
            case=case,
            by=crew["tm"],
            based_on_version=case.version,
            next_review_on=timezone.localdate() - timedelta(days=1),
        )

    assert set(refused.value.message_dict) == {"next_review_on"}
    assert _fresh(case).next_review_on is None and _fresh(case).version == case.version


# The child's words -------------------------------------------------------------------------------------------------


def test_the_childs_words_cannot_be_dated_in_the_future(crew: dict[str, User], case: Case) -> None:
    with pytest.raises(ValidationError) as refused:
        child_words_add(
            case=case,
            by=crew["practitioner"],
            kind=ChildWords.Kind.WISHES,
            words="I want to go back to my old school.",
            said_on=timezone.localdate() + timedelta(days=1),
        )

    assert set(refused.value.message_dict) == {"said_on"}
    assert not ChildWords.objects.exists()

    child_words_add(
        case=case,
        by=crew["practitioner"],
        kind=ChildWords.Kind.WISHES,
        words="I want to go back to my old school.",
        said_on=timezone.localdate(),
        context="At home, to her social worker",
    )

    (words,) = case_page(user=crew["officer"], case=case).child_words
    assert words.words == "I want to go back to my old school." and words.kind == ChildWords.Kind.WISHES
    assert "case.child_words" in _kinds(case)


def test_only_the_team_and_the_case_holder_write_the_childs_words(crew: dict[str, User], case: Case) -> None:
    for who in ("case_holder", "other_team_member", "di"):
        with pytest.raises(CaseRefused):
            child_words_add(case=case, by=crew[who], kind="words", words="He said.", said_on=timezone.localdate())
    case = case_holder_set(case=case, by=crew["tm"], based_on_version=case.version, holder=crew["case_holder"])

    child_words_add(case=case, by=crew["case_holder"], kind="words", words="He said.", said_on=timezone.localdate())

    assert ChildWords.objects.filter(case=case, recorded_by=crew["case_holder"]).count() == 1


# Caseloads -----------------------------------------------------------------------------------------------------------


@pytest.fixture
def busy_team(
    crew: dict[str, User],
    waiting: Referral,
    at_stage: Callable[[str], Referral],
    decide: Callable[[Referral, str], Case],
    soon: Callable[[int], datetime],
) -> tuple[Case, Case]:
    """Two open cases and one closed; case one's review is overdue; the officer's agency check is overdue, and so
    was the nurse's, which she has answered."""
    checks = {c.owner.username: c for c in agency_checks_request_team(referral=waiting, by=crew["tm"], due_at=soon(24))}
    AgencyCheck.objects.filter(pk__in=[checks["officer"].pk, checks["nurse"].pk]).update(
        due_at=timezone.now() - timedelta(hours=2)
    )
    agency_check_answer(check=checks["nurse"], by=crew["nurse"], holds_information=False, answer="")
    one = decide(waiting, DecisionKind.RISK_ASSESSMENT_MEETING)
    two = decide(at_stage("co_allocated"), DecisionKind.URGENT_CIN)
    closed = decide(at_stage("co_allocated"), DecisionKind.RISK_ASSESSMENT_MEETING)
    today = timezone.localdate()
    for case, who, role in (
        (one, "officer", AllocationRole.POLICE_INVESTIGATION),
        (one, "nurse", AllocationRole.CSE_NURSE),
        (one, "practitioner", AllocationRole.SOCIAL_WORK_LEAD),
        (two, "officer", AllocationRole.POLICE_INVESTIGATION),
        (two, "practitioner", AllocationRole.SOCIAL_WORK_LEAD),
        (closed, "officer", AllocationRole.POLICE_INVESTIGATION),
        (closed, "nurse", AllocationRole.CSE_NURSE),
    ):
        allocation_add(case=case, by=crew["tm"], user=crew[who], role=role, start_on=today)
    ended = allocation_add(case=two, by=crew["tm"], user=crew["nurse"], role=AllocationRole.CSE_NURSE, start_on=today)
    allocation_end(allocation=ended, by=crew["tm"], end_on=today)
    closed = _fresh(closed)
    case_close(case=closed, by=crew["tm"], based_on_version=closed.version, reason="Risk reduced.")
    one = _fresh(one)
    case_holder_set(case=one, by=crew["tm"], based_on_version=one.version, holder=crew["case_holder"])
    Case.objects.filter(pk=one.pk).update(next_review_on=today - timedelta(days=3))
    Case.objects.filter(pk=two.pk).update(next_review_on=today + timedelta(days=3))
    return one, two


def test_caseloads_per_worker_count_open_cases_roles_and_what_is_overdue(
    crew: dict[str, User], busy_team: tuple[Case, Case]
) -> None:
    workers, _ = caseloads(user=crew["tm"])

    loads = {
        load.user.username: (
            load.open_cases,
            dict(load.roles),
            load.overdue_reviews,
            load.overdue_checks,
            load.cases_held,
        )
        for load in workers
    }
    assert loads == {
        "officer": (2, {"police_investigation": 2}, 1, 1, 0),
        "nurse": (1, {"cse_nurse": 1}, 1, 0, 0),
        "practitioner": (2, {"social_work_lead": 2}, 1, 0, 0),
        "case-holder": (0, {}, 0, 0, 1),
    }


def test_caseloads_per_agency_count_each_case_once(
    crew: dict[str, User], busy_team: tuple[Case, Case], police: Agency, health: Agency, social_care: Agency
) -> None:
    _, agencies = caseloads(user=crew["ds"])

    totals = {
        load.agency: (load.workers, load.open_cases, load.overdue_reviews, load.overdue_checks) for load in agencies
    }
    assert totals == {
        police: (1, 2, 1, 1),
        health: (1, 1, 1, 0),
        social_care: (2, 2, 1, 0),
    }


def test_a_service_manager_outside_the_team_sees_their_own_agencys_caseloads(
    crew: dict[str, User], busy_team: tuple[Case, Case], police: Agency
) -> None:
    workers, agencies = caseloads(user=crew["di"])

    assert [(w.user.username, w.open_cases, w.overdue_reviews, w.overdue_checks) for w in workers] == [
        ("officer", 2, 1, 1)
    ]
    assert [(a.agency, a.open_cases) for a in agencies] == [(police, 2)]


def test_a_review_put_back_in_the_future_is_no_longer_overdue(
    crew: dict[str, User], busy_team: tuple[Case, Case]
) -> None:
    one, _ = busy_team

    case_review_date_set(
        case=one, by=crew["tm"], based_on_version=_fresh(one).version, next_review_on=timezone.localdate()
    )

    workers, agencies = caseloads(user=crew["tm"])
    assert all(load.overdue_reviews == 0 for load in workers)
    assert all(load.overdue_reviews == 0 for load in agencies)
    assert not case_page(user=crew["tm"], case=_fresh(one)).review_overdue


def test_only_team_members_and_case_holders_can_be_allocated(
    crew: dict[str, User], waiting: Referral, decide: Callable[..., Case]
) -> None:
    case = decide(waiting)
    for who in ("teacher", "governance", "other_team_member", "spoc"):
        with pytest.raises(ValidationError):
            allocation_add(
                case=case, by=crew["tm"], user=crew[who], role="social_work_lead", start_on=timezone.localdate()
            )
    assert not case.allocations.exists()


def test_no_note_or_childs_words_on_a_closed_case(
    crew: dict[str, User], waiting: Referral, decide: Callable[..., Case]
) -> None:
    from evolve.cases.services import CaseRefused, case_close, case_note_add, child_words_add

    case = decide(waiting)
    case_close(case=case, by=crew["tm"], based_on_version=case.version, reason="Risk reduced")
    with pytest.raises(CaseRefused):
        case_note_add(case=case, by=crew["practitioner"], text="Late note")
    with pytest.raises(CaseRefused):
        child_words_add(case=case, by=crew["practitioner"], kind="words", words="Hi", said_on=timezone.localdate())
    assert not case.notes.exists()


def test_ending_an_allocation_keeps_a_grant_a_manager_made_for_another_reason(
    crew: dict[str, User], waiting: Referral, decide: Callable[..., Case]
) -> None:
    from evolve.access import gate
    from evolve.people.services import child_access_grant

    case = decide(waiting)
    child_access_grant(child=case.child, to=crew["other_case_holder"], by=crew["tm"], reason="Sibling's social worker")
    allocation = allocation_add(
        case=case, by=crew["tm"], user=crew["other_case_holder"], role="social_work_lead", start_on=timezone.localdate()
    )
    allocation_end(allocation=allocation, by=crew["tm"], end_on=timezone.localdate())
    assert gate.can_see(crew["other_case_holder"], case.child)
