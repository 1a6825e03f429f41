"""Break-glass: a team member opens a record restricted to another agency in an emergency, giving a reason.

The opening lasts settings.BREAK_GLASS_MINUTES and then closes by itself (`granted_children` counts only unexpired
openings). It is marked in the access log with its reason, and the owning agency's managers are notified and review
it, once. The opener's own managers are told as well.

Who may break glass: an Evolve team member (a team role and a team), not the governance group, about a child open to
their own team and restricted to another agency. Nobody else is offered it, and for anybody else the record stays a
plain 404 (an id reveals nothing).

Who reviews: managers (MANAGER_ROLES) of the owning agency, in the child's team or in no team (a service manager,
detective inspector or clinical manager oversees the agency's work in every team).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from evolve.access import gate
from evolve.access.models import BreakGlassAccess, BreakGlassOutcome
from evolve.accounts.models import User
from evolve.accounts.roles import MANAGER_ROLES, Role
from evolve.audit.auditor import record_access
from evolve.audit.models import AccessAction, AccessLogEntry
from evolve.notifications.services import notify
from evolve.people.models import Child

REASON_MIN_LENGTH = 20
REASON_MAX_LENGTH = 2000
REVIEW_NOTES_MAX_LENGTH = 2000
# More than a few records open at once in "emergencies" is itself a sign of misuse: the user is told to ask their
# manager for a grant instead.
MAX_OPEN_AT_ONCE = 3

REVIEW_SUBJECT = "An emergency opening of a restricted record needs your review"
OPENER_MANAGER_SUBJECT = "Someone in your agency opened a restricted record in an emergency"
NOT_APPROPRIATE_SUBJECT = "An emergency opening was reviewed as not appropriate"


# ---------------------------------------------------------------------------------------------------------------
# Who may do what


def may_break_glass(user: User) -> bool:
    """Whether `user` is someone who could ever break glass (an active team member, not the governance group)."""
    return bool(user.is_authenticated and user.is_active and user.is_team_member and not user.has_role(Role.GOVERNANCE))


def _openable(user: User, child: Child) -> bool:
    return (
        may_break_glass(user)
        and child.open_to_team_id is not None
        and child.open_to_team_id == user.team_id
        and child.restricted_to_agency_id is not None
        and child.restricted_to_agency_id != user.agency_id
    )


def may_review_break_glass(user: User) -> bool:
    """Whether `user` is a manager who could review openings (of records restricted to their agency)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_manager
        and user.agency_id is not None
        and not user.has_role(Role.GOVERNANCE)
    )


def _reviewable_by(user: User) -> models.Q:
    if not may_review_break_glass(user):
        return models.Q(pk__in=[])
    scope = models.Q(owning_agency_id=user.agency_id) & ~models.Q(user_id=user.pk)
    if user.team_id is not None:
        scope &= models.Q(team_id=user.team_id)
    return scope


# ---------------------------------------------------------------------------------------------------------------
# Selectors


def break_glass_child_for_user(*, user: User, public_id: uuid.UUID | str) -> Child | None:
    """The child `user` could open in an emergency: open to their team and restricted to another agency. None for
    anyone who may not break glass, and for any id that is not such a child, so callers can answer a plain 404.
    Whether the user already sees the child (an unexpired opening, a grant) is for the caller to ask the gate."""
    if not may_break_glass(user):
        return None
    try:
        return (
            Child.objects.select_related("restricted_to_agency")
            .filter(open_to_team_id=user.team_id, restricted_to_agency__isnull=False)
            .exclude(restricted_to_agency_id=user.agency_id)
            .get(public_id=public_id)
        )
    except (ObjectDoesNotExist, ValueError, ValidationError):
        return None


def break_glass_child_visible(*, user: User, child: Child) -> bool:
    """Whether `user` already sees `child` (an unexpired opening, a grant): then there is no glass to break."""
    return gate.can_see(user, child)


def break_glass_open_for(*, user: User, child: Child) -> BreakGlassAccess | None:
    """The user's unexpired emergency opening of `child`, for the warning on the child's page. No query for a child
    that is not restricted to another agency (nothing to break)."""
    if child.restricted_to_agency_id is None or child.restricted_to_agency_id == user.agency_id:
        return None
    return (
        BreakGlassAccess.objects.filter(user=user, child=child, expires_at__gt=timezone.now())
        .select_related("owning_agency")
        .order_by("-expires_at")
        .first()
    )


