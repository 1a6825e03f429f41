"""The Evolve daily review: agency checks, the team manager's and detective sergeant's decision, its consequences,
and what happens when they disagree (DESIGN.md, the referral pathway; seed 000, paragraphs 28-34)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from evolve.access.grants import child_access_grant
from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.cases.models import (
    AgencyCheck,
    Case,
    Decision,
    DecisionKind,
    DecisionView,
    Escalation,
)
from evolve.cases.selectors import (
    check_get_for_user,
    check_referral,
    checks_for_owner,
    children_awaiting_ra_meeting,
    daily_review_queue,
    escalations_for_user,
)
from evolve.cases.services import (
    CaseRefused,
    agency_check_answer,
    agency_check_request,
    agency_checks_request_team,
    case_holder_set,
    decision_escalate,
    decision_view_record,
    escalation_resolve,
    strategy_discussion_held,
)
from evolve.chronology.models import ChronologyEntry
from evolve.clock.models import Deadline, DeadlineKind
from evolve.notifications.models import Notification
from referrals.models import Referral
from referrals.services import referral_draft_create, referral_draft_save, referral_refer_to_evolve
from referrals.states import State
from tests.factories import ChildFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

ADVICE = "Please complete an Early Help Assessment with the family and talk to the school nurse."


def _notification_clock(referral: Referral) -> Deadline:
    return Deadline.objects.get(kind=DeadlineKind.NOTIFICATION, subject_type="referral", subject_id=referral.pk)


def _told(user: User, subject: str) -> int:
    return Notification.objects.filter(user=user, subject=subject).count()


def _state(referral: Referral) -> str:
    referral.refresh_from_db()
    return referral.state


def _disagree(referral: Referral, crew: dict[str, User]) -> None:
    decision_view_record(
        referral=referral, by=crew["tm"], kind=DecisionKind.URGENT_CIN, rationale="Missing from home twice."
    )
    decision_view_record(
        referral=referral,
        by=crew["ds"],
        kind=DecisionKind.STRATEGY_DISCUSSION,
        rationale="Intelligence of an older male: police need a strategy discussion now.",
    )


def _referred_by_case_holder(case_holder: User, team: Team) -> Referral:
    """A CSE Referral Form from the social worker who holds the child's case, straight to Evolve."""
    child = ChildFactory.create(first_name="Kayla", last_name="Brennan", date_of_birth=date(2010, 3, 9))
    child_access_grant(child=child, user=case_holder)
    referral = referral_draft_create(by=case_holder, form=Referral.Form.CSE_REFERRAL_FORM, child=child)
    referral = referral_draft_save(
        referral=referral,
        by=case_holder,
        based_on_version=referral.version,
        fields={"concern": "Missing three times this month.", "consent": "given", "urgency": "routine"},
        indicator_ids=[],
    )
    return referral_refer_to_evolve(referral=referral, by=case_holder, based_on_version=referral.version, team=team)


# The five decisions ---------------------------------------------------------------------------------------------


def test_a_strategy_discussion_decision_starts_a_24_hour_clock_shown_in_the_daily_review(
    crew: dict[str, User], waiting: Referral, decide: Callable[[Referral, str], Case]
) -> None:
    before = daily_review_queue(user=crew["tm"])
    assert [row.referral.pk for row in before.waiting] == [waiting.pk]
    assert before.strategy_due == []

    case = decide(waiting, DecisionKind.STRATEGY_DISCUSSION)

    assert _state(waiting) == State.DECIDED
    queue = daily_review_queue(user=crew["ds"])
    assert queue.waiting == []
    (row,) = queue.strategy_due
    assert row.decision.case == case
    assert row.decision.kind == DecisionKind.STRATEGY_DISCUSSION
    assert row.deadline.kind == DeadlineKind.STRATEGY_DISCUSSION
    assert row.deadline.due_at - row.deadline.started_at == timedelta(hours=24)
    assert not row.status.is_met and not row.status.is_breached
    for lead in ("tm", "ds"):
        assert _told(crew[lead], "An Immediate Strategy Discussion is due within 24 hours") == 1
    # Another team's daily review does not show this child's strategy discussion.
    assert daily_review_queue(user=crew["other_team_member"]).strategy_due == []


