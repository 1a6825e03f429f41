"""Every change to the daily review and to a child's Evolve case. Each checks who may make it, refuses with a clear
message and changes nothing when it cannot be made, and records the step in the child's chronology."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from evolve.access import gate
from evolve.access.grants import child_access_grant, child_access_granted_directly, child_access_revoke
from evolve.access.models import InformationShare, LawfulBasis, ShareConsent
from evolve.access.sharing import information_share_record
from evolve.accounts.models import Agency, User
from evolve.accounts.roles import Role
from evolve.accounts.selectors import users_with_role
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.cases.models import (
    ADVICE_DECISIONS,
    DECISION_SUBJECT,
    OPENING_DECISIONS,
    AgencyCheck,
    Allocation,
    AllocationRole,
    Case,
    CaseNote,
    CaseStatusChange,
    ChildWords,
    Decision,
    DecisionKind,
    DecisionView,
    Escalation,
)
from evolve.cases.permissions import (
    NOTE_SOURCE,
    decision_seat,
    may_answer_check,
    may_decide,
    may_manage_case,
    may_resolve_escalation,
    may_restrict_note,
    may_share_note,
    may_write_on_case,
)
from evolve.cases.selectors import latest_views
from evolve.chronology.services import chronology_record
from evolve.clock.config import timescale_for
from evolve.clock.models import DeadlineKind
from evolve.clock.selectors import deadlines_for_subjects
from evolve.clock.services import deadline_meet, deadline_start
from evolve.notifications.services import notify
from evolve.people.models import Child
from evolve.people.services import child_open_to_team
from evolve.versioning import locked_at_version, saved_with_new_version
from referrals.selectors import referral_for_update
from referrals.services import referral_evolve_acknowledge, referral_evolve_decide
from referrals.states import State
from risk.models import RiskAssessment
from risk.services import assessment_agree

CASE_SUBJECT = "case"


class CaseRefused(Exception):
    """A step this person may not take, or not now. The message says why, for the user; nothing was changed."""


class CaseConflict(Exception):
    """Someone else changed the case after the version this change was based on."""

    def __init__(self, current: Case) -> None:
        super().__init__(
            "Someone else changed this case while you were working on it. Check what they did, then try again"
        )
        self.current = current


def _required(value: str, field: str, message: str) -> str:
    if not (value or "").strip():
        raise ValidationError({field: message})
    return value.strip()


def _who(user: User) -> str:
    agency = f" ({user.agency.short_name})" if user.agency else ""
    return f"{user.display_name}{agency}"


def _record(
    *, child_id: int | None, by: User, kind: str, summary: str, source_type: str, source_id: int, **extra: Any
) -> None:
    assert child_id is not None, "a referral in the daily review is always about a child's record"
    chronology_record(
        child_id=child_id, by=by, kind=kind, summary=summary, source_type=source_type, source_id=source_id, **extra
    )


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "j M Y H:i")


def _case_url(case: Case) -> str:
    return reverse("cases:case-detail", args=[case.public_id])


def _review_url(referral: Any) -> str:
    return reverse("cases:review-detail", args=[referral.public_id])


def _locked_case(case: Case, based_on_version: int | None = None) -> Case:
    return locked_at_version(
        Case.objects.select_related("child"), pk=case.pk, based_on_version=based_on_version, conflict=CaseConflict
    )


def _check_waiting(referral: Any) -> None:
    if referral.state != State.CO_ALLOCATED:
        raise CaseRefused("This referral is no longer waiting for the daily review: it has been decided")


# Access that follows the work ------------------------------------------------------------------------------------


def _grant_for_work(*, case: Case, to: User, by: User, why: str) -> None:
    """Someone allocated to the child (or holding the case, or the key individual) may see the child's record:
    a grant through the permission framework, an entry in the information-sharing ledger, and the access log."""
    if to.has_role(Role.GOVERNANCE):
        raise ValidationError({"user": "The governance group sees figures only, never a child's record"})
    if child_access_granted_directly(child=case.child, user=to):
        return
    child_access_grant(child=case.child, user=to)
    information_share_record(
        child_id=case.child_id,
        what=f"The child's record and Evolve case ({why})",
        by=by,
        to_user=to,
        lawful_basis=LawfulBasis.PUBLIC_TASK,
        consent=ShareConsent.NOT_SOUGHT,
        reason_without_consent="Access follows the work: they were given a role on the child's case",
        source_type=CASE_SUBJECT,
        source_id=case.pk,
    )
    record_access(user=by, children=[case.child], action=AccessAction.GRANTED, what=f"user {to.pk}: {why}")


def _still_working(case: Case, user: User) -> bool:
    current = Allocation.objects.filter(case=case, user=user, end_on__isnull=True).exists()
    return current or case.case_holder_id == user.pk or case.key_individual_id == user.pk


def _revoke_if_done(*, case: Case, user: User | None, by: User) -> None:
    """The work has ended: so does the sight it gave, unless the person still works on the case or a manager
    granted them the record for another reason (a ledger entry for the whole record)."""
    if user is None or _still_working(case, user):
        return
    granted_otherwise = InformationShare.objects.filter(child_id=case.child_id, to_user=user, source_type="").exists()
    if granted_otherwise:
        return
    child_access_revoke(child=case.child, user=user)
    record_access(user=by, children=[case.child], action=AccessAction.UPDATED, what=f"user {user.pk}: access ended")


# Agency checks -----------------------------------------------------------------------------------------------------


def _deciding_member(by: User, referral: Any) -> None:
    if not may_decide(by) or referral.team_id != by.team_id:
        raise CaseRefused("Only the team manager and the detective sergeant of the team can do this")


@transaction.atomic
def agency_check_request(
    *, referral: Any, by: User, agency: Agency, owner: User, due_at: datetime, question: str = ""
) -> AgencyCheck:
    """Ask one agency (in the team or outside it) to check and supplement what it holds about the child."""
    _deciding_member(by, referral)
    referral = referral_for_update(referral_id=referral.pk)
    _check_waiting(referral)
    errors: dict[str, str] = {}
    if owner.agency_id != agency.pk or not owner.is_active:
        errors["owner"] = f"Choose someone who works for {agency.name}"
    elif owner.has_role(Role.GOVERNANCE, Role.ADMINISTRATOR):
        errors["owner"] = "Choose someone who works with children's records: not governance or administration"
    if due_at <= timezone.now():
        errors["due_at"] = "The due time must be in the future"
    if AgencyCheck.objects.filter(referral=referral, agency=agency).exists():
        errors["agency"] = f"{agency.name} has already been asked about this referral"
    if errors:
        raise ValidationError(errors)
    check = AgencyCheck.objects.create(
        referral=referral, agency=agency, owner=owner, due_at=due_at, question=question.strip(), requested_by=by
    )
    referral_evolve_acknowledge(referral=referral)
    _record(
        child_id=referral.child_id,
        by=by,
        kind="case.agency_check_requested",
        summary=f"{_who(by)} asked {agency.short_name} to check what it holds, by {_when(due_at)}",
        source_type="agency_check",
        source_id=check.pk,
    )
    notify(
        users=[owner],
        subject="Evolve asks your agency to check what it holds",
        body="The Evolve team asks you to check your agency's records about a referred child, by the due time.",
        url=reverse("cases:check-detail", args=[check.public_id]),
    )
    return check


def team_agency_owners(*, referral: Any) -> list[tuple[Agency, User]]:
    """For "ask every team agency": each agency of the referral's team not yet asked, with the person to ask (a
    practitioner of that agency in the team, else its manager in the team)."""
    asked = set(AgencyCheck.objects.filter(referral_id=referral.pk).values_list("agency_id", flat=True))
    members = (
        User.objects.filter(team_id=referral.team_id, is_active=True, agency__isnull=False)
        .exclude(agency_id__in=asked)
        .select_related("agency")
        .order_by("agency__name", "username")
    )
    chosen: dict[int, tuple[Agency, User]] = {}
    # Practitioners first; the sort is stable, so each agency's first by username among them (or among the rest).
    for member in sorted(members, key=lambda member: not member.has_role(Role.PRACTITIONER)):
        assert member.agency is not None
        chosen.setdefault(member.agency.pk, (member.agency, member))
    return sorted(chosen.values(), key=lambda pair: pair[0].name)


@transaction.atomic
def agency_checks_request_team(*, referral: Any, by: User, due_at: datetime) -> list[AgencyCheck]:
    """Ask every team agency not yet asked, each with an owner and the same due time."""
    owners = team_agency_owners(referral=referral)
    if not owners:
        raise ValidationError({"due_at": "Every agency in the team has already been asked"})
    return [
        agency_check_request(referral=referral, by=by, agency=agency, owner=owner, due_at=due_at)
        for agency, owner in owners
    ]


@transaction.atomic
def agency_check_answer(*, check: AgencyCheck, by: User, holds_information: bool, answer: str) -> AgencyCheck:
    if not may_answer_check(by, check):
        raise CaseRefused("Only the person asked, or a team member of that agency, can answer this check")
    check = AgencyCheck.objects.select_for_update().get(pk=check.pk)
    if check.answered_at is not None:
        raise CaseRefused("This check has already been answered")
    if holds_information:
        answer = _required(answer, "answer", "Say what your agency holds")
    check.holds_information, check.answer = holds_information, answer.strip()
    check.answered_at, check.answered_by = timezone.now(), by
    check.save(update_fields=["holds_information", "answer", "answered_at", "answered_by"])
    held = "holds information" if holds_information else "holds nothing"
    referral = referral_for_update(referral_id=check.referral_id)
    _record(
        child_id=referral.child_id,
        by=by,
        kind="case.agency_check_answered",
        summary=f"{_who(by)} answered the agency check: {held}",
        source_type="agency_check",
        source_id=check.pk,
    )
    notify(
        users=[check.requested_by],
        subject="An agency has answered a check",
        body="An agency has answered your request to check what it holds about a referred child.",
        url=_review_url(referral),
    )
    return check


# The decision --------------------------------------------------------------------------------------------------------


def _open_escalation(referral_id: int) -> Escalation | None:
    return Escalation.objects.filter(referral_id=referral_id, resolved_at__isnull=True).first()


@dataclass(frozen=True)
class DecisionOutcome:
    decision: Decision | None
    agreed: bool
    disagreed: bool


@transaction.atomic
def decision_view_record(*, referral: Any, by: User, kind: str, rationale: str, advice: str = "") -> DecisionOutcome:
    """The team manager or the detective sergeant records what they decide. When both have, and agree, the decision
    is made; when they differ, the page says so and either may change their view or escalate."""
    _deciding_member(by, referral)
    if kind not in DecisionKind.values:
        raise ValidationError({"kind": "Select a decision"})
    rationale = _required(rationale, "rationale", "Give the reasons for the decision")
    if kind in ADVICE_DECISIONS:
        advice = _required(advice, "advice", "Write the advice for the referrer: it goes in the letter to them")
    referral = referral_for_update(referral_id=referral.pk)
    _check_waiting(referral)
    if _open_escalation(referral.pk) is not None:
        raise CaseRefused("The decision has been escalated: the service manager decides it now")
    seat = decision_seat(by)
    view = DecisionView.objects.create(
        referral=referral, seat=seat, by=by, kind=kind, rationale=rationale, advice=advice.strip()
    )
    referral_evolve_acknowledge(referral=referral)
    _record(
        child_id=referral.child_id,
        by=by,
        kind="case.decision_view",
        summary=f"{DecisionView.Seat(seat).label} {_who(by)}: {DecisionKind(kind).label}",
        rationale=rationale,
        source_type="decision_view",
        source_id=view.pk,
    )
    views = latest_views(referral_ids=[referral.pk])[referral.pk]
    other_seat = (
        DecisionView.Seat.DETECTIVE_SERGEANT
        if seat == DecisionView.Seat.TEAM_MANAGER
        else DecisionView.Seat.TEAM_MANAGER
    )
    other = views.get(other_seat)
    if other is not None and other.kind == kind:
        tm, ds = views[DecisionView.Seat.TEAM_MANAGER], views[DecisionView.Seat.DETECTIVE_SERGEANT]
        decision = _decide(
            referral=referral,
            by=by,
            kind=kind,
            rationale=f"Team manager: {tm.rationale}\n\nDetective sergeant: {ds.rationale}",
            advice=view.advice or other.advice,
            tm_view=tm,
            ds_view=ds,
        )
        return DecisionOutcome(decision=decision, agreed=True, disagreed=False)
    role = Role.DETECTIVE_SERGEANT if other_seat == DecisionView.Seat.DETECTIVE_SERGEANT else Role.TEAM_MANAGER
    notify(
        users=users_with_role(roles=[role], team=referral.team).exclude(pk=by.pk),
        subject="A referral needs your view" if other is None else "You and your colleague differ on a decision",
        body=(
            "Your colleague has recorded a decision on a referral in the daily review: record yours."
            if other is None
            else "You and your colleague recorded different decisions on a referral: agree one, or escalate."
        ),
        url=_review_url(referral),
    )
    return DecisionOutcome(decision=None, agreed=False, disagreed=other is not None)


def _advice_letter(referral: Any, kind: str, advice: str) -> str:
    child_first = referral.child.first_name if referral.child else referral.child_first_name
    received = date_format(timezone.localtime(referral.submitted_at), "j F Y") if referral.submitted_at else ""
    lines = [
        f"Dear {referral.referrer.display_name},",
        "",
        f"Thank you for your referral about {child_first}" + (f", received on {received}." if received else "."),
        "The Evolve team manager and detective sergeant have reviewed it together, with what each agency holds.",
        "",
        f"Our decision: {DecisionKind(kind).label}.",
        "",
        advice,
        "",
        "If you become worried that the child is at risk of significant harm, refer again at once. "
        "If a child is in immediate danger, call 999.",
        "",
        "The Evolve team",
    ]
    return "\n".join(lines)


def _decide(
    *,
    referral: Any,
    by: User,
    kind: str,
    rationale: str,
    advice: str = "",
    tm_view: DecisionView | None = None,
    ds_view: DecisionView | None = None,
    escalation: Escalation | None = None,
) -> Decision:
    """Make the decision and its consequences, all or nothing (the callers' transaction)."""
    label = DecisionKind(kind).label
    letter = _advice_letter(referral, kind, advice) if kind in ADVICE_DECISIONS else ""
    how = (
        f"decided by {_who(by)} on escalation"
        if escalation
        else f"agreed by the team manager {_who(tm_view.by) if tm_view else ''} and the detective sergeant "
        f"{_who(ds_view.by) if ds_view else ''}"
    )
    referral_evolve_decide(
        referral=referral,
        by=by,
        summary=f"Evolve decision: {label} ({how})",
        rationale=rationale,
        outcome=label,
        letter=letter,
    )
    case = None
    if kind in OPENING_DECISIONS:
        case = _case_open_for(referral=referral, by=by, reason=f"Daily review decision: {label}")
    decision = Decision.objects.create(
        referral=referral,
        case=case,
        kind=kind,
        rationale=rationale,
        team_manager_view=tm_view,
        detective_sergeant_view=ds_view,
        escalation=escalation,
        decided_at=timezone.now(),
        decided_by=by,
        letter=letter,
    )
    # The referral's step (referral_evolve_decide above) has already put the decision in the chronology.
    team_leads = users_with_role(roles=[Role.TEAM_MANAGER, Role.DETECTIVE_SERGEANT], team=referral.team)
    if kind == DecisionKind.STRATEGY_DISCUSSION:
        unit, amount = timescale_for(DeadlineKind.STRATEGY_DISCUSSION)
        deadline_start(
            kind=DeadlineKind.STRATEGY_DISCUSSION,
            unit=unit,
            amount=amount,
            subject_type=DECISION_SUBJECT,
            subject_id=decision.pk,
        )
        assert case is not None
        notify(
            users=[*team_leads, *([case.case_holder] if case.case_holder else [])],
            subject="An Immediate Strategy Discussion is due within 24 hours",
            body="The daily review decided an Immediate Strategy Discussion. Hold it within 24 hours.",
            url=_case_url(case),
        )
    elif kind == DecisionKind.URGENT_CIN:
        assert case is not None
        case.urgent_cin_since = timezone.now()
        saved_with_new_version(case, "urgent_cin_since")
        _flag_urgent_cin(case)
    elif kind == DecisionKind.RISK_ASSESSMENT_MEETING:
        assert case is not None
        if case.awaiting_ra_meeting_since is None:
            case.awaiting_ra_meeting_since = timezone.now()
            saved_with_new_version(case, "awaiting_ra_meeting_since")
    return decision


def _flag_urgent_cin(case: Case) -> None:
    if case.case_holder is None:
        return  # flagged when a case-holding social worker is named (case_holder_set)
    notify(
        users=[case.case_holder],
        subject="Urgent Child in Need intervention",
        body="The Evolve daily review decided an urgent Child in Need intervention for a child whose case you hold.",
        url=_case_url(case),
    )


def _case_open_for(*, referral: Any, by: User, reason: str) -> Case:
    """Open (or re-open) the child's case with the referral's team. A social worker who referred the child on the
    CSE Referral Form holds the case."""
    child: Child = referral.child
    team = referral.team
    child_open_to_team(child=child, team=team, by=by)
    case = Case.objects.select_for_update().filter(child=child, team=team).first()
    if case is None:
        case = Case.objects.create(child=child, team=team, opened_at=timezone.now(), opened_by=by)
        CaseStatusChange.objects.create(case=case, change=CaseStatusChange.Change.OPENED, by=by, reason=reason)
        _record(
            child_id=child.pk,
            by=by,
            kind="case.opened",
            summary="Case opened to Evolve",
            rationale=reason,
            source_type=CASE_SUBJECT,
            source_id=case.pk,
        )
    elif case.closed_at is not None:
        _reopen(case, by, reason)
    case.child = child
    referrer = referral.referrer
    if case.case_holder_id is None and referrer.has_role(Role.CASE_HOLDING_SOCIAL_WORKER):
        case.case_holder = referrer
        saved_with_new_version(case, "case_holder")
        _grant_for_work(case=case, to=referrer, by=by, why="case-holding social worker")
    return case


def _reopen(case: Case, by: User, reason: str) -> None:
    case.closed_at, case.closure_reason = None, ""
    saved_with_new_version(case, "closed_at", "closure_reason")
    CaseStatusChange.objects.create(case=case, change=CaseStatusChange.Change.REOPENED, by=by, reason=reason)
    _record(
        child_id=case.child_id,
        by=by,
        kind="case.reopened",
        summary="Case re-opened",
        rationale=reason,
        source_type=CASE_SUBJECT,
        source_id=case.pk,
    )


@transaction.atomic
def decision_escalate(*, referral: Any, by: User, note: str) -> Escalation:
    """The team manager and the detective sergeant disagree: the next manager of each service decides."""
    _deciding_member(by, referral)
    referral = referral_for_update(referral_id=referral.pk)
    _check_waiting(referral)
    views = latest_views(referral_ids=[referral.pk])[referral.pk]
    if len(views) < 2 or len({view.kind for view in views.values()}) < 2:
        raise CaseRefused("Only a disagreement is escalated: both must have recorded different decisions")
    if _open_escalation(referral.pk) is not None:
        raise CaseRefused("This disagreement has already been escalated")
    note = _required(note, "note", "Say what you disagree about, for the service manager")
    escalation = Escalation.objects.create(referral=referral, raised_by=by, note=note)
    agencies = {view.by.agency_id for view in views.values() if view.by.agency_id}
    escalation.agencies.set(agencies)
    _record(
        child_id=referral.child_id,
        by=by,
        kind="case.escalated",
        summary=f"{_who(by)} escalated a disagreement on the decision to the service managers",
        rationale=note,
        source_type="escalation",
        source_id=escalation.pk,
    )
    notify(
        users=users_with_role(roles=[Role.SERVICE_MANAGER]).filter(agency_id__in=agencies),
        subject="A disagreement in the Evolve daily review needs your decision",
        body="The Evolve team manager and detective sergeant disagree on a referral's decision. Please decide it.",
        url=reverse("cases:escalation-detail", args=[escalation.public_id]),
    )
    return escalation


@transaction.atomic
def escalation_resolve(*, escalation: Escalation, by: User, kind: str, rationale: str, advice: str = "") -> Decision:
    if not may_resolve_escalation(by, escalation):
        raise CaseRefused("Only a service manager of the agencies involved can resolve this escalation")
    if kind not in DecisionKind.values:
        raise ValidationError({"kind": "Select a decision"})
    rationale = _required(rationale, "rationale", "Give the reasons for your decision")
    if kind in ADVICE_DECISIONS:
        advice = _required(advice, "advice", "Write the advice for the referrer: it goes in the letter to them")
    escalation = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if escalation.resolved_at is not None:
        raise CaseRefused("This escalation has already been resolved")
    referral = referral_for_update(referral_id=escalation.referral_id)
    _check_waiting(referral)
    views = latest_views(referral_ids=[referral.pk])[referral.pk]
    decision = _decide(
        referral=referral,
        by=by,
        kind=kind,
        rationale=rationale,
        advice=advice,
        tm_view=views.get(DecisionView.Seat.TEAM_MANAGER),
        ds_view=views.get(DecisionView.Seat.DETECTIVE_SERGEANT),
        escalation=escalation,
    )
    escalation.resolved_at, escalation.resolved_by = timezone.now(), by
    escalation.save(update_fields=["resolved_at", "resolved_by"])
    notify(
        users=users_with_role(roles=[Role.TEAM_MANAGER, Role.DETECTIVE_SERGEANT], team=referral.team),
        subject="An escalated decision has been made",
        body="The service manager has decided a referral you escalated.",
        url=_review_url(referral),
    )
    return decision


@transaction.atomic
def strategy_discussion_held(*, decision: Decision, by: User, held_at: datetime, note: str) -> Decision:
    """The Immediate Strategy Discussion took place: its 24-hour clock is met at the time it was held."""
    if decision.case is None or not may_manage_case(by, decision.case):
        raise CaseRefused("Only the team manager and the detective sergeant record the strategy discussion")
    if decision.kind != DecisionKind.STRATEGY_DISCUSSION:
        raise CaseRefused("This decision did not call for a strategy discussion")
    _open(Case.objects.get(pk=decision.case.pk))
    if held_at > timezone.now():
        raise ValidationError({"held_at": "The strategy discussion cannot have been held in the future"})
    if held_at < decision.decided_at:
        raise ValidationError({"held_at": "The strategy discussion was called after that time"})
    note = _required(note, "note", "Record who attended and what was agreed")
    open_clocks = [
        d
        for d in deadlines_for_subjects(subject_type=DECISION_SUBJECT, subject_ids=[decision.pk])[decision.pk]
        if d.met_at is None
    ]
    if not open_clocks:
        raise CaseRefused("The strategy discussion has already been recorded")
    for deadline in open_clocks:
        deadline_meet(deadline=deadline, at=held_at)
    _record(
        child_id=decision.case.child_id,
        by=by,
        kind="case.strategy_discussion",
        summary="Immediate Strategy Discussion held",
        rationale=note,
        source_type=DECISION_SUBJECT,
        source_id=decision.pk,
        occurred_at=held_at,
    )
    return decision


# The case -----------------------------------------------------------------------------------------------------------


def _manager_of(by: User, case: Case) -> None:
    if not may_manage_case(by, case):
        raise CaseRefused("Only the team manager and the detective sergeant of the team can change this")


def _open(case: Case) -> None:
    if case.closed_at is not None:
        raise CaseRefused("The case is closed: re-open it first")


@transaction.atomic
def case_holder_set(*, case: Case, by: User, based_on_version: int, holder: User) -> Case:
    _manager_of(by, case)
    current = _locked_case(case, based_on_version)
    _open(current)
    if not holder.has_role(Role.CASE_HOLDING_SOCIAL_WORKER) or not holder.is_active:
        raise ValidationError({"holder": "Choose a social worker from the wider service who holds cases"})
    if current.case_holder_id == holder.pk:
        raise ValidationError({"holder": f"{holder.display_name} already holds the case"})
    previous = current.case_holder
    current.case_holder = holder
    saved_with_new_version(current, "case_holder")
    _grant_for_work(case=current, to=holder, by=by, why="case-holding social worker")
    _revoke_if_done(case=current, user=previous, by=by)
    _record(
        child_id=current.child_id,
        by=by,
        kind="case.case_holder",
        summary=f"Case-holding social worker: {_who(holder)}",
        source_type=CASE_SUBJECT,
        source_id=current.pk,
    )
    notify(
        users=[holder],
        subject="You hold a child's case open to Evolve",
        body="You have been named as the case-holding social worker on a child's case open to the Evolve team.",
        url=_case_url(current),
    )
    if current.urgent_cin_since is not None:
        _flag_urgent_cin(current)
    return current


@transaction.atomic
def allocation_add(*, case: Case, by: User, user: User, role: str, start_on: date) -> Allocation:
    _manager_of(by, case)
    case = _locked_case(case)
    _open(case)
    if role not in AllocationRole.values:
        raise ValidationError({"role": "Select the role on the case"})
    if not user.is_active:
        raise ValidationError({"user": "Choose someone who can sign in"})
    in_team = user.team_id == case.team_id and user.is_team_member
    if not (in_team or user.has_role(Role.CASE_HOLDING_SOCIAL_WORKER)) or user.has_role(
        Role.GOVERNANCE, Role.ADMINISTRATOR
    ):
        raise ValidationError({"user": "Allocate a member of the team or a case-holding social worker"})
    if Allocation.objects.filter(case=case, user=user, role=role, end_on__isnull=True).exists():
        raise ValidationError({"user": f"{user.display_name} already holds that role on this case"})
    if start_on > timezone.localdate():
        raise ValidationError({"start_on": "The start date cannot be in the future"})
    allocation = Allocation.objects.create(case=case, user=user, role=role, start_on=start_on, created_by=by)
    label = AllocationRole(role).label
    _grant_for_work(case=case, to=user, by=by, why=label.lower())
    saved_with_new_version(case)
    _record(
        child_id=case.child_id,
        by=by,
        kind="case.allocation",
        summary=f"Allocated: {_who(user)} as {label.lower()}",
        source_type=CASE_SUBJECT,
        source_id=case.pk,
    )
    notify(
        users=[user],
        subject="You have been allocated to a child's case",
        body=f"You have been allocated to a child's Evolve case as {label.lower()}.",
        url=_case_url(case),
    )
    return allocation


@transaction.atomic
def allocation_end(*, allocation: Allocation, by: User, end_on: date) -> Allocation:
    case = allocation.case
    _manager_of(by, case)
    allocation = Allocation.objects.select_for_update().select_related("user").get(pk=allocation.pk)
    if allocation.end_on is not None:
        raise CaseRefused("That allocation has already ended")
    if end_on < allocation.start_on:
        raise ValidationError({"end_on": "The end date cannot be before the allocation started"})
    if end_on > timezone.localdate():
        raise ValidationError({"end_on": "The end date cannot be in the future"})
    allocation.end_on = end_on
    allocation.save(update_fields=["end_on"])
    case = _locked_case(case)
    saved_with_new_version(case)
    _revoke_if_done(case=case, user=allocation.user, by=by)
    _record(
        child_id=case.child_id,
        by=by,
        kind="case.allocation_ended",
        summary=f"Allocation ended: {_who(allocation.user)} as {allocation.get_role_display().lower()}",
        source_type=CASE_SUBJECT,
        source_id=case.pk,
    )
    return allocation


@transaction.atomic
def key_individual_set(
    *, case: Case, by: User, based_on_version: int, user: User | None = None, name: str = "", organisation: str = ""
) -> Case:
    """The one practitioner who keeps the primary relationship with the child: a user, or someone outside the team
    named with their organisation."""
    _manager_of(by, case)
    current = _locked_case(case, based_on_version)
    _open(current)
    if user is None:
        name = _required(name, "name", "Choose a practitioner, or give the name of someone outside the team")
        organisation = _required(organisation, "organisation", "Give their organisation")
    previous = current.key_individual
    current.key_individual = user
    current.key_individual_name = "" if user else name
    current.key_individual_organisation = "" if user else organisation
    saved_with_new_version(current, "key_individual", "key_individual_name", "key_individual_organisation")
    if user is not None:
        _grant_for_work(case=current, to=user, by=by, why="key individual")
    if previous is not None and previous != user:
        _revoke_if_done(case=current, user=previous, by=by)
    _record(
        child_id=current.child_id,
        by=by,
        kind="case.key_individual",
        summary=f"Key individual: {current.key_individual_label}",
        source_type=CASE_SUBJECT,
        source_id=current.pk,
    )
    return current


@transaction.atomic
def case_review_date_set(*, case: Case, by: User, based_on_version: int, next_review_on: date) -> Case:
    _manager_of(by, case)
    current = _locked_case(case, based_on_version)
    _open(current)
    if next_review_on < timezone.localdate():
        raise ValidationError({"next_review_on": "The next review date cannot be in the past"})
    current.next_review_on = next_review_on
    saved_with_new_version(current, "next_review_on")
    _record(
        child_id=current.child_id,
        by=by,
        kind="case.review_date",
        summary=f"Next review: {date_format(next_review_on, 'j F Y')}",
        source_type=CASE_SUBJECT,
        source_id=current.pk,
    )
    return current


@transaction.atomic
def risk_level_agree(
    *, case: Case, assessment: RiskAssessment, by: User, level: str, rationale: str, where: str
) -> Case:
    """A meeting agreed the child's risk level: it is agreed on the child's latest risk assessment (which keeps it
    with its rationale), and the case takes the level and the assessment's next review date. The child has had
    the risk-assessment discussion the daily review asked for, and an urgent CIN intervention its risk assessment."""
    if assessment.child_id != case.child_id or assessment.team_id != case.team_id:
        raise CaseRefused("That risk assessment is not about this child")
    case = _locked_case(case)
    _open(case)
    assessment_agree(assessment=assessment, by=by, level=level, rationale=rationale, where=where)
    case.risk_level = level
    case.next_review_on = assessment.next_review_on
    case.awaiting_ra_meeting_since = None
    case.urgent_cin_since = None
    return saved_with_new_version(case, "risk_level", "next_review_on", "awaiting_ra_meeting_since", "urgent_cin_since")


@transaction.atomic
def case_close(*, case: Case, by: User, based_on_version: int, reason: str) -> Case:
    """Closed when risk is reduced, with the reason. Current allocations end today; the history stays."""
    _manager_of(by, case)
    current = _locked_case(case, based_on_version)
    _open(current)
    reason = _required(reason, "reason", "Give the reason for closing the case")
    today = timezone.localdate()
    ending = list(Allocation.objects.filter(case=current, end_on__isnull=True).select_related("user"))
    Allocation.objects.filter(pk__in=[a.pk for a in ending]).update(end_on=today)
    current.closed_at, current.closure_reason = timezone.now(), reason
    current.awaiting_ra_meeting_since = current.urgent_cin_since = None
    saved_with_new_version(current, "closed_at", "closure_reason", "awaiting_ra_meeting_since", "urgent_cin_since")
    for allocation in ending:
        _revoke_if_done(case=current, user=allocation.user, by=by)
    CaseStatusChange.objects.create(case=current, change=CaseStatusChange.Change.CLOSED, by=by, reason=reason)
    _record(
        child_id=current.child_id,
        by=by,
        kind="case.closed",
        summary="Case closed",
        rationale=reason,
        source_type=CASE_SUBJECT,
        source_id=current.pk,
    )
    return current


@transaction.atomic
def case_reopen(*, case: Case, by: User, based_on_version: int, reason: str) -> Case:
    _manager_of(by, case)
    current = _locked_case(case, based_on_version)
    if current.closed_at is None:
        raise CaseRefused("The case is already open")
    reason = _required(reason, "reason", "Give the reason for re-opening the case")
    _reopen(current, by, reason)
    return current


# Notes, the child's words and sharing ------------------------------------------------------------------------------


@transaction.atomic
def case_note_add(*, case: Case, by: User, text: str, restricted: bool = False) -> CaseNote:
    case = Case.objects.select_related("child").get(pk=case.pk)  # who may write is decided on the case as it is now
    _open(case)
    if not may_write_on_case(by, case):
        raise CaseRefused("Only members of the team and the case-holding social worker write on this case")
    text = _required(text, "text", "Write the note")
    if restricted and not may_restrict_note(by):
        raise ValidationError({"restricted": "Only a team member of an agency can restrict a note to their agency"})
    note = CaseNote.objects.create(
        case=case,
        author=by,
        agency_id=by.agency_id,
        text=text,
        restricted_to_agency_id=by.agency_id if restricted else None,
    )
    where = f" (restricted to {by.agency.short_name})" if restricted and by.agency else ""
    _record(
        child_id=case.child_id,
        by=by,
        kind="case.note",
        summary=f"Case note by {_who(by)}{where}",
        rationale=text,
        source_type=NOTE_SOURCE,
        source_id=note.pk,
        restricted_to_agency_id=note.restricted_to_agency_id,
    )
    record_access(user=by, children=[case.child], action=AccessAction.CREATED, what=f"case {case.pk} note {note.pk}")
    return note


@transaction.atomic
def case_note_share(
    *,
    note: CaseNote,
    by: User,
    lawful_basis: str,
    consent: str,
    reason_without_consent: str = "",
    to_user: User | None = None,
    to_agency: Agency | None = None,
) -> InformationShare:
    """The agency that owns a restricted note shares it with a person or an agency: a recorded grant."""
    if not may_share_note(by, note) or not gate.can_see(by, note):
        raise CaseRefused("Only the agency a note is restricted to can share it, and only someone who can see it")
    if (to_user is None) == (to_agency is None):
        raise ValidationError({"to": "Share with one person or one agency"})
    if to_user is not None:
        if to_user.has_role(Role.GOVERNANCE):
            raise ValidationError({"to": "The governance group sees figures only, never a child's record"})
        if not gate.can_see(to_user, note.case):
            raise ValidationError({"to": f"{to_user.display_name} cannot see this child's case: allocate them first"})
        if to_user.agency_id == note.restricted_to_agency_id:
            raise ValidationError({"to": f"{to_user.display_name} is in the agency that holds the note already"})
    if to_agency is not None and to_agency.pk == note.restricted_to_agency_id:
        raise ValidationError({"to": "The note already belongs to that agency"})
    if to_agency is not None and not note.case.team.agencies.filter(pk=to_agency.pk).exists():
        raise ValidationError({"to": "Share with an agency in the team, or with a person on the case"})
    written = date_format(timezone.localtime(note.written_at), "j M Y H:i")
    owner = note.restricted_to_agency.short_name if note.restricted_to_agency else ""
    share = information_share_record(
        child_id=note.case.child_id,
        what=f"Case note of {written} restricted to {owner}",
        by=by,
        to_user=to_user,
        to_agency=to_agency,
        lawful_basis=lawful_basis,
        consent=consent,
        reason_without_consent=reason_without_consent,
        source_type=NOTE_SOURCE,
        source_id=note.pk,
    )
    recipient = f"user {to_user.pk}" if to_user else f"agency {to_agency.pk if to_agency else ''}"
    record_access(
        user=by, children=[note.case.child], action=AccessAction.GRANTED, what=f"note {note.pk} shared with {recipient}"
    )
    if to_user is not None:
        notify(
            users=[to_user],
            subject="A restricted note has been shared with you",
            body="Another agency has shared a restricted case note with you.",
            url=_case_url(note.case),
        )
    return share


@transaction.atomic
def child_words_add(*, case: Case, by: User, kind: str, words: str, said_on: date, context: str = "") -> ChildWords:
    case = Case.objects.select_related("child").get(pk=case.pk)
    _open(case)
    if not may_write_on_case(by, case):
        raise CaseRefused("Only members of the team and the case-holding social worker write on this case")
    if kind not in ChildWords.Kind.values:
        raise ValidationError({"kind": "Select what this records"})
    words = _required(words, "words", "Write what the child said, in their words")
    if said_on > timezone.localdate():
        raise ValidationError({"said_on": "The date cannot be in the future"})
    entry = ChildWords.objects.create(
        case=case, kind=kind, words=words, said_on=said_on, context=context.strip(), recorded_by=by
    )
    _record(
        child_id=case.child_id,
        by=by,
        kind="case.child_words",
        summary=f"The child's words recorded by {_who(by)}: {ChildWords.Kind(kind).label.lower()}",
        rationale=words,
        source_type="child_words",
        source_id=entry.pk,
    )
    return entry
