"""Starting, pausing, resuming and meeting deadlines, and recording why one was missed.

Each write locks the deadline's row, so two people pausing or resuming at once cannot both succeed or lose a pause.
How a pause moves the due time: a clock in hours moves on by the real time it was paused; a clock in working days
moves on by the working time it was paused (see evolve.clock.calendar), so a pause from Friday afternoon to Monday
morning costs the working hours of Friday and Monday it covered, not the weekend, which the clock never counted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from evolve.accounts.models import User
from evolve.clock.calendar import (
    add_hours,
    add_working_days,
    add_working_time,
    real_time_between,
    working_time_between,
)
from evolve.clock.models import Deadline, DeadlineKind, DeadlinePause, DeadlineUnit


def deadline_due(*, unit: str, amount: int, started_at: datetime) -> datetime:
    """When a clock of `amount` `unit` started at `started_at` is due, before any pause."""
    if unit == DeadlineUnit.HOURS:
        return add_hours(start=started_at, hours=amount)
    if unit == DeadlineUnit.WORKING_DAYS:
        return add_working_days(start=started_at, days=amount)
    raise ValueError(f"Unknown unit: {unit}")


def _pause_cost(deadline: Deadline, paused_at: datetime, resumed_at: datetime) -> timedelta:
    if deadline.unit == DeadlineUnit.WORKING_DAYS:
        return working_time_between(start=paused_at, end=resumed_at)
    return real_time_between(start=paused_at, end=resumed_at)


def _moved_on(deadline: Deadline, by: timedelta) -> datetime:
    if deadline.unit == DeadlineUnit.WORKING_DAYS:
        return add_working_time(start=deadline.due_at, duration=by)
    return deadline.due_at.astimezone(UTC) + by  # real time, so in UTC: see real_time_between


def _locked(deadline: Deadline) -> Deadline:
    return Deadline.objects.select_for_update().get(pk=deadline.pk)


def _end_pause(deadline: Deadline, *, at: datetime, by: User | None) -> None:
    """Move the due time on by what the pause cost and close the pause's history row. `deadline` is locked."""
    assert deadline.paused_at is not None
    deadline.due_at = _moved_on(deadline, _pause_cost(deadline, deadline.paused_at, at))
    deadline.paused_for += real_time_between(start=deadline.paused_at, end=at)
    deadline.paused_at = None
    deadline.pause_reason = ""
    DeadlinePause.objects.filter(deadline=deadline, resumed_at__isnull=True).update(resumed_at=at, resumed_by=by)


@transaction.atomic
def deadline_start(
    *, kind: str, unit: str, amount: int, subject_type: str, subject_id: int, started_at: datetime | None = None
) -> Deadline:
    """Start a clock for a subject in another app. `started_at` is when the timescale began (the referral came in),
    which may be before it was recorded; it defaults to now."""
    errors: dict[str, str] = {}
    if kind not in DeadlineKind.values:
        errors["kind"] = f"Unknown kind of deadline: {kind}"
    if unit not in DeadlineUnit.values:
        errors["unit"] = 'Give the timescale in "hours" or "working_days"'
    if amount < 1:
        errors["amount"] = "A timescale must be at least 1 hour or 1 working day"
    if not subject_type.strip():
        errors["subject_type"] = "Say what the deadline is for"
    if started_at is not None and timezone.is_naive(started_at):
        errors["started_at"] = "Give the start time with its time zone"
    if errors:
        raise ValidationError(errors)
    started_at = started_at or timezone.now()
    return Deadline.objects.create(
        kind=kind,
        unit=unit,
        amount=amount,
        subject_type=subject_type.strip(),
        subject_id=subject_id,
        started_at=started_at,
        due_at=deadline_due(unit=unit, amount=amount, started_at=started_at),
    )