def test_recording_the_strategy_discussion_meets_its_clock_once(
    crew: dict[str, User], waiting: Referral, decide: Callable[[Referral, str], Case]
) -> None:
    case = decide(waiting, DecisionKind.STRATEGY_DISCUSSION)
    decision = Decision.objects.get(referral=waiting)
    held_at = timezone.now()

    strategy_discussion_held(
        decision=decision, by=crew["ds"], held_at=held_at, note="Police, CS and health attended: s47 agreed."
    )

    deadline = Deadline.objects.get(
        kind=DeadlineKind.STRATEGY_DISCUSSION, subject_type="decision", subject_id=decision.pk
    )
    assert deadline.met_at == held_at and deadline.breached_at is None
    assert daily_review_queue(user=crew["tm"]).strategy_due == []
    entry = ChronologyEntry.objects.get(child_id=case.child_id, kind="case.strategy_discussion")
    assert entry.occurred_at == held_at and "s47 agreed" in entry.rationale

    with pytest.raises(CaseRefused, match="already been recorded"):
        strategy_discussion_held(decision=decision, by=crew["tm"], held_at=timezone.now(), note="Again.")
    deadline.refresh_from_db()
    assert deadline.met_at == held_at
    assert ChronologyEntry.objects.filter(kind="case.strategy_discussion").count() == 1


@pytest.mark.parametrize(
    "held_at",
    [lambda: timezone.now() + timedelta(hours=1), lambda: timezone.now() - timedelta(days=2)],
    ids=["in_the_future", "before_it_was_called"],
)
def test_a_strategy_discussion_cannot_be_dated_in_the_future_or_before_it_was_called(
    crew: dict[str, User],
    waiting: Referral,
    decide: Callable[[Referral, str], Case],
    held_at: Callable[[], datetime],
) -> None:
    decide(waiting, DecisionKind.STRATEGY_DISCUSSION)
    decision = Decision.objects.get(referral=waiting)

    with pytest.raises(ValidationError) as refused:
        strategy_discussion_held(decision=decision, by=crew["ds"], held_at=held_at(), note="Held.")

    assert set(refused.value.message_dict) == {"held_at"}
    assert len(daily_review_queue(user=crew["tm"]).strategy_due) == 1
    assert not ChronologyEntry.objects.filter(kind="case.strategy_discussion").exists()


def test_only_the_team_manager_and_detective_sergeant_record_the_strategy_discussion(
    crew: dict[str, User], waiting: Referral, decide: Callable[[Referral, str], Case]
) -> None:
    decide(waiting, DecisionKind.STRATEGY_DISCUSSION)
    decision = Decision.objects.get(referral=waiting)

    for who in ("practitioner", "officer", "di", "other_team_member"):
        with pytest.raises(CaseRefused):
            strategy_discussion_held(decision=decision, by=crew[who], held_at=timezone.now(), note="Held.")

    assert len(daily_review_queue(user=crew["tm"]).strategy_due) == 1


def test_a_decision_that_called_for_no_strategy_discussion_cannot_record_one(
    crew: dict[str, User], waiting: Referral, decide: Callable[[Referral, str], Case]
) -> None:
    decide(waiting, DecisionKind.RISK_ASSESSMENT_MEETING)
    decision = Decision.objects.get(referral=waiting)

    with pytest.raises(CaseRefused, match="did not call for a strategy discussion"):
        strategy_discussion_held(decision=decision, by=crew["tm"], held_at=timezone.now(), note="Held.")

    assert not Deadline.objects.filter(kind=DeadlineKind.STRATEGY_DISCUSSION).exists()


