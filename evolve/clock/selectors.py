"""Reading deadlines: where each clock stands, in words a queue can show, and every subject's deadlines at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from evolve.clock.calendar import LONDON, WORKING_DAY, real_time_between, working_time_between
from evolve.clock.models import Deadline, DeadlinePause, DeadlineUnit

# Amber once less than this share of the time allowed is left.
AMBER_BELOW = 0.25


@dataclass(frozen=True)
class DeadlineStatus:
    """Where a deadline stands at one moment.

    `time_left` is real time to the due time: negative when overdue; for a paused clock, what was left when it was
    paused; for a met one, what was left when it was met (negative if late). `due_at` is the current due time (a
    paused clock's moves on when it is resumed). `rag` is red when breached, amber when less than a quarter of the
    time allowed is left (counted in working time for working-day clocks), green otherwise."""

    due_at: datetime
    time_left: timedelta
    is_paused: bool
    is_met: bool
    is_breached: bool
    label: str
    rag: str


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _span(delta: timedelta) -> str:
    """A length of real time in the coarsest unit that still reads right in a queue: minutes, hours up to two
    days, then days. Rounded down, so time left is never overstated."""
    if delta < timedelta(minutes=1):
        return "less than a minute"
    if delta < timedelta(hours=1):
        return _plural(delta // timedelta(minutes=1), "minute")
    if delta < timedelta(hours=48):
        return _plural(delta // timedelta(hours=1), "hour")
    return _plural(delta // timedelta(days=1), "day")


def _allowed(deadline: Deadline) -> timedelta:
    if deadline.unit == DeadlineUnit.WORKING_DAYS:
        return WORKING_DAY * deadline.amount
    return timedelta(hours=deadline.amount)


def _left(deadline: Deadline, at: datetime) -> timedelta:
    """Time left at `at` in the deadline's own measure: working time for a working-day clock."""
    if deadline.unit == DeadlineUnit.WORKING_DAYS:
        return working_time_between(start=at, end=deadline.due_at)
    return real_time_between(start=at, end=deadline.due_at)


def _time_left_label(deadline: Deadline, at: datetime, time_left: timedelta) -> str:
    if deadline.unit != DeadlineUnit.WORKING_DAYS or time_left < timedelta(hours=24):
        return f"{_span(time_left)} left"
    working_days = _left(deadline, at) // WORKING_DAY
    if working_days >= 1:
        return f"{_plural(working_days, 'working day')} left"
    # More than a day away on the clock but less than a working day of working time: a weekend or a bank holiday is
    # in between, so hours would mislead. Say when.
    return f"Due {timezone.localtime(deadline.due_at, LONDON):%A %H:%M}"


def deadline_status(*, deadline: Deadline, now: datetime | None = None) -> DeadlineStatus:
    """Where `deadline` stands at `now` (default: now). No queries."""
    now = now or timezone.now()
    is_met = deadline.met_at is not None
    is_paused = not is_met and deadline.paused_at is not None
    at = deadline.met_at or (deadline.paused_at if is_paused else None) or now
    time_left = real_time_between(start=at, end=deadline.due_at)
    is_breached = deadline.breached_at is not None or time_left < timedelta(0)
    if is_met:
        label = f"Met {_span(-time_left)} late" if time_left < timedelta(0) else "Met"
    elif is_paused:
        label = f"Paused: {deadline.pause_reason}"
    elif time_left < timedelta(0):
        label = f"Overdue by {_span(-time_left)}"
    else:
        label = _time_left_label(deadline, at, time_left)
    if is_breached:
        rag = "red"
    elif not is_met and _left(deadline, at) < _allowed(deadline) * AMBER_BELOW:
        rag = "amber"
    else:
        rag = "green"
    return DeadlineStatus(
        due_at=deadline.due_at,
        time_left=time_left,
        is_paused=is_paused,
        is_met=is_met,
        is_breached=is_breached,
        label=label,
        rag=rag,
    )


def deadlines_for_subjects(*, subject_type: str, subject_ids: Iterable[int]) -> dict[int, list[Deadline]]:
    """Every deadline of these subjects, soonest due first, in one query whatever the number of subjects, for queue
    pages. Every id asked about is a key, with an empty list if it has no deadline."""
    ids = list(dict.fromkeys(subject_ids))
    found: dict[int, list[Deadline]] = {subject_id: [] for subject_id in ids}
    if not ids:
        return found
    for deadline in Deadline.objects.filter(subject_type=subject_type, subject_id__in=ids).order_by(
        "subject_id", "due_at", "id"
    ):
        found[deadline.subject_id].append(deadline)
    return found


def deadline_pause_history(*, deadline: Deadline) -> list[DeadlinePause]:
    """Every pause of a deadline, oldest first, with who paused and who resumed it."""
    return list(DeadlinePause.objects.filter(deadline=deadline).select_related("by", "resumed_by"))


def open_deadlines(*, subject_type: str, kind: str) -> QuerySet[Deadline]:
    """Deadlines of one kind for one type of subject that are not yet met, soonest due first."""
    return Deadline.objects.filter(subject_type=subject_type, kind=kind, met_at__isnull=True).order_by("due_at", "id")
