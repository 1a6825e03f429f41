"""Reading referrals: always through the gate. Queues come with their deadlines in one extra query."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet

from evolve.access import gate
from evolve.accounts.models import User
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.clock.models import Deadline, DeadlineKind
from evolve.clock.selectors import DeadlineStatus, deadline_status, deadlines_for_subjects
from referrals.models import Referral, ReferralEvent
from referrals.states import State

CONSENT_QUEUE = "consent"
QUEUE_STATES: dict[str, tuple[State, ...]] = {
    "spoc": (State.SUBMITTED, State.AWAITING_CLARIFICATION),
    "triage": (State.LOGGED, State.SCREENED),
    "mash": (State.WITH_MASH,),
}


def referral_get_for_user(*, user: User, public_id: uuid.UUID | str, audit: bool = True) -> Referral:
    """The referral with everything its page shows, or 404 whether missing or not one the user may see."""
    queryset = Referral.objects.select_related(
        "child", "referrer", "referrer_agency", "catalogue_version"
    ).prefetch_related(
        Prefetch("events", queryset=ReferralEvent.objects.select_related("user", "agency")),
        "clarifications__asked_by",
        "mash_checks__agency",
        "mash_checks__by",
        "attachments",
        "indicators__category",
    )
    referral = gate.get_visible_or_404(user, queryset, public_id=public_id)
    if audit and referral.child_id and referral.child is not None:
        record_access(user=user, children=[referral.child], action=AccessAction.VIEWED, what=f"referral {referral.pk}")
    return referral


@dataclass(frozen=True)
class QueueRow:
    referral: Referral
    deadlines: list[tuple[Deadline, DeadlineStatus]]


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    page: Page[Referral]  # how many wait in all, and the links to the other pages


QUEUE_PAGE_SIZE = 50


def referral_queue_for_user(
    *, user: User, stage: str, urgency: str = "", sort: str = "oldest", page: str | int | None = 1
) -> QueuePage:
    """A front-door queue, a page of QUEUE_PAGE_SIZE at a time: urgent first, then oldest first (or newest with
    sort="newest"). The page says how many wait in all, so none is out of sight on a busy day."""
    if stage == CONSENT_QUEUE:
        # Referrals whose consent review is still open, with that review's clock.
        open_reviews = Deadline.objects.filter(subject_type="referral-consent", met_at__isnull=True)
        base = Referral.objects.filter(pk__in=open_reviews.values("subject_id"))
        subject_type = "referral-consent"
    else:
        base = Referral.objects.filter(state__in=QUEUE_STATES[stage])
        subject_type = "referral"
    referrals = gate.visible_to(user, base).select_related("referrer_agency", "child")
    if urgency in Referral.Urgency.values:
        referrals = referrals.filter(urgency=urgency)
    order = "submitted_at" if sort != "newest" else "-submitted_at"
    # "urgent" sorts after "routine" alphabetically, so urgent-first is descending.
    shown = Paginator(referrals.order_by("-urgency", order, "id"), QUEUE_PAGE_SIZE).get_page(page)
    rows = list(shown.object_list)
    deadlines = deadlines_for_subjects(subject_type=subject_type, subject_ids=[r.pk for r in rows])
    children = [r.child for r in rows if r.child is not None]
    if children:
        record_access(user=user, children=children, action=AccessAction.LISTED, what=f"{stage} queue")
    return QueuePage(
        rows=[
            QueueRow(referral=r, deadlines=[(d, deadline_status(deadline=d)) for d in deadlines.get(r.pk, [])])
            for r in rows
        ],
        page=shown,
    )


def referral_deadlines(*, referral: Referral) -> list[tuple[Deadline, DeadlineStatus]]:
    """The referral's clocks (its own and its consent review), with where each stands now. One query."""
    own = deadlines_for_subjects(subject_type="referral", subject_ids=[referral.pk])[referral.pk]
    consent = deadlines_for_subjects(subject_type="referral-consent", subject_ids=[referral.pk])[referral.pk]
    return [(deadline, deadline_status(deadline=deadline)) for deadline in [*own, *consent]]


def referral_list_for_user(*, user: User, state: str = "") -> QuerySet[Referral]:
    """Every referral the user may see, newest first, with what the API shows prefetched."""
    referrals = (
        gate.visible_to(user, Referral.objects.all())
        .select_related("child")
        .prefetch_related(
            "indicators", Prefetch("events", queryset=ReferralEvent.objects.select_related("user", "agency"))
        )
    )
    if state:
        referrals = referrals.filter(state=state)
    return referrals.order_by("-created_at", "-id")