def test_urgent_cin_flags_the_case_and_tells_the_case_holder_once_one_is_named(
    crew: dict[str, User], waiting: Referral, decide: Callable[[Referral, str], Case]
) -> None:
    case = decide(waiting, DecisionKind.URGENT_CIN)
    case.refresh_from_db()

    assert case.urgent_cin_since is not None
    assert case.case_holder is None
    assert not Notification.objects.filter(subject="Urgent Child in Need intervention").exists()

    case_holder_set(case=case, by=crew["tm"], based_on_version=case.version, holder=crew["case_holder"])

    assert _told(crew["case_holder"], "Urgent Child in Need intervention") == 1
    assert Notification.objects.filter(subject="Urgent Child in Need intervention").count() == 1


def test_urgent_cin_tells_the_social_worker_who_already_holds_the_case(
    crew: dict[str, User], team: Team, decide: Callable[[Referral, str], Case]
) -> None:
    referral = _referred_by_case_holder(crew["case_holder"], team)

    case = decide(referral, DecisionKind.URGENT_CIN)
    case.refresh_from_db()

    assert case.case_holder == crew["case_holder"]
    assert case.urgent_cin_since is not None
    assert _told(crew["case_holder"], "Urgent Child in Need intervention") == 1


def test_a_risk_assessment_meeting_decision_puts_the_child_on_the_meetings_list(
    crew: dict[str, User],
    waiting: Referral,
    at_stage: Callable[[str], Referral],
    decide: Callable[[Referral, str], Case],
) -> None:
    assert children_awaiting_ra_meeting(user=crew["tm"]) == []
    urgent = decide(at_stage("co_allocated"), DecisionKind.URGENT_CIN)

    case = decide(waiting, DecisionKind.RISK_ASSESSMENT_MEETING)

    assert children_awaiting_ra_meeting(user=crew["tm"]) == [case]
    assert urgent not in children_awaiting_ra_meeting(user=crew["ds"])
    assert children_awaiting_ra_meeting(user=crew["other_team_member"]) == []
    assert Decision.objects.get(referral=waiting).case == case


@pytest.mark.parametrize("kind", [DecisionKind.EARLY_HELP_ADVICE, DecisionKind.REFERRER_ADVICE])
def test_advice_writes_to_the_referrer_and_opens_no_case(
    crew: dict[str, User], waiting: Referral, kind: DecisionKind
) -> None:
    decision_view_record(
        referral=waiting, by=crew["tm"], kind=kind, rationale="TM: no current indicators of CSE.", advice=ADVICE
    )
    outcome = decision_view_record(
        referral=waiting, by=crew["ds"], kind=kind, rationale="DS: nothing held by police.", advice=ADVICE
    )

    assert outcome.agreed and outcome.decision is not None
    assert outcome.decision.case is None
    assert not Case.objects.exists()
    waiting.refresh_from_db()
    assert waiting.state == State.DECIDED
    assert waiting.outcome == kind.label
    assert ADVICE in waiting.outcome_letter
    assert kind.label in waiting.outcome_letter
    # The managers' reasons are for the record, not for the letter.
    assert "no current indicators" not in waiting.outcome_letter
    assert "nothing held by police" not in waiting.outcome_letter
    assert outcome.decision.letter == waiting.outcome_letter
    assert _told(crew["teacher"], "Evolve has replied to your referral") == 1
    assert not Deadline.objects.filter(kind=DeadlineKind.STRATEGY_DISCUSSION).exists()


def test_an_advice_decision_without_the_advice_is_refused(crew: dict[str, User], waiting: Referral) -> None:
    with pytest.raises(ValidationError) as refused:
        decision_view_record(
            referral=waiting, by=crew["tm"], kind=DecisionKind.REFERRER_ADVICE, rationale="Advice only.", advice="  "
        )

    assert set(refused.value.message_dict) == {"advice"}
    assert not DecisionView.objects.exists()
    assert _notification_clock(waiting).met_at is None