def break_glass_open_count(*, user: User) -> int:
    return BreakGlassAccess.objects.filter(user=user, expires_at__gt=timezone.now()).count()


def break_glass_reviews_for_user(*, user: User) -> models.QuerySet[BreakGlassAccess]:
    """The openings `user` reviews: of records restricted to their agency, in their team (or every team, for a
    manager in none). Waiting for review first, then newest first."""
    return (
        BreakGlassAccess.objects.filter(_reviewable_by(user))
        .select_related("user", "agency", "owning_agency", "team", "reviewed_by")
        .order_by(models.F("reviewed_at").asc(nulls_first=True), "-opened_at", "-id")
    )


def break_glass_review_get_for_user(*, user: User, public_id: uuid.UUID | str) -> BreakGlassAccess:
    """One opening for its reviewer; 403 for anyone who reviews nothing, 404 for one that is not theirs."""
    if not may_review_break_glass(user):
        raise PermissionDenied(
            "Only the managers of the agency that restricted a record review its emergency openings."
        )
    try:
        return break_glass_reviews_for_user(user=user).select_related("child").get(public_id=public_id)
    except (ObjectDoesNotExist, ValueError, ValidationError):
        raise Http404("No such emergency opening, or not one you review") from None


@dataclass(frozen=True)
class BreakGlassReviewDetail:
    opening: BreakGlassAccess
    child: Child | None  # only when the reviewer may see the record through the gate
    reads: list[AccessLogEntry]  # what the opener read of the record while it was open


def break_glass_review_detail(*, user: User, opening: BreakGlassAccess) -> BreakGlassReviewDetail:
    """What a reviewer needs: the opening, and what the opener looked at while it was open. The child's name is shown
    only to a reviewer who may see the record anyway; showing it is logged."""
    child: Child | None = None
    if gate.can_see(user, opening.child):
        child = opening.child
        record_access(user=user, children=[child], action=AccessAction.VIEWED, what="emergency opening review")
    reads = list(
        AccessLogEntry.objects.filter(
            user_id=opening.user_id,
            child_id=opening.child_id,
            at__gte=opening.opened_at,
            at__lte=opening.expires_at,
        ).order_by("at", "id")[:200]
    )
    return BreakGlassReviewDetail(opening=opening, child=child, reads=reads)


def break_glass_reviewers(*, opening: BreakGlassAccess) -> models.QuerySet[User]:
    """The owning agency's managers for this opening (see the module docstring)."""
    return (
        User.objects.filter(
            is_active=True, agency_id=opening.owning_agency_id, roles__overlap=[role.value for role in MANAGER_ROLES]
        )
        .filter(models.Q(team_id=opening.team_id) | models.Q(team__isnull=True))
        .exclude(roles__overlap=[Role.GOVERNANCE.value])
        .exclude(pk=opening.user_id)
    )


def _opener_managers(*, opening: BreakGlassAccess) -> models.QuerySet[User]:
    """The opener's own agency's managers in the team: told, not asked to review (they may not see the record)."""
    if opening.agency_id is None:
        return User.objects.none()
    return (
        User.objects.filter(
            is_active=True,
            agency_id=opening.agency_id,
            team_id=opening.team_id,
            roles__overlap=[role.value for role in MANAGER_ROLES],
        )
        .exclude(roles__overlap=[Role.GOVERNANCE.value])
        .exclude(pk=opening.user_id)
    )


# ---------------------------------------------------------------------------------------------------------------
# Services