def referrals_made_by(*, user: User) -> QuerySet[Referral]:
    """A referrer's own referrals, newest first: what they sent and what happened to it."""
    return Referral.objects.filter(referrer=user).select_related("referrer_agency").order_by("-created_at")


def referrals_awaiting_evolve_decision(*, user: User) -> QuerySet[Referral]:
    """Referrals co-allocated to the user's team and not yet decided: urgent first, then oldest."""
    referrals = gate.visible_to(user, Referral.objects.filter(state=State.CO_ALLOCATED, team_id=user.team_id or 0))
    return referrals.select_related("child", "referrer_agency", "team").order_by("-urgency", "co_allocated_at", "id")


def referral_counts_by_child(*, child_ids: list[int]) -> dict[int, int]:
    """How many referrals (beyond drafts) each child has had: part of what the team already holds. One query."""
    rows = (
        Referral.objects.filter(child_id__in=child_ids)
        .exclude(state=State.DRAFT)
        .values("child_id")
        .annotate(count=Count("id"))
    )
    return {row["child_id"]: row["count"] for row in rows}


def referral_deadlines_for(*, referral_ids: list[int]) -> dict[int, list[tuple[Deadline, DeadlineStatus]]]:
    """Each referral's own clocks with where they stand, for a queue. One query."""
    deadlines = deadlines_for_subjects(subject_type="referral", subject_ids=referral_ids)
    return {
        referral_id: [(deadline, deadline_status(deadline=deadline)) for deadline in found]
        for referral_id, found in deadlines.items()
    }


def referral_for_update(*, referral_id: int) -> Referral:
    """Lock a referral's row for the rest of the transaction, so two people deciding at once are taken in turn."""
    return (
        Referral.objects.select_for_update(of=("self",)).select_related("child", "referrer", "team").get(pk=referral_id)
    )


def referral_for_check(*, referral_id: int) -> Referral:
    """The referral an agency check asks about, for the person asked to check (who may be outside the team). Only
    evolve.cases calls this, after its own gate has shown the check is theirs to answer."""
    return Referral.objects.select_related("child", "referrer_agency").get(pk=referral_id)


# The monthly data set -----------------------------------------------------------------------------------------------
# Counts for `reporting.measures`, by team, over a period from `start` (inclusive) to `end` (exclusive). Numbers only,
# never a child's identity, so not read through a user's gate; each is one aggregate query however many referrals.
# A referral "reached Evolve" when it was co-allocated by the MASH or referred straight in on the CSE Referral Form:
# both stamp `co_allocated_at` and the team.


def referrals_reached_evolve(*, team_id: int, before: datetime, notification_due: bool = False) -> QuerySet[Referral]:
    """The team's referrals that reached Evolve before `before`, unevaluated, for another app's aggregate (the Evolve
    case counts those not decided by then). With `notification_due`, only those whose 24-hour notification deadline
    fell due before `before`."""
    referrals = Referral.objects.filter(team_id=team_id, co_allocated_at__lt=before)
    if notification_due:
        due = Deadline.objects.filter(
            subject_type="referral", subject_id=OuterRef("pk"), kind=DeadlineKind.NOTIFICATION, due_at__lt=before
        )
        referrals = referrals.filter(Exists(due))
    return referrals


def _reached_in(team_id: int, start: datetime, end: datetime) -> QuerySet[Referral]:
    return Referral.objects.filter(team_id=team_id, co_allocated_at__gte=start, co_allocated_at__lt=end)


def children_reaching_evolve(*, team_id: int, start: datetime, end: datetime) -> int:
    """Distinct children with a referral that reached Evolve in the period: a child referred twice counts once."""
    counts = _reached_in(team_id, start, end).aggregate(children=Count("child_id", distinct=True))
    return int(counts["children"])


def children_reaching_evolve_by_agency(
    *, team_id: int, start: datetime, end: datetime
) -> list[tuple[int | None, str, int]]:
    """The same children by the referrer's agency, as (agency id, agency name, children), by name. A child referred
    by two agencies counts under each; a referrer with no agency recorded is (None, "", children)."""
    rows = (
        _reached_in(team_id, start, end)
        .values("referrer_agency_id", "referrer_agency__name")
        .annotate(children=Count("child_id", distinct=True))
        .order_by("referrer_agency__name", "referrer_agency_id")
    )
    return [(row["referrer_agency_id"], row["referrer_agency__name"] or "", row["children"]) for row in rows]


# Subject access and retention (dataprotection) ----------------------------------------------------------------------
# Everything the referrals hold about one child, as plain data, for the data protection officer's export; and when a
# child's referrals last changed, for the retention rules. Not read through a user's gate: a subject access export is
# the data controller's, and `dataprotection` calls these only after checking the manager asking may see the child.
# A referral is about one child, so no other child is named here.