def test_the_decision_shows_both_views_and_the_first_to_act_meets_the_24_hour_clock(
    crew: dict[str, User], waiting: Referral
) -> None:
    assert _notification_clock(waiting).met_at is None

    first = decision_view_record(
        referral=waiting, by=crew["tm"], kind=DecisionKind.RISK_ASSESSMENT_MEETING, rationale="Pattern of missing."
    )

    assert first.decision is None and not first.agreed and not first.disagreed
    met_at = _notification_clock(waiting).met_at
    assert met_at is not None and not _notification_clock(waiting).breached_at
    assert _told(crew["ds"], "A referral needs your view") == 1
    assert _state(waiting) == State.CO_ALLOCATED

    second = decision_view_record(
        referral=waiting, by=crew["ds"], kind=DecisionKind.RISK_ASSESSMENT_MEETING, rationale="Car seen twice."
    )

    assert second.agreed
    decision = Decision.objects.get(referral=waiting)
    assert decision.kind == DecisionKind.RISK_ASSESSMENT_MEETING
    assert decision.team_manager_view is not None and decision.detective_sergeant_view is not None
    assert decision.team_manager_view.by == crew["tm"]
    assert decision.team_manager_view.rationale == "Pattern of missing."
    assert decision.detective_sergeant_view.by == crew["ds"]
    assert decision.detective_sergeant_view.rationale == "Car seen twice."
    assert "Pattern of missing." in decision.rationale and "Car seen twice." in decision.rationale
    assert decision.escalation is None
    assert _state(waiting) == State.DECIDED
    assert _notification_clock(waiting).met_at == met_at


def test_asking_an_agency_to_check_is_acting_on_the_referral_for_the_24_hour_clock(
    crew: dict[str, User], waiting: Referral, police: Agency, soon: Callable[[int], datetime]
) -> None:
    agency_check_request(referral=waiting, by=crew["ds"], agency=police, owner=crew["officer"], due_at=soon(4))

    clock = _notification_clock(waiting)
    assert clock.met_at is not None and clock.breached_at is None
    assert _state(waiting) == State.CO_ALLOCATED


def test_deciding_a_referral_already_decided_is_refused(
    crew: dict[str, User], waiting: Referral, decide: Callable[[Referral, str], Case]
) -> None:
    decide(waiting, DecisionKind.RISK_ASSESSMENT_MEETING)
    views = DecisionView.objects.count()

    for who in ("tm", "ds"):
        with pytest.raises(CaseRefused, match="no longer waiting"):
            decision_view_record(
                referral=waiting, by=crew[who], kind=DecisionKind.URGENT_CIN, rationale="Changed my mind."
            )

    assert DecisionView.objects.count() == views
    assert Decision.objects.get(referral=waiting).kind == DecisionKind.RISK_ASSESSMENT_MEETING
    assert Case.objects.get().urgent_cin_since is None


# Who may decide ---------------------------------------------------------------------------------------------------

DECIDING = {Role.TEAM_MANAGER, Role.DETECTIVE_SERGEANT}
# Every role: the two deciding roles held in another team; each other role both outside and inside the team.
NOT_DECIDING = [(role, "other_team") for role in Role if role in DECIDING] + [
    (role, where) for role in Role if role not in DECIDING for where in ("outside", "in_team")
]


def test_every_role_is_tried_by_the_refusal_test() -> None:
    assert {role for role, _ in NOT_DECIDING} == set(Role)


