"""Reading referrals: always through the gate. Queues come with their deadlines in one extra query."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from evolve.access import gate
from evolve.accounts.models import User
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction
from evolve.clock.models import Deadline
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


def referral_queue_for_user(*, user: User, stage: str, urgency: str = "", sort: str = "oldest") -> list[QueueRow]:
    """A front-door queue: urgent first, then oldest first (or newest with sort="newest")."""
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
    rows = list(referrals.order_by("-urgency", order, "id")[:200])
    deadlines = deadlines_for_subjects(subject_type=subject_type, subject_ids=[r.pk for r in rows])
    children = [r.child for r in rows if r.child is not None]
    if children:
        record_access(user=user, children=children, action=AccessAction.LISTED, what=f"{stage} queue")
    return [
        QueueRow(referral=r, deadlines=[(d, deadline_status(deadline=d)) for d in deadlines.get(r.pk, [])])
        for r in rows
    ]


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