from datetime import date, time  # noqa: E402
from typing import Any  # noqa: E402

from django.db.models import Max  # noqa: E402
from django.utils import timezone  # noqa: E402


def _subject_access_who(user: User | None) -> str:
    if user is None:
        return ""
    agency = getattr(user, "agency", None)
    return f"{user.display_name} ({agency.short_name})" if agency else user.display_name


def subject_access_referrals(*, child_id: int) -> list[dict[str, Any]]:
    """Every referral about the child, oldest first, with the form's answers, its timeline, the clarifications asked,
    the MASH checks and the attachments' details (the files themselves stay in private storage). Six queries."""
    referrals = (
        Referral.objects.filter(child_id=child_id)
        .select_related("referrer__agency", "referrer_agency", "catalogue_version", "team")
        .prefetch_related(
            Prefetch("events", queryset=ReferralEvent.objects.select_related("user__agency").order_by("at", "id")),
            "clarifications__asked_by__agency",
            "mash_checks__agency",
            "mash_checks__by__agency",
            "attachments__uploaded_by__agency",
            "indicators__category",
        )
        .order_by("created_at", "id")
    )
    return [
        {
            "id": str(referral.public_id),
            "form": referral.get_form_display(),
            "state": referral.get_state_display(),
            "created_at": referral.created_at,
            "submitted_at": referral.submitted_at,
            "child_as_described": {
                "first_name": referral.child_first_name,
                "last_name": referral.child_last_name,
                "date_of_birth": referral.child_date_of_birth,
                "address": referral.child_address,
                "school": referral.child_school,
                "known_to_agencies": referral.known_to_agencies,
            },
            "referrer": {
                "name": _subject_access_who(referral.referrer),
                "agency": referral.referrer_agency.name if referral.referrer_agency else "",
                "role": referral.referrer_role,
                "phone": referral.referrer_phone,
                "email": referral.referrer_email,
            },
            "concern": referral.concern,
            "urgency": referral.get_urgency_display(),
            "consent": referral.get_consent_display(),
            "consent_reason": referral.consent_reason,
            "screening_catalogue_version": referral.catalogue_version.number if referral.catalogue_version else None,
            "indicators": [f"{i.category.name}: {i.text}" for i in referral.indicators.all()],
            "screening_notes": referral.screening_notes,
            "threshold": referral.get_threshold_display(),
            "first_rag_rating": referral.get_rag_1_display(),
            "first_rag_rationale": referral.rag_1_rationale,
            "second_rag_rating": referral.get_rag_2_display(),
            "second_rag_rationale": referral.rag_2_rationale,
            "level_of_intervention": referral.get_intervention_display(),
            "co_allocated_at": referral.co_allocated_at,
            "co_allocated_to_team": referral.team.name if referral.team else "",
            "outcome": referral.outcome,
            "outcome_letter": referral.outcome_letter,
            "timeline": [
                {
                    "at": event.at,
                    "by": _subject_access_who(event.user),
                    "step": event.summary,
                    "rationale": event.rationale,
                    "from_state": event.get_state_from_display(),
                    "to_state": event.get_state_to_display(),
                }
                for event in referral.events.all()
            ],
            "clarifications": [
                {
                    "asked_at": clarification.asked_at,
                    "asked_by": _subject_access_who(clarification.asked_by),
                    "question": clarification.question,
                    "answer": clarification.answer,
                    "answered_at": clarification.answered_at,
                }
                for clarification in referral.clarifications.all()
            ],
            "mash_checks": [
                {
                    "agency": check.agency.name,
                    "by": _subject_access_who(check.by),
                    "at": check.at,
                    "holds_information": check.holds_information,
                    "summary": check.summary,
                }
                for check in referral.mash_checks.all()
            ],
            "attachments": [
                {
                    "filename": attachment.filename,
                    "content_type": attachment.content_type,
                    "size": attachment.size,
                    "sha256": attachment.sha256,
                    "uploaded_by": _subject_access_who(attachment.uploaded_by),
                    "uploaded_at": attachment.uploaded_at,
                }
                for attachment in referral.attachments.all()
            ],
        }
        for referral in referrals
    ]


def subject_access_referrals_quiet_since(*, before: date) -> dict[int, date]:
    """Children whose referrals all last changed before `before`: child id -> the day of the latest change. One
    grouped query (for the retention rule on referrals that led to no further action)."""
    rows = (
        Referral.objects.filter(child_id__isnull=False)
        .values("child_id")
        .annotate(last=Max("updated_at"))
        .filter(last__lt=timezone.make_aware(datetime.combine(before, time.min)))
        .values_list("child_id", "last")
    )
    return {child_id: timezone.localdate(last) for child_id, last in rows}