@pytest.mark.parametrize(("role", "where"), NOT_DECIDING, ids=[f"{r.value}-{w}" for r, w in NOT_DECIDING])
def test_nobody_but_the_teams_manager_and_detective_sergeant_can_decide(
    crew: dict[str, User],
    waiting: Referral,
    make_user: Callable[..., User],
    police: Agency,
    role: Role,
    where: str,
) -> None:
    if where == "other_team":
        who = UserFactory.create(
            roles=[role], agency=police, team=TeamFactory.create(name="Another team"), username="other-lead"
        )
    else:
        who = make_user(role, in_team=where == "in_team", username=f"who-{role.value}")
    before = (
        DecisionView.objects.count(),
        Decision.objects.count(),
        Case.objects.count(),
        ChronologyEntry.objects.count(),
        Notification.objects.count(),
        _notification_clock(waiting).met_at,
    )

    with pytest.raises(CaseRefused, match="Only the team manager and the detective sergeant"):
        decision_view_record(referral=waiting, by=who, kind=DecisionKind.URGENT_CIN, rationale="I decide.")

    waiting.refresh_from_db()
    assert waiting.state == State.CO_ALLOCATED
    after = (
        DecisionView.objects.count(),
        Decision.objects.count(),
        Case.objects.count(),
        ChronologyEntry.objects.count(),
        Notification.objects.count(),
        _notification_clock(waiting).met_at,
    )
    assert after == before


@pytest.mark.parametrize("who", ["practitioner", "officer", "di", "spoc", "other_team_member"])
def test_nobody_else_can_ask_an_agency_to_check(
    crew: dict[str, User], waiting: Referral, police: Agency, soon: Callable[[int], datetime], who: str
) -> None:
    with pytest.raises(CaseRefused):
        agency_check_request(referral=waiting, by=crew[who], agency=police, owner=crew["officer"], due_at=soon(4))

    assert not AgencyCheck.objects.exists()
    assert _notification_clock(waiting).met_at is None


# Disagreement -----------------------------------------------------------------------------------------------------


def test_different_views_make_no_decision_until_one_changes_their_mind(
    crew: dict[str, User], waiting: Referral
) -> None:
    decision_view_record(referral=waiting, by=crew["tm"], kind=DecisionKind.URGENT_CIN, rationale="Missing.")
    outcome = decision_view_record(
        referral=waiting, by=crew["ds"], kind=DecisionKind.STRATEGY_DISCUSSION, rationale="Intelligence."
    )

    assert outcome.decision is None and outcome.disagreed and not outcome.agreed
    assert not Decision.objects.exists() and not Case.objects.exists()
    assert _state(waiting) == State.CO_ALLOCATED
    (row,) = daily_review_queue(user=crew["tm"]).waiting
    assert row.disagreed
    assert _told(crew["tm"], "You and your colleague differ on a decision") == 1

    agreed = decision_view_record(
        referral=waiting, by=crew["tm"], kind=DecisionKind.STRATEGY_DISCUSSION, rationale="Persuaded."
    )

    assert agreed.agreed and agreed.decision is not None
    assert agreed.decision.kind == DecisionKind.STRATEGY_DISCUSSION
    assert agreed.decision.team_manager_view is not None
    assert agreed.decision.team_manager_view.rationale == "Persuaded."
    assert _state(waiting) == State.DECIDED


def test_only_a_disagreement_is_escalated(crew: dict[str, User], waiting: Referral) -> None:
    with pytest.raises(CaseRefused, match="Only a disagreement"):
        decision_escalate(referral=waiting, by=crew["tm"], note="Nobody has decided yet.")
    decision_view_record(referral=waiting, by=crew["tm"], kind=DecisionKind.URGENT_CIN, rationale="Missing.")

    with pytest.raises(CaseRefused, match="Only a disagreement"):
        decision_escalate(referral=waiting, by=crew["tm"], note="Only I have decided.")

    assert not Escalation.objects.exists()
    assert not Notification.objects.filter(user__in=[crew["di"], crew["csm"], crew["health_manager"]]).exists()


