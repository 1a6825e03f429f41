"""Reading the daily review and the child's case: always through the gate, with every page's cost fixed (a few
queries whatever the number of referrals, notes or allocations), and every child shown written to the access log."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format

from evolve.access import gate
from evolve.access.models import InformationShare
from evolve.access.sharing import ledger_for_child
from evolve.accounts.models import Agency, User
from evolve.accounts.roles import TEAM_ROLES, Role
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.cases.models import (
    DECISION_SUBJECT,
    AgencyCheck,
    Allocation,
    AllocationRole,
    AuditGrade,
    Case,
    CaseAudit,
    CaseNote,
    CaseStatusChange,
    ChildWords,
    Decision,
    DecisionKind,
    DecisionView,
    Escalation,
    QualitySample,
    RiskLevel,
)
from evolve.chronology.models import ChronologyEntry
from evolve.chronology.selectors import chronology_for_child
from evolve.clock.models import Deadline, DeadlineKind
from evolve.clock.selectors import DeadlineStatus, deadline_status, deadlines_for_subjects, open_deadlines
from evolve.people.selectors import children_at_same_address
from mapping.selectors import missing_counts, missing_flag_rule, missing_flagged_child_ids_subquery
from referrals.selectors import (
    referral_counts_by_child,
    referral_deadlines_for,
    referrals_awaiting_evolve_decision,
    referrals_reached_evolve,
)

QUEUE_LIMIT = 200
CHRONOLOGY_SHOWN = 100


@dataclass(frozen=True)
class MissingFlag:
    """The child went missing often: `episodes` missing episodes began in the last `days` days, at least the number
    that flags a child (`mapping.selectors.missing_flag_rule`)."""

    episodes: int
    days: int


def missing_flags(*, child_ids: Iterable[int]) -> dict[int, MissingFlag]:
    """The flagged children among `child_ids`: one grouped query however many children (for a list's rows)."""
    threshold, days = missing_flag_rule()
    counts = missing_counts(child_ids=child_ids)
    return {child: MissingFlag(episodes=count, days=days) for child, count in counts.items() if count >= threshold}


@dataclass(frozen=True)
class CaseRow:
    """A case in a list, with the child's missing flag (None unless the child went missing often)."""

    case: Case
    missing: MissingFlag | None = None


def case_rows(*, cases: Sequence[Case]) -> list[CaseRow]:
    """Cases already read through the gate, each with its child's missing flag: one more query for the whole list."""
    flags = missing_flags(child_ids={case.child_id for case in cases})
    return [CaseRow(case=case, missing=flags.get(case.child_id)) for case in cases]


@dataclass(frozen=True)
class Holds:
    """What the team already holds about the child, for the daily review."""

    referrals: int
    case: Case | None
    # Other children open to the team at the same current address (siblings, a placement, a house of concern).
    same_address: int = 0
    # Set when the child went missing often (three times in 90 days, by default).
    missing: MissingFlag | None = None


@dataclass(frozen=True)
class ReviewRow:
    referral: Any
    deadlines: list[tuple[Deadline, DeadlineStatus]]
    checks: list[AgencyCheck]
    views: dict[str, DecisionView]
    escalation: Escalation | None
    holds: Holds

    @property
    def checks_outstanding(self) -> list[AgencyCheck]:
        return [check for check in self.checks if check.answered_at is None]

    @property
    def disagreed(self) -> bool:
        return len(self.views) == 2 and len({view.kind for view in self.views.values()}) == 2


@dataclass(frozen=True)
class StrategyRow:
    decision: Decision
    deadline: Deadline
    status: DeadlineStatus
    missing: MissingFlag | None = None


@dataclass(frozen=True)
class ReviewQueue:
    waiting: list[ReviewRow]
    strategy_due: list[StrategyRow]
    # Open cases whose risk review date has passed (set from the agreed risk assessment), oldest first.
    reviews_overdue: list[CaseRow] = field(default_factory=list)
    # The team's open cases whose child went missing often (`MissingFlag`), by the child's name.
    missing_often: list[CaseRow] = field(default_factory=list)
    # (episodes, days): the rule that flags a child, for the page to say it.
    missing_rule: tuple[int, int] = (0, 0)
    # The sections holding more than `limit` rows, of which the first `limit` are shown: the page says so.
    cut_short: list[str] = field(default_factory=list)
    limit: int = 0


def latest_views(*, referral_ids: list[int]) -> dict[int, dict[str, DecisionView]]:
    """Each referral's latest view per seat (team manager, detective sergeant). One query."""
    found: dict[int, dict[str, DecisionView]] = {referral_id: {} for referral_id in referral_ids}
    for view in DecisionView.objects.filter(referral_id__in=referral_ids).select_related("by__agency"):
        found[view.referral_id][view.seat] = view  # ordered oldest first, so the latest wins
    return found


def _review_rows(user: User, referrals: Sequence[Any], flags: dict[int, MissingFlag] | None = None) -> list[ReviewRow]:
    """The rows with what the team holds about each child; `flags` when the caller has read them for a longer list."""
    ids = [r.pk for r in referrals]
    checks: dict[int, list[AgencyCheck]] = defaultdict(list)
    for check in gate.visible_to(user, AgencyCheck.objects.filter(referral_id__in=ids)).select_related(
        "agency", "owner"
    ):
        checks[check.referral_id].append(check)
    escalations = {e.referral_id: e for e in Escalation.objects.filter(referral_id__in=ids, resolved_at__isnull=True)}
    views = latest_views(referral_ids=ids)
    deadlines = referral_deadlines_for(referral_ids=ids)
    child_ids = [r.child_id for r in referrals if r.child_id]
    counts = referral_counts_by_child(child_ids=child_ids)
    cases = {case.child_id: case for case in Case.objects.filter(child_id__in=child_ids, team_id=user.team_id or 0)}
    same_address = children_at_same_address(child_ids=child_ids, team_id=user.team_id)
    if flags is None:
        flags = missing_flags(child_ids=child_ids)
    return [
        ReviewRow(
            referral=r,
            deadlines=deadlines.get(r.pk, []),
            checks=checks.get(r.pk, []),
            views=views.get(r.pk, {}),
            escalation=escalations.get(r.pk),
            holds=Holds(
                referrals=counts.get(r.child_id, 0),
                case=cases.get(r.child_id),
                same_address=same_address.get(r.child_id, 0),
                missing=flags.get(r.child_id),
            ),
        )
        for r in referrals
    ]


def daily_review_queue(*, user: User) -> ReviewQueue:
    """New referrals to Evolve, urgent first then oldest, the strategy discussions due from decisions made, the risk
    reviews overdue and the children going missing often; every child's missing flag read in one query."""
    cut_short: list[str] = []

    def first(rows: Iterable[Any], section: str) -> list[Any]:
        """The first QUEUE_LIMIT rows of a section, noting the section when it holds more (one more row read)."""
        found = list(rows)
        if len(found) > QUEUE_LIMIT:
            cut_short.append(section)
        return found[:QUEUE_LIMIT]

    referrals = first(referrals_awaiting_evolve_decision(user=user)[: QUEUE_LIMIT + 1], "waiting")
    visible_decisions = Decision.objects.filter(case__in=gate.visible_to(user, Case.objects.all()))
    due = first(
        open_deadlines(subject_type=DECISION_SUBJECT, kind=DeadlineKind.STRATEGY_DISCUSSION).filter(
            subject_id__in=visible_decisions.values("pk")
        )[: QUEUE_LIMIT + 1],
        "strategy_due",
    )
    decisions = {
        d.pk: d
        for d in Decision.objects.filter(pk__in=[deadline.subject_id for deadline in due]).select_related("case__child")
    }
    overdue = first(
        gate.visible_to(
            user,
            Case.objects.filter(
                team_id=user.team_id or 0, closed_at__isnull=True, next_review_on__lt=timezone.localdate()
            ),
        )
        .select_related("child")
        .order_by("next_review_on", "id")[: QUEUE_LIMIT + 1],
        "reviews_overdue",
    )
    missing_often = first(
        gate.visible_to(
            user,
            Case.objects.filter(
                team_id=user.team_id or 0,
                closed_at__isnull=True,
                child_id__in=missing_flagged_child_ids_subquery(),
            ),
        )
        .select_related("child")
        .order_by("child__last_name", "child__first_name", "id")[: QUEUE_LIMIT + 1],
        "missing_often",
    )
    children = [r.child for r in referrals if r.child is not None]
    children += [d.case.child for d in decisions.values() if d.case]
    children += [case.child for case in overdue + missing_often]
    flags = missing_flags(child_ids={child.pk for child in children})
    waiting = _review_rows(user, referrals, flags)
    strategy_children = {d.pk: d.case.child_id for d in decisions.values() if d.case}
    strategy = [
        StrategyRow(
            decision=decisions[d.subject_id],
            deadline=d,
            status=deadline_status(deadline=d),
            missing=flags.get(strategy_children.get(d.subject_id, 0)),
        )
        for d in due
        if d.subject_id in decisions
    ]
    if children:
        record_access(user=user, children=children, action=AccessAction.LISTED, what="daily review queue")
    return ReviewQueue(
        waiting=waiting,
        strategy_due=strategy,
        reviews_overdue=[CaseRow(case=case, missing=flags.get(case.child_id)) for case in overdue],
        missing_often=[CaseRow(case=case, missing=flags.get(case.child_id)) for case in missing_often],
        missing_rule=missing_flag_rule(),
        cut_short=cut_short,
        limit=QUEUE_LIMIT,
    )


def review_row_for_user(*, user: User, public_id: uuid.UUID | str) -> ReviewRow:
    """One referral in the daily review, with everything the decision page shows. 404 if not the user's to see."""
    from referrals.selectors import referral_get_for_user

    referral = referral_get_for_user(user=user, public_id=public_id)
    return _review_rows(user, [referral])[0]


def decision_for_referral(*, referral_id: int) -> Decision | None:
    return (
        Decision.objects.filter(referral_id=referral_id)
        .select_related("case", "decided_by", "team_manager_view__by", "detective_sergeant_view__by", "escalation")
        .first()
    )


def decision_views_history(*, referral_id: int) -> list[DecisionView]:
    return list(DecisionView.objects.filter(referral_id=referral_id).select_related("by__agency"))


# The child's case --------------------------------------------------------------------------------------------------


def case_get_for_user(*, user: User, public_id: uuid.UUID | str) -> Case:
    return gate.get_visible_or_404(
        user,
        Case.objects.select_related("child", "team", "case_holder__agency", "key_individual__agency", "opened_by"),
        public_id=public_id,
    )


def case_for_child(*, user: User, child_id: int) -> Case | None:
    return gate.visible_to(user, Case.objects.filter(child_id=child_id)).first()


def notes_for_case(*, user: User, case: Case, search: str = "") -> QuerySet[CaseNote]:
    notes = gate.visible_to(user, CaseNote.objects.filter(case=case)).select_related(
        "author", "agency", "restricted_to_agency"
    )
    if search.strip():
        notes = notes.filter(text__icontains=search.strip())
    return notes


@dataclass
class CasePage:
    case: Case
    allocations: list[Allocation]
    notes: list[CaseNote]
    notes_page: Page[CaseNote]
    child_words: list[ChildWords]
    decisions: list[tuple[Decision, list[tuple[Deadline, DeadlineStatus]]]]
    open_checks: list[AgencyCheck]
    status_changes: list[CaseStatusChange]
    ledger: list[InformationShare]
    chronology: list[ChronologyEntry]
    shares_by_note: dict[int, list[InformationShare]] = field(default_factory=dict)
    # Missing episodes that began in the flag's window (`missing_days` days), and the flag when there are enough.
    missing_episodes: int = 0
    missing_days: int = 0
    missing: MissingFlag | None = None

    @property
    def current_allocations(self) -> list[Allocation]:
        return [a for a in self.allocations if a.end_on is None]

    @property
    def past_allocations(self) -> list[Allocation]:
        return [a for a in self.allocations if a.end_on is not None]

    @property
    def review_overdue(self) -> bool:
        return bool(self.case.is_open and self.case.next_review_on and self.case.next_review_on < timezone.localdate())

    @property
    def open_deadlines(self) -> list[tuple[Decision, Deadline, DeadlineStatus]]:
        return [(d, dl, st) for d, clocks in self.decisions for dl, st in clocks if dl.met_at is None]


NOTES_PER_PAGE = 50


def case_page(*, user: User, case: Case, search: str = "", notes_page: str | int | None = 1) -> CasePage:
    """Everything the case page shows, in a fixed number of queries; the notes a page of NOTES_PER_PAGE at a time,
    newest first, with how many there are in all. The read is logged with the notes shown."""
    allocations = list(Allocation.objects.filter(case=case).select_related("user__agency"))
    shown_notes = Paginator(notes_for_case(user=user, case=case, search=search), NOTES_PER_PAGE).get_page(notes_page)
    notes = list(shown_notes.object_list)
    decisions = list(
        Decision.objects.filter(case=case).select_related(
            "decided_by", "team_manager_view__by", "detective_sergeant_view__by"
        )
    )
    clocks = deadlines_for_subjects(subject_type=DECISION_SUBJECT, subject_ids=[d.pk for d in decisions])
    open_checks = list(
        gate.visible_to(
            user, AgencyCheck.objects.filter(referral__child_id=case.child_id, answered_at__isnull=True)
        ).select_related("agency", "owner")
    )
    ledger = list(ledger_for_child(child_id=case.child_id))
    shares_by_note: dict[int, list[InformationShare]] = defaultdict(list)
    for share in ledger:
        if share.source_type == "case_note" and share.source_id:
            shares_by_note[share.source_id].append(share)
    for note in notes:
        note.shares = shares_by_note.get(note.pk, [])  # type: ignore[attr-defined]
    threshold, days = missing_flag_rule()
    missing = missing_counts(child_ids=[case.child_id]).get(case.child_id, 0)
    page = CasePage(
        case=case,
        allocations=allocations,
        notes=notes,
        notes_page=shown_notes,
        child_words=list(ChildWords.objects.filter(case=case).select_related("recorded_by__agency")),
        decisions=[(d, [(dl, deadline_status(deadline=dl)) for dl in clocks.get(d.pk, [])]) for d in decisions],
        open_checks=open_checks,
        status_changes=list(CaseStatusChange.objects.filter(case=case).select_related("by")),
        ledger=ledger,
        chronology=list(chronology_for_child(child_id=case.child_id, viewer=user)[:CHRONOLOGY_SHOWN]),
        shares_by_note=dict(shares_by_note),
        missing_episodes=missing,
        missing_days=days,
        missing=MissingFlag(episodes=missing, days=days) if missing >= threshold else None,
    )
    shown = ",".join(str(note.pk) for note in notes)
    record_access(user=user, children=[case.child], action=AccessAction.VIEWED, what=f"case {case.pk}; notes [{shown}]")
    return page


def cases_for_user(*, user: User, include_closed: bool = False) -> QuerySet[Case]:
    """The cases the user may see, with who holds them: for a case holder outside the team, only their own."""
    cases = gate.visible_to(user, Case.objects.all()).select_related(
        "child", "case_holder__agency", "key_individual__agency"
    )
    if not include_closed:
        cases = cases.filter(closed_at__isnull=True)
    return cases.prefetch_related(
        Prefetch("allocations", queryset=Allocation.objects.filter(end_on__isnull=True).select_related("user"))
    ).order_by("child__last_name", "child__first_name", "id")


def children_awaiting_ra_meeting(*, user: User) -> list[Case]:
    """The list the weekly CSE Risk Assessment Meeting's agenda is built from: children referred to it, oldest first."""
    cases = list(
        gate.visible_to(user, Case.objects.filter(awaiting_ra_meeting_since__isnull=False, closed_at__isnull=True))
        .select_related("child", "case_holder__agency", "key_individual__agency")
        .prefetch_related(
            Prefetch("allocations", queryset=Allocation.objects.filter(end_on__isnull=True).select_related("user"))
        )
        .order_by("awaiting_ra_meeting_since", "id")
    )
    if cases:
        record_access(
            user=user, children=[c.child for c in cases], action=AccessAction.LISTED, what="awaiting the RA meeting"
        )
    return cases


@dataclass(frozen=True)
class AgendaCandidate:
    """A child the weekly meeting should discuss, from which of the three lists (DESIGN.md) and why."""

    case: Case
    source: str  # meetings.models.AgendaList value
    reason: str


def agenda_candidates(*, team_id: int, since: datetime, on: date) -> list[AgendaCandidate]:
    """The three lists a weekly meeting's agenda is built from, for the team's meeting on `on`; each child once, in
    the first list that holds them. Three queries, whatever the number of children.

    1. Referred to the risk-assessment meeting and not yet discussed (oldest first).
    2. A decision since `since` (the last meeting) called an Immediate Strategy Discussion, or an urgent CIN
       intervention is still waiting for its risk assessment: update the team and agree roles.
    3. Already allocated, with a review due by the day of the meeting or a high risk level (the meeting keeps
       every high-risk child in view)."""
    open_cases = Case.objects.filter(team_id=team_id, closed_at__isnull=True).select_related("child")
    found: dict[int, AgendaCandidate] = {}

    def add(case: Case, source: str, reason: str) -> None:
        found.setdefault(case.child_id, AgendaCandidate(case=case, source=source, reason=reason))

    for case in open_cases.filter(awaiting_ra_meeting_since__isnull=False).order_by("awaiting_ra_meeting_since", "id"):
        add(case, "new_referrals", "Referred to the risk-assessment meeting by the daily review")
    strategy = Decision.objects.filter(kind=DecisionKind.STRATEGY_DISCUSSION, decided_at__gte=since)
    for case in open_cases.filter(Q(urgent_cin_since__isnull=False) | Q(pk__in=strategy.values("case_id"))).order_by(
        "opened_at", "id"
    ):
        reason = (
            "Urgent Child in Need intervention: risk to assess"
            if case.urgent_cin_since
            else "Immediate Strategy Discussion since the last meeting"
        )
        add(case, "strategy_or_cin", reason)
    allocated = open_cases.filter(
        Exists(Allocation.objects.filter(case=OuterRef("pk"), end_on__isnull=True)),
    ).filter(Q(next_review_on__lte=on) | Q(risk_level=RiskLevel.HIGH))
    for case in allocated.order_by("next_review_on", "id"):
        reason = (
            f"Review due {date_format(case.next_review_on, 'j M Y')}"
            if case.next_review_on and case.next_review_on <= on
            else "High risk: kept in view every meeting"
        )
        add(case, "allocated_update", reason)
    return list(found.values())


def case_for_team_child(*, team_id: int, child_id: int) -> Case | None:
    """The team's open case for a child, for services acting on the team's behalf (a meeting); not gated."""
    return Case.objects.filter(team_id=team_id, child_id=child_id, closed_at__isnull=True).first()


def case_decisions(*, case_id: int) -> list[Decision]:
    return list(Decision.objects.filter(case_id=case_id).order_by("-decided_at"))


def decision_get_for_user(*, user: User, public_id: uuid.UUID | str) -> Decision:
    """A decision on a case the user may see, or 404."""
    decision = Decision.objects.select_related("case__child").filter(public_id=public_id).first()
    if decision is None or decision.case is None or not gate.can_see(user, decision.case):
        raise Http404("No such decision, or not one you may see")
    return decision


def checks_for_owner(*, user: User) -> list[AgencyCheck]:
    """The agency checks the user has been asked to answer, soonest due first."""
    return list(
        AgencyCheck.objects.filter(owner=user, answered_at__isnull=True)
        .select_related("agency", "requested_by")
        .order_by("due_at", "id")
    )


def check_get_for_user(*, user: User, public_id: uuid.UUID | str) -> AgencyCheck:
    check = gate.get_visible_or_404(
        user, AgencyCheck.objects.select_related("agency", "owner", "requested_by", "answered_by"), public_id=public_id
    )
    return check


def check_referral(*, check: AgencyCheck) -> Any:
    """What the person asked needs to check their records: the child's identity and the concern. The check's own
    gate authorised the read, so this does not go through the referral's gate (the owner may be outside the team)."""
    from referrals.selectors import referral_for_check

    referral = referral_for_check(referral_id=check.referral_id)
    return referral


def escalation_referral(*, user: User, escalation: Escalation) -> Any:
    """The referral a disagreement is about, for the service manager deciding it (authorised by the escalation's
    gate). The read is logged: the page shows the child."""
    from referrals.selectors import referral_for_check

    referral = referral_for_check(referral_id=escalation.referral_id)
    if referral.child is not None:
        record_access(
            user=user, children=[referral.child], action=AccessAction.VIEWED, what=f"escalation {escalation.pk}"
        )
    return referral


def escalations_for_user(*, user: User) -> list[Escalation]:
    return list(
        gate.visible_to(user, Escalation.objects.filter(resolved_at__isnull=True))
        .select_related("raised_by", "referral__child")
        .order_by("raised_at")
    )


def escalation_get_for_user(*, user: User, public_id: uuid.UUID | str) -> Escalation:
    return gate.get_visible_or_404(
        user,
        Escalation.objects.select_related("raised_by", "resolved_by").prefetch_related("agencies"),
        public_id=public_id,
    )


# Caseloads ---------------------------------------------------------------------------------------------------------


@dataclass
class WorkerLoad:
    user: User
    open_cases: int = 0
    roles: Counter[str] = field(default_factory=Counter)
    overdue_reviews: int = 0
    overdue_checks: int = 0
    cases_held: int = 0

    @property
    def role_labels(self) -> list[tuple[str, int]]:
        return [(AllocationRole(role).label, count) for role, count in sorted(self.roles.items())]


@dataclass
class AgencyLoad:
    agency: Agency | None
    workers: int = 0
    open_cases: int = 0
    overdue_reviews: int = 0
    overdue_checks: int = 0


def caseloads(*, user: User) -> tuple[list[WorkerLoad], list[AgencyLoad]]:
    """Per worker and per agency: open children, roles held, overdue reviews and overdue agency checks. The team
    manager and the detective sergeant see their team; other managers see their own agency's workers."""
    today = timezone.localdate()
    now = timezone.now()
    allocations = Allocation.objects.filter(end_on__isnull=True, case__closed_at__isnull=True)
    team_id, agency_id = user.team_id or 0, user.agency_id or 0
    if user.is_team_member:
        allocations = allocations.filter(case__team_id=team_id)
        held = Case.objects.filter(team_id=team_id, closed_at__isnull=True, case_holder__isnull=False)
        checks = AgencyCheck.objects.filter(referral__team_id=team_id)
    else:
        allocations = allocations.filter(user__agency_id=agency_id)
        held = Case.objects.filter(closed_at__isnull=True, case_holder__agency_id=agency_id)
        checks = AgencyCheck.objects.filter(owner__agency_id=agency_id)
    loads: dict[int, WorkerLoad] = {}
    users: dict[int, User] = {}
    rows = allocations.values("user_id", "role", "case_id", "case__next_review_on")
    per_user_cases: dict[int, set[int]] = defaultdict(set)
    per_user_overdue: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        per_user_cases[row["user_id"]].add(row["case_id"])
        load = loads.setdefault(row["user_id"], WorkerLoad(user=None))  # type: ignore[arg-type]
        load.roles[row["role"]] += 1
        if row["case__next_review_on"] and row["case__next_review_on"] < today:
            per_user_overdue[row["user_id"]].add(row["case_id"])
    for holder_id in held.values_list("case_holder_id", flat=True):
        if holder_id is not None:
            loads.setdefault(holder_id, WorkerLoad(user=None)).cases_held += 1  # type: ignore[arg-type]
    overdue = checks.filter(answered_at__isnull=True, due_at__lt=now).values_list("owner_id").annotate(n=Count("id"))
    for owner_id, count in overdue:
        loads.setdefault(owner_id, WorkerLoad(user=None)).overdue_checks = count  # type: ignore[arg-type]
    for person in User.objects.filter(pk__in=list(loads)).select_related("agency"):
        users[person.pk] = person
    result = []
    for user_id, load in loads.items():
        load.user = users[user_id]
        load.open_cases = len(per_user_cases.get(user_id, set()))
        load.overdue_reviews = len(per_user_overdue.get(user_id, set()))
        result.append(load)
    result.sort(key=lambda w: (w.user.agency.name if w.user.agency else "", w.user.last_name, w.user.first_name))
    agencies: dict[int | None, AgencyLoad] = {}
    agency_cases: dict[int | None, set[int]] = defaultdict(set)
    agency_overdue: dict[int | None, set[int]] = defaultdict(set)
    for load in result:
        key = load.user.agency_id
        entry = agencies.setdefault(key, AgencyLoad(agency=load.user.agency))
        entry.workers += 1
        entry.overdue_checks += load.overdue_checks
        agency_cases[key] |= per_user_cases.get(load.user.pk, set())
        agency_overdue[key] |= per_user_overdue.get(load.user.pk, set())
    for key, entry in agencies.items():
        entry.open_cases = len(agency_cases[key])
        entry.overdue_reviews = len(agency_overdue[key])
    return result, sorted(agencies.values(), key=lambda a: a.agency.name if a.agency else "")


def overdue_review_count(*, user: User) -> int:
    """Open cases the user may see whose review date has passed: for the home page and queues."""
    return gate.visible_to(
        user, Case.objects.filter(closed_at__isnull=True, next_review_on__lt=timezone.localdate())
    ).count()


def people_to_allocate(*, case: Case) -> QuerySet[User]:
    """Who may be allocated: the team's members and case-holding social workers, never the governance group."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(team_id=case.team_id) | Q(roles__overlap=[Role.CASE_HOLDING_SOCIAL_WORKER.value]))
        .exclude(roles__overlap=[Role.GOVERNANCE.value])
        .select_related("agency")
        .order_by("last_name", "first_name")
    )


def case_holders() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, roles__overlap=[Role.CASE_HOLDING_SOCIAL_WORKER.value])
        .select_related("agency")
        .order_by("last_name", "first_name")
    )


def agencies_all() -> QuerySet[Agency]:
    return Agency.objects.order_by("name")


def people_in_agency(*, agency_id: int) -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, agency_id=agency_id)
        .exclude(roles__overlap=[Role.GOVERNANCE.value, Role.ADMINISTRATOR.value])
        .order_by("last_name", "first_name")
    )


# The monthly data set -----------------------------------------------------------------------------------------------
# Counts for `reporting.measures`, by team: over a period from `start` (inclusive) to `end` (exclusive), or as things
# stood at a moment `at` (the end of a month). Numbers only, never a child's identity, so not read through a user's
# gate; each is one aggregate query (two where it says so) however many referrals, cases or allocations.


@dataclass(frozen=True)
class DecidedChildren:
    """Distinct children whose referral the daily review decided in a period, in all and by each of the five
    decisions as (kind, label, children), every kind, zero or not. A child decided twice in the period counts once
    in `total` and once under each kind decided."""

    total: int
    by_kind: list[tuple[str, str, int]]


def children_decided(*, team_id: int, start: datetime, end: datetime) -> DecidedChildren:
    decisions = Decision.objects.filter(referral__team_id=team_id, decided_at__gte=start, decided_at__lt=end)
    counts = decisions.aggregate(
        total=Count("referral__child_id", distinct=True),
        **{
            f"kind_{kind.value}": Count("referral__child_id", distinct=True, filter=Q(kind=kind))
            for kind in DecisionKind
        },
    )
    return DecidedChildren(
        total=counts["total"],
        by_kind=[(kind.value, kind.label, counts[f"kind_{kind.value}"]) for kind in DecisionKind],
    )


def _undecided_at(team_id: int, at: datetime, *, notification_due: bool = False) -> QuerySet[Any]:
    decided = Decision.objects.filter(referral_id=OuterRef("pk"), decided_at__lt=at)
    return referrals_reached_evolve(team_id=team_id, before=at, notification_due=notification_due).filter(
        ~Exists(decided)
    )


def children_awaiting_decision(*, team_id: int, at: datetime) -> int:
    """Distinct children with a referral that had reached Evolve and had no decision yet at `at`."""
    return int(_undecided_at(team_id, at).aggregate(children=Count("child_id", distinct=True))["children"])


def referrals_undecided_past_notification(*, team_id: int, at: datetime) -> int:
    """Referrals with no decision at `at` although their 24-hour notification deadline had already fallen due: a
    figure the report cannot place, so readers know the decisions are behind."""
    return _undecided_at(team_id, at, notification_due=True).count()


def _open_cases_at(team_id: int, at: datetime) -> QuerySet[Case]:
    """The team's cases open at `at`: the last status change before then opened or re-opened the case. (The case's
    own `closed_at` says only how it stands now: a case closed in March and re-opened in May was not open in
    April.)"""
    last_change = (
        CaseStatusChange.objects.filter(case_id=OuterRef("pk"), at__lt=at).order_by("-at", "-id").values("change")[:1]
    )
    return (
        Case.objects.filter(team_id=team_id)
        .alias(status_then=Subquery(last_change))
        .filter(status_then__in=[CaseStatusChange.Change.OPENED, CaseStatusChange.Change.REOPENED])
    )


def _allocations_current_at(at: datetime) -> Q:
    """Allocations current at the moment `at` (a midnight): begun before that day and not ended before it (an
    allocation ending on the last day of a month is not current at the month's end)."""
    day = timezone.localdate(at)
    return Q(start_on__lt=day) & (Q(end_on__isnull=True) | Q(end_on__gte=day))


def children_open(*, team_id: int, at: datetime) -> int:
    """Distinct children with a case open to the team at `at`."""
    return int(_open_cases_at(team_id, at).aggregate(children=Count("child_id", distinct=True))["children"])


def children_open_by_agency(*, team_id: int, at: datetime) -> list[tuple[int, str, int]]:
    """Those children by the agency of each practitioner with a current allocation on the case at `at`, as (agency id,
    agency name, children), by name: every agency of the team (zero or not), and any other agency holding an
    allocation (a case-holding social worker's). A child allocated to two agencies counts under each; a case with
    no current allocation counts under none (see `open_cases_unallocated`), nor does an allocation to someone with no
    agency recorded. Two queries."""
    rows = (
        Allocation.objects.filter(_allocations_current_at(at), case__in=_open_cases_at(team_id, at).values("pk"))
        .values("user__agency_id", "user__agency__name")
        .annotate(children=Count("case__child_id", distinct=True))
    )
    counted = {row["user__agency_id"]: (row["user__agency__name"] or "", row["children"]) for row in rows}
    for agency_id, name in Agency.objects.filter(teams__id=team_id).values_list("pk", "name"):
        counted.setdefault(agency_id, (name, 0))
    return sorted(
        ((agency_id, name, children) for agency_id, (name, children) in counted.items() if agency_id is not None),
        key=lambda row: (row[1], row[0]),
    )


def open_cases_unallocated(*, team_id: int, at: datetime) -> int:
    """Cases open at `at` with no current allocation: children on the caseload that no agency's figure holds."""
    current = Allocation.objects.filter(_allocations_current_at(at), case_id=OuterRef("pk"))
    return _open_cases_at(team_id, at).filter(~Exists(current)).count()


# The monthly quality assurance sample (seed 003) ---------------------------------------------------------------------
# A team's samples are seen by the team's members; a child in a sample is shown (named, linked, audited) only to those
# the case's own gate lets see the child, so a record restricted to one agency stays so inside the sample too.

# Imported here, with the section, rather than in the block at the top.


def _quality_team_member(user: User, team_id: int) -> bool:
    return user.is_active and user.is_team_member and user.team_id == team_id


def quality_sample_candidates(*, team_id: int, at: datetime, size: int) -> list[int]:
    """Up to `size` of the team's cases open at `at`, drawn at random by PostgreSQL (ORDER BY random()): their ids.
    Open is counted as the monthly figures count it (`children_open`), from the cases' status changes."""
    if size < 1:
        return []
    return list(_open_cases_at(team_id, at).order_by("?").values_list("pk", flat=True)[:size])


def quality_sample_for_month(*, team_id: int, year: int, month: int) -> QualitySample | None:
    """The team's sample for the month, for the service drawing it (not gated)."""
    return QualitySample.objects.filter(team_id=team_id, year=year, month=month).first()


@dataclass(frozen=True)
class QualitySampleRow:
    """A sample in the team's list, with how many of its audits are done and how many are still to do."""

    sample: QualitySample
    drawn: int
    completed: int

    @property
    def to_do(self) -> int:
        return self.drawn - self.completed


def quality_samples_for_user(*, user: User) -> list[QualitySampleRow]:
    """The samples of the user's team, newest first, with their counts: one query however many samples. Empty for
    anyone who is not a member of a team."""
    if not user.is_team_member or user.team_id is None:
        return []
    samples = (
        QualitySample.objects.filter(team_id=user.team_id)
        .select_related("drawn_by")
        .annotate(
            audits_drawn=Count("audits", distinct=True),
            audits_completed=Count("audits", filter=Q(audits__completed_at__isnull=False), distinct=True),
        )
        .order_by("-year", "-month", "-id")
    )
    return [
        QualitySampleRow(sample=sample, drawn=sample.audits_drawn, completed=sample.audits_completed)
        for sample in samples
    ]


def quality_audits_assigned_to(*, user: User) -> list[CaseAudit]:
    """The audits waiting for the user, oldest sample first, only of children the user may see; the children shown
    are logged as listed."""
    if not user.is_team_member:
        return []
    audits = list(
        CaseAudit.objects.filter(
            assigned_to=user,
            completed_at__isnull=True,
            sample__team_id=user.team_id or 0,
            case__in=gate.visible_to(user, Case.objects.all()),
        )
        .select_related("case__child")
        .order_by("sample__year", "sample__month", "case__child__last_name", "case__child__first_name", "id")
    )
    if audits:
        record_access(
            user=user,
            children=[audit.case.child for audit in audits],
            action=AccessAction.LISTED,
            what="quality assurance audits assigned",
        )
    return audits


def quality_sample_get_for_user(*, user: User, public_id: uuid.UUID | str) -> QualitySample:
    """One of the user's team's samples, or 404 (missing and not theirs alike)."""
    sample = QualitySample.objects.select_related("team", "drawn_by").filter(public_id=public_id).first()
    if sample is None or not _quality_team_member(user, sample.team_id):
        raise Http404("No such sample, or not one you may see")
    return sample


@dataclass(frozen=True)
class QualityAuditRow:
    """An audit on the sample page. `visible` is False for a child whose record is restricted to another agency: the
    row says only that there is one, without the child's name or a link."""

    audit: CaseAudit
    visible: bool


@dataclass(frozen=True)
class QualitySamplePage:
    sample: QualitySample
    rows: list[QualityAuditRow]
    auditors: list[User]

    @property
    def completed(self) -> int:
        return sum(1 for row in self.rows if row.audit.completed_at is not None)

    @property
    def to_do(self) -> int:
        return len(self.rows) - self.completed


def quality_auditors(*, team_id: int) -> QuerySet[User]:
    """Who may be asked to audit: the team's active members, by name."""
    return (
        User.objects.filter(is_active=True, team_id=team_id, roles__overlap=[role.value for role in TEAM_ROLES])
        .exclude(roles__overlap=[Role.GOVERNANCE.value, Role.ADMINISTRATOR.value])
        .select_related("agency")
        .order_by("last_name", "first_name", "id")
    )


def quality_sample_page(*, user: User, sample: QualitySample) -> QualitySamplePage:
    """The sample's audits by the child's name, which children the user may see, and who may be asked to audit: the
    same few queries however many audits; the children named are logged as listed."""
    audits = list(
        CaseAudit.objects.filter(sample=sample)
        .select_related("case__child", "assigned_to", "completed_by")
        .order_by("case__child__last_name", "case__child__first_name", "id")
    )
    visible = set(
        gate.visible_to(user, Case.objects.filter(pk__in=[audit.case_id for audit in audits])).values_list(
            "pk", flat=True
        )
    )
    rows = [QualityAuditRow(audit=audit, visible=audit.case_id in visible) for audit in audits]
    shown = [row.audit.case.child for row in rows if row.visible]
    if shown:
        record_access(
            user=user, children=shown, action=AccessAction.LISTED, what=f"quality assurance sample {sample.pk}"
        )
    return QualitySamplePage(sample=sample, rows=rows, auditors=list(quality_auditors(team_id=sample.team_id)))


def case_audit_get_for_user(*, user: User, public_id: uuid.UUID | str) -> CaseAudit:
    """An audit in the user's team's sample, of a child the user may see; 404 otherwise (missing and forbidden
    alike). Not logged: `case_audit_viewed` logs the page that shows it."""
    audit = (
        CaseAudit.objects.select_related(
            "sample__team", "case__child", "case__team", "assigned_to__agency", "completed_by__agency"
        )
        .filter(public_id=public_id)
        .first()
    )
    if audit is None or not _quality_team_member(user, audit.sample.team_id) or not gate.can_see(user, audit.case):
        raise Http404("No such audit, or not one you may see")
    return audit


def case_audit_viewed(*, user: User, audit: CaseAudit) -> None:
    record_access(
        user=user, children=[audit.case.child], action=AccessAction.VIEWED, what=f"quality assurance audit {audit.pk}"
    )


@dataclass(frozen=True)
class QualityCounts:
    """A team's sample for a month in figures, no child's identity: audits drawn, audits completed, and the completed
    ones by grade as (grade, label, audits), every grade, zero or not."""

    drawn: int
    completed: int
    by_grade: list[tuple[str, str, int]]


def quality_sample_counts(*, team_id: int, year: int, month: int) -> QualityCounts:
    """The month's quality assurance sample for the monthly report: one aggregate query (zeros if none was drawn)."""
    done = Q(completed_at__isnull=False)
    counts = CaseAudit.objects.filter(sample__team_id=team_id, sample__year=year, sample__month=month).aggregate(
        drawn=Count("id"),
        completed=Count("id", filter=done),
        **{f"grade_{grade.value}": Count("id", filter=done & Q(grade=grade)) for grade in AuditGrade},
    )
    return QualityCounts(
        drawn=counts["drawn"],
        completed=counts["completed"],
        by_grade=[(grade.value, grade.label, counts[f"grade_{grade.value}"]) for grade in AuditGrade],
    )


# Subject access and retention (dataprotection) ----------------------------------------------------------------------
# Everything the Evolve case holds about one child, as plain data, for the data protection officer's export: the daily
# review of each referral (agency checks, both views, escalations, the decision) and the case itself (allocations,
# every note including those restricted to one agency, the child's words, status changes, quality audits). Not read
# through a user's gate: the export is the data controller's, and `dataprotection` calls these only after checking
# the manager asking may see the child. Then two figures per child for the retention rules.

from datetime import time  # noqa: E402

from django.db.models import Max  # noqa: E402


def _subject_access_who(user: User | None) -> str:
    if user is None:
        return ""
    return f"{user.display_name} ({user.agency.short_name})" if user.agency else user.display_name


def _subject_access_view(view: DecisionView | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {
        "seat": view.get_seat_display(),
        "by": _subject_access_who(view.by),
        "at": view.at,
        "decision": view.get_kind_display(),
        "rationale": view.rationale,
        "advice": view.advice,
    }


def subject_access_decisions(*, child_id: int) -> list[dict[str, Any]]:
    """The daily review of each of the child's referrals that reached it, oldest first: the agency checks asked and
    answered, every view the team manager and detective sergeant recorded, escalations, and the decision. Five
    queries."""
    about = {"referral__child_id": child_id}
    checks = AgencyCheck.objects.filter(**about).select_related(
        "referral", "agency", "owner__agency", "requested_by__agency", "answered_by__agency"
    )
    views = DecisionView.objects.filter(**about).select_related("referral", "by__agency").order_by("at", "id")
    escalations = (
        Escalation.objects.filter(**about)
        .select_related("referral", "raised_by__agency", "resolved_by__agency")
        .prefetch_related("agencies")
        .order_by("raised_at", "id")
    )
    decisions = Decision.objects.filter(**about).select_related(
        "referral",
        "case",
        "decided_by__agency",
        "team_manager_view__by__agency",
        "detective_sergeant_view__by__agency",
    )
    reviews: dict[int, dict[str, Any]] = {}

    def review(referral: Any) -> dict[str, Any]:
        return reviews.setdefault(
            referral.pk,
            {
                "referral": str(referral.public_id),
                "referral_created_at": referral.created_at,
                "agency_checks": [],
                "views": [],
                "escalations": [],
                "decision": None,
            },
        )

    for check in checks:
        review(check.referral)["agency_checks"].append(
            {
                "agency": check.agency.name,
                "asked_of": _subject_access_who(check.owner),
                "asked_by": _subject_access_who(check.requested_by),
                "asked_at": check.requested_at,
                "due_at": check.due_at,
                "question": check.question,
                "answered_at": check.answered_at,
                "answered_by": _subject_access_who(check.answered_by),
                "holds_information": check.holds_information,
                "answer": check.answer,
            }
        )
    for view in views:
        review(view.referral)["views"].append(_subject_access_view(view))
    for escalation in escalations:
        review(escalation.referral)["escalations"].append(
            {
                "raised_by": _subject_access_who(escalation.raised_by),
                "raised_at": escalation.raised_at,
                "note": escalation.note,
                "to_agencies": [agency.name for agency in escalation.agencies.all()],
                "resolved_at": escalation.resolved_at,
                "resolved_by": _subject_access_who(escalation.resolved_by),
            }
        )
    for decision in decisions:
        review(decision.referral)["decision"] = {
            "id": str(decision.public_id),
            "decision": decision.get_kind_display(),
            "rationale": decision.rationale,
            "decided_at": decision.decided_at,
            "decided_by": _subject_access_who(decision.decided_by),
            "team_manager_view": _subject_access_view(decision.team_manager_view),
            "detective_sergeant_view": _subject_access_view(decision.detective_sergeant_view),
            "decided_on_escalation": decision.escalation_id is not None,
            "letter_to_referrer": decision.letter,
            "case": str(decision.case.public_id) if decision.case else None,
        }
    return sorted(reviews.values(), key=lambda row: (row["referral_created_at"], row["referral"]))


def subject_access_cases(*, child_id: int) -> list[dict[str, Any]]:
    """The child's Evolve cases (one per team), oldest first, with everything recorded on them. Seven queries."""
    cases = (
        Case.objects.filter(child_id=child_id)
        .select_related("team", "opened_by__agency", "case_holder__agency", "key_individual__agency")
        .prefetch_related(
            Prefetch(
                "status_changes", queryset=CaseStatusChange.objects.select_related("by__agency").order_by("at", "id")
            ),
            Prefetch(
                "allocations",
                queryset=Allocation.objects.select_related("user__agency", "created_by__agency").order_by(
                    "start_on", "id"
                ),
            ),
            Prefetch(
                "notes",
                queryset=CaseNote.objects.select_related("author__agency", "restricted_to_agency").order_by(
                    "written_at", "id"
                ),
            ),
            Prefetch(
                "child_words",
                queryset=ChildWords.objects.select_related("recorded_by__agency").order_by("said_on", "id"),
            ),
            Prefetch("quality_audits", queryset=CaseAudit.objects.order_by("sample__year", "sample__month", "id")),
        )
        .order_by("opened_at", "id")
    )
    return [
        {
            "id": str(case.public_id),
            "team": case.team.name,
            "opened_at": case.opened_at,
            "opened_by": _subject_access_who(case.opened_by),
            "closed_at": case.closed_at,
            "closure_reason": case.closure_reason,
            "case_holding_social_worker": _subject_access_who(case.case_holder),
            "key_individual": case.key_individual_label,
            "risk_level": case.get_risk_level_display() if case.risk_level else "",
            "next_review_on": case.next_review_on,
            "status_changes": [
                {"change": c.get_change_display(), "at": c.at, "by": _subject_access_who(c.by), "reason": c.reason}
                for c in case.status_changes.all()
            ],
            "allocations": [
                {
                    "role": allocation.get_role_display(),
                    "practitioner": _subject_access_who(allocation.user),
                    "start_on": allocation.start_on,
                    "end_on": allocation.end_on,
                    "recorded_by": _subject_access_who(allocation.created_by),
                }
                for allocation in case.allocations.all()
            ],
            "notes": [
                {
                    "written_at": note.written_at,
                    "author": _subject_access_who(note.author),
                    "restricted_to_agency": note.restricted_to_agency.name if note.restricted_to_agency else "",
                    "text": note.text,
                }
                for note in case.notes.all()
            ],
            "childs_own_words": [
                {
                    "kind": words.get_kind_display(),
                    "said_on": words.said_on,
                    "words": words.words,
                    "context": words.context,
                    "recorded_by": _subject_access_who(words.recorded_by),
                    "recorded_at": words.recorded_at,
                }
                for words in case.child_words.all()
            ],
            "quality_audits": [
                {
                    "month": audit.sample.month_label,
                    "checks": {question: answer for _, question, answer in audit.answers},
                    "grade": audit.get_grade_display(),
                    "findings": audit.findings,
                    "actions": audit.actions,
                    "completed_at": audit.completed_at,
                    "completed_by": _subject_access_who(audit.completed_by),
                }
                for audit in case.quality_audits.all()
            ],
        }
        for case in cases
    ]


def subject_access_children_with_case(*, child_ids: Iterable[int]) -> set[int]:
    """Which of these children have (or had) an Evolve case: their records are children's social care records."""
    return set(Case.objects.filter(child_id__in=list(child_ids)).values_list("child_id", flat=True).distinct())


def subject_access_health_notes_quiet_since(*, before: date) -> dict[int, date]:
    """Children whose last case note restricted to a health agency (a clinical note) was written before `before`:
    child id -> the day of that note. One grouped query."""
    rows = (
        CaseNote.objects.filter(restricted_to_agency__kind=Agency.Kind.HEALTH)
        .values("case__child_id")
        .annotate(last=Max("written_at"))
        .filter(last__lt=timezone.make_aware(datetime.combine(before, time.min)))
        .values_list("case__child_id", "last")
    )
    return {child_id: timezone.localdate(last) for child_id, last in rows}