def break_glass_open(*, user: User, child: Child, reason: str, understood: bool) -> BreakGlassAccess:
    """Open `child`'s restricted record to `user` for settings.BREAK_GLASS_MINUTES. Already open: the same opening.

    Refuses (ValidationError, nothing written) a short reason, an unticked declaration, or a fourth opening at once;
    refuses (PermissionDenied) anyone who may not break glass on this child."""
    if not _openable(user, child):
        raise PermissionDenied("You cannot open this record in an emergency.")
    reason = reason.replace("\x00", "").strip()
    errors: dict[str, str] = {}
    if len(reason) < REASON_MIN_LENGTH:
        errors["reason"] = (
            f"Give the reason for opening this record in an emergency, in at least {REASON_MIN_LENGTH} characters"
        )
    elif len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = f"The reason must be {REASON_MAX_LENGTH} characters or fewer"
    if not understood:
        errors["understood"] = "Confirm that you understand the opening is logged and will be reviewed"
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        # One opener at a time per user, so two quick submissions cannot both pass the limit.
        User.objects.select_for_update().filter(pk=user.pk).first()
        now = timezone.now()
        open_now = BreakGlassAccess.objects.filter(user=user, expires_at__gt=now)
        existing = open_now.filter(child=child).order_by("-expires_at").first()
        if existing is not None:
            return existing
        if open_now.count() >= MAX_OPEN_AT_ONCE:
            raise ValidationError(
                {
                    "reason": f"You already have {MAX_OPEN_AT_ONCE} records open in an emergency. Wait for one to "
                    "close, or ask your manager to give you access to this record"
                }
            )
        assert child.restricted_to_agency_id is not None and child.open_to_team_id is not None  # _openable
        opening = BreakGlassAccess.objects.create(
            user=user,
            agency_id=user.agency_id,
            child=child,
            owning_agency_id=child.restricted_to_agency_id,
            team_id=child.open_to_team_id,
            reason=reason,
            opened_at=now,
            expires_at=now + timedelta(minutes=settings.BREAK_GLASS_MINUTES),
        )
        record_access(user=user, children=[child], action=AccessAction.BREAK_GLASS, what=f"Break-glass: {reason}")
        until = timezone.localtime(opening.expires_at).strftime("%H:%M")
        opener = _who(user)
        notify(
            users=break_glass_reviewers(opening=opening),
            subject=REVIEW_SUBJECT,
            body=(
                f"{opener} opened a record restricted to your agency in an emergency, until {until}. "
                "Read their reason and record whether opening it was appropriate."
            ),
            url=reverse("people:breakglass-review", args=[opening.public_id]),
        )
        notify(
            users=_opener_managers(opening=opening),
            subject=OPENER_MANAGER_SUBJECT,
            body=(
                f"{opener} opened a record restricted to another agency in an emergency, until {until}. "
                "That agency's managers will review it."
            ),
        )
    return opening


def break_glass_review_record(*, opening: BreakGlassAccess, by: User, outcome: str, notes: str) -> BreakGlassAccess:
    """The owning agency's manager records whether the opening was appropriate: once. Not appropriate needs notes,
    and the opener's managers are told."""
    if not BreakGlassAccess.objects.filter(_reviewable_by(by), pk=opening.pk).exists():
        raise PermissionDenied("Only the managers of the agency that restricted the record review its openings.")
    notes = notes.replace("\x00", "").strip()
    errors: dict[str, str] = {}
    if outcome not in BreakGlassOutcome.values:
        errors["outcome"] = "Choose whether opening the record was appropriate"
    elif outcome == BreakGlassOutcome.NOT_APPROPRIATE and not notes:
        errors["notes"] = "Say why opening the record was not appropriate"
    if len(notes) > REVIEW_NOTES_MAX_LENGTH:
        errors["notes"] = f"The notes must be {REVIEW_NOTES_MAX_LENGTH} characters or fewer"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        reviewed = BreakGlassAccess.objects.filter(pk=opening.pk, reviewed_at__isnull=True).update(
            reviewed_at=timezone.now(), reviewed_by=by, review_outcome=outcome, review_notes=notes
        )
        if not reviewed:
            raise ValidationError("This emergency opening has already been reviewed")
        opening.refresh_from_db()
        if outcome == BreakGlassOutcome.NOT_APPROPRIATE:
            notify(
                users=_opener_managers(opening=opening),
                subject=NOT_APPROPRIATE_SUBJECT,
                body=(
                    f"{_who(by)} reviewed an emergency opening of a restricted record by {_who(opening.user)} "
                    "and found it was not appropriate. Talk to them about it."
                ),
            )
    return opening


def _who(user: User) -> str:
    agency = f" ({user.agency.short_name})" if user.agency else ""
    return f"{user.display_name}{agency}"