def test_a_disagreement_goes_to_the_service_managers_of_both_agencies(
    crew: dict[str, User], waiting: Referral, police: Agency, social_care: Agency
) -> None:
    _disagree(waiting, crew)

    escalation = decision_escalate(referral=waiting, by=crew["ds"], note="We differ on whether police need an ISD.")

    assert set(escalation.agencies.all()) == {police, social_care}
    subject = "A disagreement in the Evolve daily review needs your decision"
    assert _told(crew["di"], subject) == 1
    assert _told(crew["csm"], subject) == 1
    assert _told(crew["health_manager"], subject) == 0
    assert escalations_for_user(user=crew["di"]) == [escalation]
    assert escalations_for_user(user=crew["health_manager"]) == []
    # While it is with the service managers, neither can decide it, nor escalate it again.
    with pytest.raises(CaseRefused, match="escalated"):
        decision_view_record(referral=waiting, by=crew["tm"], kind=DecisionKind.STRATEGY_DISCUSSION, rationale="OK.")
    with pytest.raises(CaseRefused, match="already been escalated"):
        decision_escalate(referral=waiting, by=crew["tm"], note="Again.")
    assert Escalation.objects.count() == 1
    assert not Decision.objects.exists()


@pytest.mark.parametrize("resolver", ["di", "csm"])
def test_a_service_manager_of_either_agency_resolves_the_disagreement_once(
    crew: dict[str, User], waiting: Referral, resolver: str
) -> None:
    _disagree(waiting, crew)
    escalation = decision_escalate(referral=waiting, by=crew["tm"], note="We differ.")

    decision = escalation_resolve(
        escalation=escalation, by=crew[resolver], kind=DecisionKind.STRATEGY_DISCUSSION, rationale="Hold an ISD."
    )

    assert decision.kind == DecisionKind.STRATEGY_DISCUSSION
    assert decision.decided_by == crew[resolver]
    assert decision.escalation == escalation
    assert decision.team_manager_view is not None and decision.team_manager_view.kind == DecisionKind.URGENT_CIN
    assert decision.detective_sergeant_view is not None
    assert decision.detective_sergeant_view.kind == DecisionKind.STRATEGY_DISCUSSION
    assert decision.case is not None
    assert _state(waiting) == State.DECIDED
    escalation.refresh_from_db()
    assert escalation.resolved_by == crew[resolver] and escalation.resolved_at is not None
    assert escalations_for_user(user=crew[resolver]) == []
    assert _told(crew["tm"], "An escalated decision has been made") == 1
    assert _told(crew["ds"], "An escalated decision has been made") == 1
    assert Deadline.objects.filter(kind=DeadlineKind.STRATEGY_DISCUSSION, subject_id=decision.pk).exists()

    other = "csm" if resolver == "di" else "di"
    with pytest.raises(CaseRefused, match="already been resolved"):
        escalation_resolve(escalation=escalation, by=crew[other], kind=DecisionKind.URGENT_CIN, rationale="No.")
    assert Decision.objects.get(referral=waiting).kind == DecisionKind.STRATEGY_DISCUSSION
    assert Case.objects.get().urgent_cin_since is None


def test_a_service_manager_may_decide_on_advice_and_must_then_write_it(
    crew: dict[str, User], waiting: Referral
) -> None:
    _disagree(waiting, crew)
    escalation = decision_escalate(referral=waiting, by=crew["tm"], note="We differ.")

    with pytest.raises(ValidationError) as refused:
        escalation_resolve(
            escalation=escalation, by=crew["di"], kind=DecisionKind.REFERRER_ADVICE, rationale="Below threshold."
        )
    assert set(refused.value.message_dict) == {"advice"}
    assert _state(waiting) == State.CO_ALLOCATED

    decision = escalation_resolve(
        escalation=escalation,
        by=crew["di"],
        kind=DecisionKind.REFERRER_ADVICE,
        rationale="Below threshold.",
        advice=ADVICE,
    )

    assert decision.case is None and not Case.objects.exists()
    waiting.refresh_from_db()
    assert waiting.state == State.DECIDED and ADVICE in waiting.outcome_letter
    assert _told(crew["teacher"], "Evolve has replied to your referral") == 1


def test_only_the_team_manager_and_detective_sergeant_escalate(crew: dict[str, User], waiting: Referral) -> None:
    _disagree(waiting, crew)

    for who in ("practitioner", "officer", "di", "csm"):
        with pytest.raises(CaseRefused):
            decision_escalate(referral=waiting, by=crew[who], note="They differ.")

    assert not Escalation.objects.exists()