@transaction.atomic
def deadline_pause(*, deadline: Deadline, by: User, reason: str) -> Deadline:
    """Stop the clock, with the reason on record (the child is in hospital, the family asked to wait). A deadline
    already overdue cannot be paused: the breach has happened, and its reason is recorded instead."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the clock is paused"})
    current = _locked(deadline)
    now = timezone.now()
    if current.met_at is not None:
        raise ValidationError("This deadline has been met: its clock has stopped", code="met")
    if current.paused_at is not None:
        raise ValidationError("The clock is already paused", code="paused")
    if now > current.due_at:
        raise ValidationError("This deadline has passed: record why it was missed instead", code="overdue")
    current.paused_at = now
    current.pause_reason = reason
    current.save(update_fields=["paused_at", "pause_reason"])
    DeadlinePause.objects.create(deadline=current, paused_at=now, reason=reason, by=by)
    return current


@transaction.atomic
def deadline_resume(*, deadline: Deadline, by: User) -> Deadline:
    """Restart the clock. The due time moves on by the time the pause cost (see the module's note)."""
    current = _locked(deadline)
    if current.paused_at is None:
        raise ValidationError("The clock is not paused", code="not_paused")
    _end_pause(current, at=timezone.now(), by=by)
    current.save(update_fields=["due_at", "paused_for", "paused_at", "pause_reason"])
    return current


@transaction.atomic
def deadline_meet(*, deadline: Deadline, at: datetime | None = None) -> Deadline:
    """The thing the deadline asked for was done, at `at` (default now). Called by the service that did it, which
    records who. Meeting a paused deadline ends the pause then. Met after its due time, it is stamped breached."""
    now = timezone.now()
    at = at or now
    current = _locked(deadline)
    if current.met_at is not None:
        raise ValidationError("This deadline has already been met", code="met")
    if timezone.is_naive(at):
        raise ValidationError({"at": "Give the time with its time zone"})
    if at > now:
        raise ValidationError({"at": "A deadline cannot be met in the future"})
    if at < current.started_at:
        raise ValidationError({"at": "A deadline cannot be met before it started"})
    if current.paused_at is not None:
        if at < current.paused_at:
            raise ValidationError({"at": "The clock was paused after this time: resume it first"})
        _end_pause(current, at=at, by=None)
    current.met_at = at
    if at > current.due_at and current.breached_at is None:
        current.breached_at = current.due_at
    current.save(update_fields=["due_at", "paused_for", "paused_at", "pause_reason", "met_at", "breached_at"])
    return current


@transaction.atomic
def deadline_breach_reason_record(*, deadline: Deadline, by: User, reason: str, replacing: str = "") -> Deadline:
    """Record why a deadline was missed, for the manager's oversight and the statutory returns. Only for one that is
    overdue now or was met late. Recording again replaces the reason (to correct it) and who gave it, but only the
    reason the person saw (`replacing`, empty for none): a reason someone else recorded meanwhile is not overwritten
    unseen (code "stale", with their reason in the message)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the deadline was missed"})
    current = _locked(deadline)
    if current.breach_reason != replacing.strip():
        who = current.breach_reason_by.display_name if current.breach_reason_by else "Someone"
        raise ValidationError(
            f"{who} recorded why it was missed while you were writing: \u201c{current.breach_reason}\u201d."
            " Nothing was changed; your reason is below",
            code="stale",
        )
    now = timezone.now()
    met_late = current.met_at is not None and current.met_at > current.due_at
    overdue = current.met_at is None and current.paused_at is None and now > current.due_at
    if not (met_late or overdue):
        raise ValidationError("This deadline has not been missed", code="not_breached")
    current.breach_reason = reason
    current.breach_reason_by = by
    current.breach_reason_at = now
    current.breached_at = current.breached_at or current.due_at
    current.save(update_fields=["breach_reason", "breach_reason_by", "breach_reason_at", "breached_at"])
    return current


def deadline_breaches_mark(*, now: datetime | None = None) -> int:
    """Stamp `breached_at` on every running deadline that has passed its due time; returns how many. Run
    periodically (evolve.clock.tasks) so reports can count breaches without working out every clock. One UPDATE,
    using the index of open deadlines; the status shown to users never waits for it."""
    now = now or timezone.now()
    return Deadline.objects.filter(
        met_at__isnull=True, paused_at__isnull=True, breached_at__isnull=True, due_at__lt=now
    ).update(breached_at=F("due_at"))
