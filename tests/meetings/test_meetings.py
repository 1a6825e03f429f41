"""The weekly CSE team meeting, strategy discussions and CIN meetings, through their services and selectors: the
agenda from the three lists, the chair in turn, what is recorded about each child and where it goes (the child's
risk assessment and case, allocations, the chronology, managers' notifications), who may do what, and the record
once the chair has closed it (DESIGN.md, "Meetings" and "Risk assessment")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.cases.models import Allocation, AllocationRole, Case, DecisionKind, RiskLevel
from evolve.cases.services import (
    allocation_add,
    case_close,
    case_holder_set,
    case_review_date_set,
    risk_level_agree,
)
from evolve.chronology.models import ChronologyEntry
from evolve.clock.selectors import deadlines_for_subjects
from evolve.notifications.models import Notification
from evolve.people.models import Child
from meetings.models import (
    Action,
    AgendaItem,
    AgendaList,
    Amendment,
    Attendance,
    ChairSeat,
    Meeting,
    MeetingKind,
    RoleAllocation,
)
from meetings.selectors import (
    escalations_for_manager,
    item_get_for_user,
    items_for_child,
    meeting_get_for_user,
    meeting_page,
)
from meetings.services import (
    MeetingChanged,
    MeetingConflict,
    MeetingRefused,
    action_add,
    action_complete,
    agenda_add,
    agenda_refresh,
    agenda_remove,
    amendment_add,
    attendance_add,
    escalation_outcome_record,
    item_record,
    meeting_close,
    meeting_for_decision,
    meeting_schedule,
    role_allocate,
)
from referrals.models import Referral
from risk.models import RiskAssessment
from tests.factories import ChildFactory, UserFactory

pytestmark = pytest.mark.django_db

Crew = dict[str, User]
Weekly = Callable[..., Meeting]
Assess = Callable[..., RiskAssessment]
NewCase = Callable[..., Case]

HIGH_SIGNS = {"missing-repeatedly": "current"}


def _today() -> date:
    return timezone.localdate()


def _meeting_day(meeting: Meeting) -> date:
    return timezone.localtime(meeting.starts_at).date()


def _item(meeting: Meeting, case: Case) -> AgendaItem:
    return AgendaItem.objects.get(meeting=meeting, child_id=case.child_id)


def _discuss(item: AgendaItem, by: User, text: str = "Discussed with the team.") -> AgendaItem:
    return item_record(item=item, by=by, based_on_version=None, discussion=text)


def _attend(meeting: Meeting, by: User, agency: Agency) -> Attendance:
    return attendance_add(meeting=meeting, by=by, agency=agency, name="DS Example", role="Detective sergeant")


@pytest.fixture
def new_case(at_stage: Callable[[str], Referral], decide: Callable[[Referral, str], Case]) -> NewCase:
    """A child's case opened by a daily review decision (risk-assessment meeting unless told), optionally renamed so
    that two children can be told apart."""

    def make(kind: str = DecisionKind.RISK_ASSESSMENT_MEETING, name: str = "") -> Case:
        case = decide(at_stage("co_allocated"), kind)
        if name:
            first, last = name.split()
            Child.objects.filter(pk=case.child_id).update(first_name=first, last_name=last)
        case.refresh_from_db()
        return case

    return make


@pytest.fixture
def settled(new_case: NewCase, assess: Assess, crew: Crew) -> Callable[..., Case]:
    """A child whose level an earlier meeting agreed (so off the first list), allocated unless told."""

    def make(level: str = RiskLevel.LOW, review_in: int = 42, allocated: bool = True) -> Case:
        case = new_case()
        assessment = assess(case.child, crew["practitioner"], next_review_on=_today() + timedelta(days=review_in))
        risk_level_agree(
            case=case,
            assessment=assessment,
            by=crew["tm"],
            level=level,
            rationale="Agreed at an earlier meeting.",
            where="An earlier meeting",
        )
        if allocated:
            allocation_add(
                case=case,
                by=crew["tm"],
                user=crew["practitioner"],
                role=AllocationRole.SOCIAL_WORK_LEAD,
                start_on=_today(),
            )
        case.refresh_from_db()
        return case

    return make


@pytest.fixture
def other_team(crew: Crew) -> Team:
    team = crew["other_team_member"].team
    assert team is not None
    return team


@pytest.fixture
def other_tm(crew: Crew, social_care: Agency) -> User:
    """The team manager of another team."""
    return UserFactory.create(
        roles=[Role.TEAM_MANAGER], agency=social_care, team_id=crew["other_team_member"].team_id, username="other-tm"
    )


# The agenda ---------------------------------------------------------------------------------------------------------


def test_agenda_is_built_from_the_three_lists_each_child_once_in_its_section(
    crew: Crew,
    weekly: Weekly,
    new_case: NewCase,
    settled: Callable[..., Case],
    ra_case: Case,
    other_team: Team,
) -> None:
    tm = crew["tm"]
    strategy = new_case(DecisionKind.STRATEGY_DISCUSSION)
    urgent = new_case(DecisionKind.URGENT_CIN)
    # The urgent CIN child is also allocated with a review due: still once, in the first list that holds them.
    allocation_add(case=urgent, by=tm, user=crew["nurse"], role=AllocationRole.CSE_NURSE, start_on=_today())
    urgent.refresh_from_db()
    case_review_date_set(case=urgent, by=tm, based_on_version=urgent.version, next_review_on=_today())
    review_due = settled(review_in=2)
    high = settled(level=RiskLevel.HIGH)
    quiet = settled(level=RiskLevel.LOW)
    unallocated_high = settled(level=RiskLevel.HIGH, allocated=False)
    closed = new_case()
    case_close(case=closed, by=tm, based_on_version=closed.version, reason="Risk reduced.")
    elsewhere = Case.objects.create(
        child=ChildFactory.create(),
        team=other_team,
        opened_at=timezone.now(),
        opened_by=tm,
        awaiting_ra_meeting_since=timezone.now(),
    )

    meeting = weekly(days=3)

    sources = dict(AgendaItem.objects.filter(meeting=meeting).values_list("child_id", "source"))
    assert sources == {
        ra_case.child_id: AgendaList.NEW_REFERRALS,
        strategy.child_id: AgendaList.STRATEGY_OR_CIN,
        urgent.child_id: AgendaList.STRATEGY_OR_CIN,
        review_due.child_id: AgendaList.ALLOCATED_UPDATE,
        high.child_id: AgendaList.ALLOCATED_UPDATE,
    }
    assert AgendaItem.objects.filter(meeting=meeting).count() == 5
    for absent in (quiet, unallocated_high, closed, elsewhere):
        assert absent.child_id not in sources
    page = meeting_page(user=tm, meeting=meeting)
    assert [section.source for section in page.sections] == [
        AgendaList.NEW_REFERRALS,
        AgendaList.STRATEGY_OR_CIN,
        AgendaList.ALLOCATED_UPDATE,
    ]
    reasons = dict(AgendaItem.objects.filter(meeting=meeting).values_list("child_id", "reason"))
    assert "Urgent Child in Need" in reasons[urgent.child_id]
    assert "Strategy Discussion" in reasons[strategy.child_id]
    assert reasons[review_due.child_id].startswith("Review due")
    assert reasons[high.child_id].startswith("High risk")


def test_a_strategy_discussion_decided_before_the_last_meeting_is_not_on_the_next_agenda(
    crew: Crew, weekly: Weekly, new_case: NewCase
) -> None:
    strategy = new_case(DecisionKind.STRATEGY_DISCUSSION)
    first = weekly(days=1)
    assert _item(first, strategy).source == AgendaList.STRATEGY_OR_CIN

    second = weekly(days=8)

    assert not AgendaItem.objects.filter(meeting=second, child_id=strategy.child_id).exists()


def test_refresh_adds_newly_qualifying_children_and_keeps_those_added_by_hand(
    crew: Crew, weekly: Weekly, ra_case: Case, new_case: NewCase, settled: Callable[..., Case]
) -> None:
    tm = crew["tm"]
    meeting = weekly()
    quiet = settled(level=RiskLevel.LOW)
    added = agenda_add(meeting=meeting, by=tm, child=quiet.child, reason="Going missing again")
    later = new_case()

    assert agenda_refresh(meeting=meeting, by=tm) == 1

    sources = dict(AgendaItem.objects.filter(meeting=meeting).values_list("child_id", "source"))
    assert sources == {
        ra_case.child_id: AgendaList.NEW_REFERRALS,
        quiet.child_id: AgendaList.ADDED,
        later.child_id: AgendaList.NEW_REFERRALS,
    }
    added.refresh_from_db()
    assert added.reason == "Going missing again"
    assert agenda_refresh(meeting=meeting, by=tm) == 0
    assert AgendaItem.objects.filter(meeting=meeting).count() == 3


def test_agenda_add_refuses_a_child_without_an_open_case_in_the_team(
    crew: Crew, weekly: Weekly, ra_case: Case, new_case: NewCase, other_team: Team
) -> None:
    tm = crew["tm"]
    meeting = weekly()
    closed = new_case()
    case_close(case=closed, by=tm, based_on_version=closed.version, reason="Risk reduced.")
    elsewhere = Case.objects.create(
        child=ChildFactory.create(), team=other_team, opened_at=timezone.now(), opened_by=tm
    )
    before = AgendaItem.objects.filter(meeting=meeting).count()

    for child in (ChildFactory.create(), closed.child, elsewhere.child):
        with pytest.raises(ValidationError) as refused:
            agenda_add(meeting=meeting, by=tm, child=child)
        assert "child" in refused.value.message_dict
    with pytest.raises(ValidationError) as twice:
        agenda_add(meeting=meeting, by=tm, child=ra_case.child)
    assert "child" in twice.value.message_dict
    assert AgendaItem.objects.filter(meeting=meeting).count() == before


def test_agenda_remove_takes_a_child_off_until_something_is_recorded(
    crew: Crew, weekly: Weekly, ra_case: Case, new_case: NewCase
) -> None:
    tm = crew["tm"]
    other = new_case()
    meeting = weekly()
    agenda_remove(item=_item(meeting, other), by=tm)
    assert not AgendaItem.objects.filter(meeting=meeting, child_id=other.child_id).exists()

    item = _discuss(_item(meeting, ra_case), tm)
    with pytest.raises(MeetingRefused):
        agenda_remove(item=item, by=tm)
    assert AgendaItem.objects.filter(pk=item.pk).exists()


# The chair ----------------------------------------------------------------------------------------------------------


def test_the_weekly_meeting_is_chaired_in_turn_by_the_team_manager_and_the_detective_sergeant(
    crew: Crew, weekly: Weekly
) -> None:
    first, second, third = weekly(days=1), weekly(days=8), weekly(days=15)

    assert (first.chair_seat, first.chair) == (ChairSeat.TEAM_MANAGER, crew["tm"])
    assert (second.chair_seat, second.chair) == (ChairSeat.DETECTIVE_SERGEANT, crew["ds"])
    assert (third.chair_seat, third.chair) == (ChairSeat.TEAM_MANAGER, crew["tm"])
    # The chair scheduled by someone else is told.
    assert Notification.objects.filter(user=crew["ds"], subject__icontains="chairing").count() == 1


def test_a_chair_of_the_wrong_seat_is_refused(crew: Crew, weekly: Weekly) -> None:
    weekly(days=1)  # the team manager's turn: the detective sergeant's next

    with pytest.raises(ValidationError) as refused:
        meeting_schedule(by=crew["tm"], starts_at=timezone.now() + timedelta(days=8), chair=crew["tm"])

    assert "chair" in refused.value.message_dict
    assert Meeting.objects.count() == 1


# Recording a child's part -------------------------------------------------------------------------------------------


def test_a_level_without_a_rationale_is_refused_and_nothing_changes(
    crew: Crew, weekly: Weekly, ra_case: Case, assess: Assess
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"], present=HIGH_SIGNS)
    item = _item(weekly(), ra_case)

    with pytest.raises(ValidationError) as refused:
        item_record(item=item, by=crew["tm"], based_on_version=item.version, discussion="Talked.", level="high")

    assert "rationale" in refused.value.message_dict
    fresh = AgendaItem.objects.get(pk=item.pk)
    assert (fresh.version, fresh.discussion, fresh.agreed_level) == (item.version, "", "")
    assessment.refresh_from_db()
    assert assessment.agreed_level == "" and assessment.agreed_at is None
    ra_case.refresh_from_db()
    assert ra_case.risk_level == "" and ra_case.awaiting_ra_meeting_since is not None


def test_the_agreed_level_goes_on_the_assessment_and_the_case(
    crew: Crew, weekly: Weekly, ra_case: Case, assess: Assess
) -> None:
    review_on = _today() + timedelta(days=30)
    assessment = assess(ra_case.child, crew["practitioner"], present=HIGH_SIGNS, next_review_on=review_on)
    meeting = weekly()
    item = _item(meeting, ra_case)

    item = item_record(
        item=item,
        by=crew["tm"],
        based_on_version=item.version,
        discussion="Missing three times this month.",
        level=RiskLevel.HIGH,
        rationale="Repeated missing episodes with an older male.",
    )

    assert item.agreed_level == RiskLevel.HIGH and item.assessment == assessment
    assessment.refresh_from_db()
    assert assessment.agreed_level == RiskLevel.HIGH
    assert assessment.agreed_rationale == "Repeated missing episodes with an older male."
    assert assessment.agreed_where.startswith("Weekly CSE team meeting on")
    assert assessment.agreed_by == crew["tm"]
    ra_case.refresh_from_db()
    assert ra_case.risk_level == RiskLevel.HIGH
    assert ra_case.next_review_on == review_on
    assert ra_case.awaiting_ra_meeting_since is None


def test_a_level_cannot_be_agreed_without_a_risk_assessment(crew: Crew, weekly: Weekly, ra_case: Case) -> None:
    item = _item(weekly(), ra_case)

    with pytest.raises(ValidationError) as refused:
        item_record(
            item=item, by=crew["tm"], based_on_version=item.version, discussion="Talked.", level="high", rationale="R"
        )

    assert "level" in refused.value.message_dict
    ra_case.refresh_from_db()
    assert ra_case.risk_level == "" and ra_case.awaiting_ra_meeting_since is not None
    assert AgendaItem.objects.get(pk=item.pk).agreed_level == ""


def test_the_level_agreed_at_the_meeting_stands(crew: Crew, weekly: Weekly, ra_case: Case, assess: Assess) -> None:
    assess(ra_case.child, crew["practitioner"], present=HIGH_SIGNS)
    item = _item(weekly(), ra_case)
    item = item_record(
        item=item, by=crew["tm"], based_on_version=item.version, discussion="Talked.", level="high", rationale="R"
    )

    with pytest.raises(ValidationError) as refused:
        item_record(
            item=item, by=crew["ds"], based_on_version=item.version, discussion="Again.", level="medium", rationale="S"
        )

    assert "level" in refused.value.message_dict
    item.refresh_from_db()
    assert (item.agreed_level, item.discussion) == (RiskLevel.HIGH, "Talked.")
    ra_case.refresh_from_db()
    assert ra_case.risk_level == RiskLevel.HIGH


def test_a_stale_version_is_a_conflict_carrying_the_current_record(crew: Crew, weekly: Weekly, ra_case: Case) -> None:
    item = _item(weekly(), ra_case)
    opened_at = item.version
    saved = item_record(item=item, by=crew["ds"], based_on_version=opened_at, discussion="The DS's note.")

    with pytest.raises(MeetingConflict) as conflict:
        item_record(item=item, by=crew["tm"], based_on_version=opened_at, discussion="The TM's note.")

    assert conflict.value.current.version == saved.version > opened_at
    assert conflict.value.current.discussion == "The DS's note."
    assert AgendaItem.objects.get(pk=item.pk).discussion == "The DS's note."


def test_an_escalated_disagreement_reaches_that_agencys_service_managers_who_record_the_outcome(
    crew: Crew, weekly: Weekly, ra_case: Case, police: Agency
) -> None:
    item = _item(weekly(), ra_case)

    item = item_record(
        item=item,
        by=crew["tm"],
        based_on_version=item.version,
        discussion="Police and children's services disagree about a strategy discussion.",
        disagreement="Police think a strategy discussion is needed now.",
        escalate_to=police,
    )

    assert item.escalated_to_agency == police and item.escalated_at is not None
    assert Notification.objects.filter(user=crew["di"], subject__icontains="escalated").count() == 1
    assert not Notification.objects.filter(user__in=[crew["csm"], crew["health_manager"]]).exists()
    assert escalations_for_manager(user=crew["di"]) == [item]
    assert escalations_for_manager(user=crew["csm"]) == []

    for not_theirs in (crew["csm"], crew["health_manager"], crew["tm"], crew["ds"]):
        with pytest.raises(MeetingRefused):
            escalation_outcome_record(item=item, by=not_theirs, outcome="Decided.")
    item.refresh_from_db()
    assert item.escalation_resolved_at is None

    resolved = escalation_outcome_record(item=item, by=crew["di"], outcome="Strategy discussion held today.")

    assert resolved.escalation_outcome == "Strategy discussion held today."
    assert resolved.escalation_resolved_by == crew["di"]
    assert escalations_for_manager(user=crew["di"]) == []
    assert ChronologyEntry.objects.filter(child_id=ra_case.child_id, kind="meeting.escalation").count() == 1


def test_escalating_needs_the_disagreement_said(crew: Crew, weekly: Weekly, ra_case: Case, police: Agency) -> None:
    item = _item(weekly(), ra_case)

    with pytest.raises(ValidationError) as refused:
        item_record(item=item, by=crew["tm"], based_on_version=None, discussion="Talked.", escalate_to=police)

    assert "disagreement" in refused.value.message_dict
    assert not Notification.objects.filter(user=crew["di"]).exists()


def test_an_escalated_disagreement_cannot_be_cleared_by_saving_the_discussion_again(
    crew: Crew, weekly: Weekly, ra_case: Case, police: Agency
) -> None:
    item = _item(weekly(), ra_case)
    item = item_record(
        item=item,
        by=crew["tm"],
        based_on_version=item.version,
        discussion="Talked.",
        disagreement="Police think the risk is higher.",
        escalate_to=police,
    )

    with pytest.raises(ValidationError) as refused:
        item_record(item=item, by=crew["tm"], based_on_version=item.version, discussion="Talked more.")

    assert "disagreement" in refused.value.message_dict


# Actions and roles --------------------------------------------------------------------------------------------------


def test_an_action_is_given_to_its_owner_who_is_told(crew: Crew, weekly: Weekly, ra_case: Case) -> None:
    meeting = weekly()
    item = _item(meeting, ra_case)
    due = _meeting_day(meeting) + timedelta(days=7)

    action = action_add(item=item, by=crew["tm"], description="Visit the school.", owner=crew["nurse"], due_on=due)

    assert (action.owner, action.due_on, action.created_by) == (crew["nurse"], due, crew["tm"])
    assert Notification.objects.filter(user=crew["nurse"], subject__icontains="action").count() == 1
    assert AgendaItem.objects.get(pk=item.pk).version == item.version + 1


def test_an_action_due_before_the_meeting_is_refused(crew: Crew, weekly: Weekly, ra_case: Case) -> None:
    meeting = weekly(days=3)
    item = _item(meeting, ra_case)

    with pytest.raises(ValidationError) as refused:
        action_add(
            item=item,
            by=crew["tm"],
            description="Visit the school.",
            owner=crew["nurse"],
            due_on=_meeting_day(meeting) - timedelta(days=1),
        )

    assert "due_on" in refused.value.message_dict
    assert not Action.objects.exists()
    assert not Notification.objects.filter(user=crew["nurse"]).exists()


def test_an_action_owner_outside_the_team_is_refused_unless_a_case_holding_social_worker(
    crew: Crew, weekly: Weekly, ra_case: Case
) -> None:
    meeting = weekly()
    item = _item(meeting, ra_case)
    due = _meeting_day(meeting) + timedelta(days=7)

    for outsider in (crew["other_team_member"], crew["teacher"], crew["di"]):
        with pytest.raises(ValidationError) as refused:
            action_add(item=item, by=crew["tm"], description="Call the family.", owner=outsider, due_on=due)
        assert "owner" in refused.value.message_dict
    assert not Action.objects.exists()

    action = action_add(item=item, by=crew["tm"], description="Call the family.", owner=crew["case_holder"], due_on=due)
    assert action.owner == crew["case_holder"]


def test_an_action_is_marked_done_by_its_owner_or_the_team_manager_or_ds(
    crew: Crew, weekly: Weekly, ra_case: Case
) -> None:
    meeting = weekly()
    item = _item(meeting, ra_case)
    due = _meeting_day(meeting) + timedelta(days=7)
    mine = action_add(item=item, by=crew["tm"], description="Visit the school.", owner=crew["nurse"], due_on=due)
    theirs = action_add(item=item, by=crew["tm"], description="Check the car.", owner=crew["officer"], due_on=due)

    for other in (crew["practitioner"], crew["officer"], crew["governance"], crew["other_team_member"]):
        with pytest.raises(MeetingRefused):
            action_complete(action=mine, by=other)
    mine.refresh_from_db()
    assert mine.done_at is None

    assert action_complete(action=mine, by=crew["nurse"]).done_at is not None
    assert action_complete(action=theirs, by=crew["ds"]).done_at is not None
    with pytest.raises(MeetingRefused):
        action_complete(action=mine, by=crew["nurse"])


def test_a_role_agreed_at_the_meeting_is_an_allocation_on_the_case(crew: Crew, weekly: Weekly, ra_case: Case) -> None:
    item = _item(weekly(), ra_case)

    row = role_allocate(item=item, by=crew["ds"], user=crew["nurse"], role=AllocationRole.CSE_NURSE)

    assert row.role_label == "CSE nurse"
    allocation = Allocation.objects.get(case=ra_case)
    assert (allocation.user, allocation.role, allocation.end_on) == (crew["nurse"], AllocationRole.CSE_NURSE, None)
    assert AgendaItem.objects.get(pk=item.pk).version == item.version + 1


# Who may do what ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["practitioner", "nurse", "case_holder", "governance", "other_team_member"])
def test_only_the_team_manager_and_ds_schedule_record_and_close(
    who: str, crew: Crew, weekly: Weekly, ra_case: Case, police: Agency
) -> None:
    user = crew[who]
    with pytest.raises(MeetingRefused):
        meeting_schedule(by=user, starts_at=timezone.now() + timedelta(days=1))
    assert not Meeting.objects.exists()

    meeting = weekly()
    item = _item(meeting, ra_case)
    with pytest.raises(MeetingRefused):
        item_record(item=item, by=user, based_on_version=item.version, discussion="Mine.")
    with pytest.raises(MeetingRefused):
        attendance_add(meeting=meeting, by=user, agency=police, name="Someone")
    _attend(meeting, crew["tm"], police)
    _discuss(_item(meeting, ra_case), crew["tm"])
    with pytest.raises(MeetingRefused):
        meeting_close(meeting=meeting, by=user)
    meeting.refresh_from_db()
    assert meeting.closed_at is None
    assert AgendaItem.objects.get(pk=item.pk).discussion == "Discussed with the team."


def test_another_teams_manager_cannot_record_or_close_this_teams_meeting(
    crew: Crew, other_tm: User, weekly: Weekly, ra_case: Case, police: Agency
) -> None:
    meeting = weekly()
    item = _item(meeting, ra_case)

    with pytest.raises(MeetingRefused):
        item_record(item=item, by=other_tm, based_on_version=item.version, discussion="Not ours.")
    with pytest.raises(MeetingRefused):
        agenda_add(meeting=meeting, by=other_tm, child=ra_case.child)
    with pytest.raises(MeetingRefused):
        meeting_close(meeting=meeting, by=other_tm)
    assert AgendaItem.objects.get(pk=item.pk).discussion == ""


def test_only_the_chair_closes_the_meeting(crew: Crew, weekly: Weekly, ra_case: Case, police: Agency) -> None:
    meeting = weekly()
    _attend(meeting, crew["tm"], police)
    _discuss(_item(meeting, ra_case), crew["tm"])
    assert meeting.chair == crew["tm"]

    with pytest.raises(MeetingRefused):
        meeting_close(meeting=meeting, by=crew["ds"])
    assert Meeting.objects.get(pk=meeting.pk).closed_at is None

    closed = meeting_close(meeting=meeting, by=crew["tm"])
    assert closed.closed_by == crew["tm"] and closed.minutes_wanted == 1


def test_an_action_or_a_role_added_after_the_chair_looked_makes_the_close_stale(
    crew: Crew, weekly: Weekly, ra_case: Case, police: Agency
) -> None:
    """Actions and roles go into each child's part of the record at close, so they move the meeting's version on
    like a discussion does: a chair closing from the page before them is refused (MeetingChanged)."""
    meeting = weekly()
    _attend(meeting, crew["tm"], police)
    item = _item(meeting, ra_case)
    _discuss(item, crew["tm"])
    due = _meeting_day(meeting) + timedelta(days=7)
    for change in (
        lambda: action_add(item=item, by=crew["ds"], description="Visit the school.", owner=crew["nurse"], due_on=due),
        lambda: role_allocate(item=item, by=crew["ds"], user=crew["nurse"], role=AllocationRole.CSE_NURSE),
    ):
        seen = Meeting.objects.get(pk=meeting.pk).version
        change()
        with pytest.raises(MeetingChanged):
            meeting_close(meeting=meeting, by=crew["tm"], based_on_version=seen)
        assert Meeting.objects.get(pk=meeting.pk).closed_at is None
    now = Meeting.objects.get(pk=meeting.pk).version
    assert meeting_close(meeting=meeting, by=crew["tm"], based_on_version=now).is_closed


def test_closing_needs_attendance_and_a_discussion_for_every_child(
    crew: Crew, weekly: Weekly, ra_case: Case, new_case: NewCase, police: Agency
) -> None:
    tm = crew["tm"]
    other = new_case()
    meeting = weekly()
    attendance_add(meeting=meeting, by=tm, agency=police, name="DS Away", present=False)

    with pytest.raises(ValidationError) as no_one:
        meeting_close(meeting=meeting, by=tm)
    assert "attendance" in no_one.value.message_dict

    _attend(meeting, tm, police)
    _discuss(_item(meeting, ra_case), tm)
    with pytest.raises(ValidationError) as silent:
        meeting_close(meeting=meeting, by=tm)
    assert "items" in silent.value.message_dict

    meeting.refresh_from_db()
    assert meeting.closed_at is None and meeting.minutes_wanted == 0
    assert not ChronologyEntry.objects.filter(kind="meeting.discussed").exists()

    _discuss(_item(meeting, other), tm)
    assert meeting_close(meeting=meeting, by=tm).is_closed


def test_a_closed_meeting_refuses_every_write(
    crew: Crew, weekly: Weekly, ra_case: Case, settled: Callable[..., Case], police: Agency
) -> None:
    tm = crew["tm"]
    quiet = settled(level=RiskLevel.LOW, allocated=False)
    meeting = weekly()
    _attend(meeting, tm, police)
    item = _discuss(_item(meeting, ra_case), tm)
    meeting = meeting_close(meeting=meeting, by=tm)
    due = _meeting_day(meeting) + timedelta(days=7)
    version = meeting.version
    entries = ChronologyEntry.objects.count()

    writes: list[Callable[[], object]] = [
        lambda: item_record(item=item, by=tm, based_on_version=item.version, discussion="Changed afterwards."),
        lambda: agenda_add(meeting=meeting, by=tm, child=quiet.child),
        lambda: attendance_add(meeting=meeting, by=tm, agency=police, name="Late arrival"),
        lambda: action_add(item=item, by=tm, description="Too late.", owner=crew["nurse"], due_on=due),
        lambda: role_allocate(item=item, by=tm, user=crew["nurse"], role=AllocationRole.CSE_NURSE),
        lambda: agenda_remove(item=item, by=tm),
    ]
    for write in writes:
        with pytest.raises(MeetingRefused):
            write()

    fresh = AgendaItem.objects.get(pk=item.pk)
    assert (fresh.discussion, fresh.version) == ("Discussed with the team.", item.version)
    assert AgendaItem.objects.filter(meeting=meeting).count() == 1
    assert Attendance.objects.filter(meeting=meeting).count() == 1
    assert not Action.objects.exists() and not RoleAllocation.objects.exists()
    assert not Allocation.objects.filter(case=ra_case).exists()
    assert Meeting.objects.get(pk=meeting.pk).version == version
    assert ChronologyEntry.objects.count() == entries


def test_an_amendment_corrects_a_closed_meeting_and_goes_only_into_the_named_childs_chronology(
    crew: Crew, weekly: Weekly, ra_case: Case, new_case: NewCase, police: Agency
) -> None:
    tm = crew["tm"]
    other = new_case()
    meeting = weekly()
    _attend(meeting, tm, police)
    item = _discuss(_item(meeting, ra_case), tm)
    _discuss(_item(meeting, other), tm)

    with pytest.raises(MeetingRefused):
        amendment_add(meeting=meeting, by=tm, text="Too early.", item=item)
    assert not Amendment.objects.exists()

    meeting = meeting_close(meeting=meeting, by=tm)
    with pytest.raises(MeetingRefused):
        amendment_add(meeting=meeting, by=crew["practitioner"], text="Not mine to correct.", item=item)

    amendment = amendment_add(meeting=meeting, by=crew["ds"], text="The nurse will attend the visit.", item=item)

    assert (amendment.meeting, amendment.item, amendment.by) == (meeting, item, crew["ds"])
    assert Meeting.objects.get(pk=meeting.pk).minutes_wanted == 2
    amended = ChronologyEntry.objects.filter(kind="meeting.amended")
    assert list(amended.values_list("child_id", "rationale")) == [
        (ra_case.child_id, "The nurse will attend the visit.")
    ]
    amendment_add(meeting=meeting, by=tm, text="The date of the next meeting was wrong.")
    assert Meeting.objects.get(pk=meeting.pk).minutes_wanted == 3
    assert ChronologyEntry.objects.filter(kind="meeting.amended").count() == 1


# Closing files each child's part into their chronology ----------------------------------------------------------------


def test_closing_files_each_childs_part_into_that_childs_chronology_only(
    crew: Crew, weekly: Weekly, ra_case: Case, new_case: NewCase, assess: Assess, police: Agency
) -> None:
    tm = crew["tm"]
    other = new_case()
    assess(ra_case.child, crew["practitioner"], present=HIGH_SIGNS)
    meeting = weekly()
    _attend(meeting, tm, police)
    item_a = item_record(
        item=_item(meeting, ra_case),
        by=tm,
        based_on_version=None,
        discussion="Seen in a hotel with an unknown adult.",
        level=RiskLevel.HIGH,
        rationale="Hotel sighting and missing episodes.",
        mapping_items="Blue Astra, Station Road hotel",
    )
    action_add(
        item=item_a,
        by=tm,
        description="Share the hotel sighting with the police.",
        owner=crew["officer"],
        due_on=_meeting_day(meeting) + timedelta(days=2),
    )
    role_allocate(item=item_a, by=tm, user=crew["nurse"], role=AllocationRole.CSE_NURSE)
    item_b = _discuss(_item(meeting, other), tm, "Settled at school; no new concerns.")

    meeting_close(meeting=meeting, by=tm)

    entry_a = ChronologyEntry.objects.get(child_id=ra_case.child_id, kind="meeting.discussed")
    assert entry_a.source_id == item_a.pk
    assert "risk level agreed high" in entry_a.summary
    assert "Agreed risk level: High" in entry_a.rationale
    assert "Hotel sighting and missing episodes." in entry_a.rationale
    assert "Share the hotel sighting with the police." in entry_a.rationale
    assert "CSE nurse" in entry_a.rationale
    entry_b = ChronologyEntry.objects.get(child_id=other.child_id, kind="meeting.discussed")
    assert entry_b.source_id == item_b.pk
    assert "Settled at school" in entry_b.rationale
    about_b = " ".join(ChronologyEntry.objects.filter(child_id=other.child_id).values_list("rationale", flat=True))
    for secret in ("hotel", "Hotel", "Astra", "High"):
        assert secret not in about_b
    assert not ChronologyEntry.objects.filter(child_id=other.child_id, source_id=item_a.pk).exists()


# Reading ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["governance", "other_team_member", "case_holder"])
def test_the_whole_meeting_is_for_the_team_only(who: str, crew: Crew, weekly: Weekly, ra_case: Case) -> None:
    meeting = weekly()
    assert meeting_get_for_user(user=crew["practitioner"], public_id=meeting.public_id) == meeting

    with pytest.raises(Http404):
        meeting_get_for_user(user=crew[who], public_id=meeting.public_id)


def test_the_case_holder_sees_their_childs_part_and_not_another_childs(
    crew: Crew, weekly: Weekly, ra_case: Case, new_case: NewCase
) -> None:
    other = new_case()
    case_holder_set(case=ra_case, by=crew["tm"], based_on_version=ra_case.version, holder=crew["case_holder"])
    meeting = weekly()
    item_a, item_b = _item(meeting, ra_case), _item(meeting, other)

    seen = item_get_for_user(
        user=crew["case_holder"], meeting_public_id=meeting.public_id, item_public_id=item_a.public_id
    )

    assert seen == item_a
    with pytest.raises(Http404):
        item_get_for_user(
            user=crew["case_holder"], meeting_public_id=meeting.public_id, item_public_id=item_b.public_id
        )
    with pytest.raises(Http404):
        item_get_for_user(
            user=crew["other_case_holder"], meeting_public_id=meeting.public_id, item_public_id=item_a.public_id
        )
    assert items_for_child(user=crew["case_holder"], child_id=ra_case.child_id) == [item_a]
    assert items_for_child(user=crew["case_holder"], child_id=other.child_id) == []


def test_items_for_child_lists_the_meetings_that_discussed_the_child_latest_first(
    crew: Crew, weekly: Weekly, ra_case: Case
) -> None:
    first, second = weekly(days=1), weekly(days=8)  # still waiting for the risk-assessment discussion: on both

    listed = items_for_child(user=crew["nurse"], child_id=ra_case.child_id)

    assert [item.meeting_id for item in listed] == [second.pk, first.pk]
    assert items_for_child(user=crew["governance"], child_id=ra_case.child_id) == []
    assert items_for_child(user=crew["other_team_member"], child_id=ra_case.child_id) == []


# Strategy discussions and CIN meetings ------------------------------------------------------------------------------


def test_closing_a_strategy_discussion_meets_its_24_hour_clock(crew: Crew, new_case: NewCase, police: Agency) -> None:
    case = new_case(DecisionKind.STRATEGY_DISCUSSION)
    decision = case.decisions.first()
    assert decision is not None
    clocks = deadlines_for_subjects(subject_type="decision", subject_ids=[decision.pk])[decision.pk]
    assert clocks and all(d.met_at is None for d in clocks)
    held_at = timezone.now()

    meeting = meeting_for_decision(
        decision=decision, by=crew["ds"], kind=MeetingKind.STRATEGY_DISCUSSION, starts_at=held_at, place="Police HQ"
    )

    assert (meeting.chair, meeting.chair_seat, meeting.decision) == (
        crew["ds"],
        ChairSeat.DETECTIVE_SERGEANT,
        decision,
    )
    item = AgendaItem.objects.get(meeting=meeting)
    assert (item.child_id, item.source) == (case.child_id, AgendaList.STRATEGY_OR_CIN)
    _attend(meeting, crew["ds"], police)
    _discuss(item, crew["ds"], "Police, health and social care agreed a section 47 enquiry.")

    meeting_close(meeting=meeting, by=crew["ds"])

    clocks = deadlines_for_subjects(subject_type="decision", subject_ids=[decision.pk])[decision.pk]
    assert clocks and all(d.met_at == held_at for d in clocks)
    assert ChronologyEntry.objects.filter(child_id=case.child_id, kind="case.strategy_discussion").count() == 1
    assert ChronologyEntry.objects.filter(child_id=case.child_id, kind="meeting.discussed").count() == 1


def test_a_cin_meeting_is_recorded_for_an_urgent_cin_decision(crew: Crew, new_case: NewCase, police: Agency) -> None:
    case = new_case(DecisionKind.URGENT_CIN)
    decision = case.decisions.first()
    assert decision is not None

    meeting = meeting_for_decision(
        decision=decision, by=crew["tm"], kind=MeetingKind.CIN_MEETING, starts_at=timezone.now()
    )

    assert (meeting.kind, meeting.chair_seat, meeting.team_id) == (
        MeetingKind.CIN_MEETING,
        ChairSeat.TEAM_MANAGER,
        case.team_id,
    )
    item = AgendaItem.objects.get(meeting=meeting)
    assert item.child_id == case.child_id
    _attend(meeting, crew["tm"], police)
    _discuss(item, crew["tm"], "Plan agreed with the family.")
    assert meeting_close(meeting=meeting, by=crew["tm"]).is_closed
    assert ChronologyEntry.objects.filter(child_id=case.child_id, kind="meeting.discussed").count() == 1


def test_a_strategy_discussion_needs_a_decision_that_called_one(crew: Crew, ra_case: Case) -> None:
    decision = ra_case.decisions.first()
    assert decision is not None

    with pytest.raises(ValidationError) as refused:
        meeting_for_decision(
            decision=decision, by=crew["tm"], kind=MeetingKind.STRATEGY_DISCUSSION, starts_at=timezone.now()
        )

    assert "kind" in refused.value.message_dict
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("who", ["practitioner", "case_holder", "other_team_member"])
def test_only_the_team_manager_and_ds_record_a_strategy_discussion(who: str, crew: Crew, new_case: NewCase) -> None:
    case = new_case(DecisionKind.STRATEGY_DISCUSSION)
    decision = case.decisions.first()
    assert decision is not None

    with pytest.raises(MeetingRefused):
        meeting_for_decision(
            decision=decision, by=crew[who], kind=MeetingKind.STRATEGY_DISCUSSION, starts_at=timezone.now()
        )
    assert not Meeting.objects.exists()


def test_a_reconvened_strategy_discussion_is_not_left_impossible_to_close(
    crew: Crew, new_case: NewCase, police: Agency
) -> None:
    case = new_case(DecisionKind.STRATEGY_DISCUSSION)
    decision = case.decisions.first()
    assert decision is not None
    for note in ("First discussion.", "Reconvened with the school."):
        try:
            meeting = meeting_for_decision(
                decision=decision, by=crew["ds"], kind=MeetingKind.STRATEGY_DISCUSSION, starts_at=timezone.now()
            )
        except (ValidationError, MeetingRefused):
            return  # refusing the second one up front is fine too
        _attend(meeting, crew["ds"], police)
        _discuss(AgendaItem.objects.get(meeting=meeting), crew["ds"], note)
        assert meeting_close(meeting=meeting, by=crew["ds"]).is_closed