def test_a_service_manager_of_another_agency_cannot_resolve_the_disagreement(
    crew: dict[str, User], waiting: Referral
) -> None:
    _disagree(waiting, crew)
    escalation = decision_escalate(referral=waiting, by=crew["tm"], note="We differ.")

    for who in ("health_manager", "tm", "ds", "head_of_service"):
        with pytest.raises(CaseRefused, match="Only a service manager of the agencies involved"):
            escalation_resolve(escalation=escalation, by=crew[who], kind=DecisionKind.URGENT_CIN, rationale="My call.")

    escalation.refresh_from_db()
    assert escalation.resolved_at is None
    assert not Decision.objects.exists() and not Case.objects.exists()
    assert _state(waiting) == State.CO_ALLOCATED


# Agency checks ---------------------------------------------------------------------------------------------------


def test_asking_every_team_agency_asks_each_once_with_someone_from_that_agency(
    crew: dict[str, User], waiting: Referral, team: Team, police: Agency, soon: Callable[[int], datetime]
) -> None:
    due = soon(24)

    checks = agency_checks_request_team(referral=waiting, by=crew["tm"], due_at=due)

    assert sorted(check.agency.pk for check in checks) == sorted(team.agencies.values_list("pk", flat=True))
    for check in checks:
        assert check.owner.agency == check.agency
        assert check.owner.team == team
        assert check.due_at == due and check.requested_by == crew["tm"]
        assert _told(check.owner, "Evolve asks your agency to check what it holds") == 1
    (row,) = daily_review_queue(user=crew["tm"]).waiting
    assert len(row.checks_outstanding) == len(checks)

    with pytest.raises(ValidationError) as all_asked:
        agency_checks_request_team(referral=waiting, by=crew["ds"], due_at=due)
    assert set(all_asked.value.message_dict) == {"due_at"}
    with pytest.raises(ValidationError) as twice:
        agency_check_request(referral=waiting, by=crew["ds"], agency=police, owner=crew["ds"], due_at=due)
    assert set(twice.value.message_dict) == {"agency"}
    assert AgencyCheck.objects.count() == len(checks)


def test_asking_every_team_agency_leaves_out_those_already_asked(
    crew: dict[str, User],
    waiting: Referral,
    team: Team,
    police: Agency,
    soon: Callable[[int], datetime],
) -> None:
    agency_check_request(referral=waiting, by=crew["ds"], agency=police, owner=crew["ds"], due_at=soon(4))

    checks = agency_checks_request_team(referral=waiting, by=crew["tm"], due_at=soon(24))

    assert police not in {check.agency for check in checks}
    assert len(checks) == team.agencies.count() - 1
    assert AgencyCheck.objects.filter(agency=police).count() == 1


def test_a_check_cannot_be_due_in_the_past(
    crew: dict[str, User], waiting: Referral, police: Agency, soon: Callable[[int], datetime]
) -> None:
    with pytest.raises(ValidationError) as refused:
        agency_check_request(referral=waiting, by=crew["tm"], agency=police, owner=crew["officer"], due_at=soon(-1))

    assert set(refused.value.message_dict) == {"due_at"}
    with pytest.raises(ValidationError):
        agency_checks_request_team(referral=waiting, by=crew["tm"], due_at=soon(-1))
    assert not AgencyCheck.objects.exists()
    assert not Notification.objects.filter(subject="Evolve asks your agency to check what it holds").exists()


def test_the_owner_of_a_check_must_work_for_the_agency_asked(
    crew: dict[str, User], waiting: Referral, police: Agency, soon: Callable[[int], datetime]
) -> None:
    with pytest.raises(ValidationError) as refused:
        agency_check_request(referral=waiting, by=crew["tm"], agency=police, owner=crew["nurse"], due_at=soon(4))

    assert set(refused.value.message_dict) == {"owner"}
    assert not AgencyCheck.objects.exists()


def test_a_school_outside_the_team_is_asked_and_its_owner_answers(
    crew: dict[str, User],
    waiting: Referral,
    school: Agency,
    make_user: Callable[..., User],
    soon: Callable[[int], datetime],
) -> None:
    lead = make_user(Role.REFERRER, agency=school, username="school-dsl")

    check = agency_check_request(
        referral=waiting,
        by=crew["tm"],
        agency=school,
        owner=lead,
        due_at=soon(8),
        question="Attendance and any concerns this term?",
    )

    # The designated safeguarding lead, outside the team, sees the check and what it is about.
    assert check_get_for_user(user=lead, public_id=check.public_id) == check
    assert checks_for_owner(user=lead) == [check]
    assert check_referral(check=check).pk == waiting.pk
    # A teacher at the same school, and one at another school, do not.
    for who in (crew["teacher"], crew["other_teacher"]):
        with pytest.raises(Http404):
            check_get_for_user(user=who, public_id=check.public_id)
        with pytest.raises(CaseRefused):
            agency_check_answer(check=check, by=who, holds_information=False, answer="")

    answered = agency_check_answer(
        check=check, by=lead, holds_information=True, answer="Missed 12 sessions since September."
    )

    assert answered.answered_by == lead and answered.holds_information is True
    assert answered.answer == "Missed 12 sessions since September."
    assert checks_for_owner(user=lead) == []
    assert _told(crew["tm"], "An agency has answered a check") == 1
    (row,) = daily_review_queue(user=crew["tm"]).waiting
    assert row.checks_outstanding == [] and [c.answer for c in row.checks] == ["Missed 12 sessions since September."]

    with pytest.raises(CaseRefused, match="already been answered"):
        agency_check_answer(check=check, by=lead, holds_information=False, answer="Nothing.")
    check.refresh_from_db()
    assert check.holds_information is True and check.answer == "Missed 12 sessions since September."


def test_an_agency_holding_information_must_say_what(
    crew: dict[str, User], waiting: Referral, police: Agency, soon: Callable[[int], datetime]
) -> None:
    check = agency_check_request(referral=waiting, by=crew["tm"], agency=police, owner=crew["officer"], due_at=soon(4))

    with pytest.raises(ValidationError) as refused:
        agency_check_answer(check=check, by=crew["officer"], holds_information=True, answer=" ")

    assert set(refused.value.message_dict) == {"answer"}
    check.refresh_from_db()
    assert check.answered_at is None


def test_a_team_member_of_another_agency_cannot_answer_a_check(
    crew: dict[str, User], waiting: Referral, police: Agency, soon: Callable[[int], datetime]
) -> None:
    check = agency_check_request(referral=waiting, by=crew["tm"], agency=police, owner=crew["officer"], due_at=soon(4))

    for who in ("nurse", "tm", "practitioner"):
        with pytest.raises(CaseRefused):
            agency_check_answer(check=check, by=crew[who], holds_information=False, answer="")

    check.refresh_from_db()
    assert check.answered_at is None
    # A colleague of the same agency in the team may answer for the officer.
    agency_check_answer(check=check, by=crew["ds"], holds_information=False, answer="")
    check.refresh_from_db()
    assert check.answered_by == crew["ds"] and check.holds_information is False


def test_a_member_of_another_team_cannot_answer_this_teams_check(
    crew: dict[str, User], waiting: Referral, social_care: Agency, soon: Callable[[int], datetime]
) -> None:
    check = agency_check_request(
        referral=waiting, by=crew["tm"], agency=social_care, owner=crew["practitioner"], due_at=soon(4)
    )
    elsewhere = crew["other_team_member"]  # social care, a practitioner in another team
    with pytest.raises(Http404):
        check_get_for_user(user=elsewhere, public_id=check.public_id)

    with pytest.raises(CaseRefused):
        agency_check_answer(check=check, by=elsewhere, holds_information=False, answer="")

    check.refresh_from_db()
    assert check.answered_at is None
