"""What a queue shows for a deadline at a given moment: time left in words, and its RAG colour."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from evolve.accounts.models import User
from evolve.clock.calendar import LONDON
from evolve.clock.models import Deadline, DeadlineKind, DeadlineUnit
from evolve.clock.selectors import deadline_status
from evolve.clock.services import deadline_meet, deadline_pause, deadline_start

pytestmark = pytest.mark.django_db


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def _start(unit: str, amount: int, started_at: datetime) -> Deadline:
    return deadline_start(
        kind=DeadlineKind.RAG_RESPONSE,
        unit=unit,
        amount=amount,
        subject_type="referral",
        subject_id=1,
        started_at=started_at,
    )


@pytest.mark.parametrize(
    ("now", "label", "rag", "time_left"),
    [
        (london(2026, 4, 13, 10), "23 hours left", "green", timedelta(hours=23)),
        (london(2026, 4, 14, 3, 30), "5 hours left", "amber", timedelta(hours=5, minutes=30)),
        (london(2026, 4, 14, 7), "2 hours left", "amber", timedelta(hours=2)),
        (london(2026, 4, 14, 8, 15), "45 minutes left", "amber", timedelta(minutes=45)),
        (london(2026, 4, 14, 12), "Overdue by 3 hours", "red", -timedelta(hours=3)),
        (london(2026, 4, 17, 10), "Overdue by 3 days", "red", -timedelta(days=3, hours=1)),
    ],
)
def test_an_hours_clock_in_a_queue(now: datetime, label: str, rag: str, time_left: timedelta) -> None:
    deadline = _start(DeadlineUnit.HOURS, 24, london(2026, 4, 13, 9))
    with time_machine.travel(now, tick=False):
        status = deadline_status(deadline=deadline)
    assert (status.label, status.rag, status.time_left) == (label, rag, time_left)
    assert status.is_breached is (rag == "red")
    assert status.due_at == london(2026, 4, 14, 9)


@pytest.mark.parametrize(
    ("now", "label", "rag"),
    [
        # Three working days from Monday 10:00: due Thursday 10:00.
        (london(2026, 4, 13, 11), "2 working days left", "green"),
        (london(2026, 4, 14, 10), "2 working days left", "green"),
        (london(2026, 4, 15, 10), "1 working day left", "green"),
        (london(2026, 4, 15, 20), "14 hours left", "amber"),
        (london(2026, 4, 16, 11), "Overdue by 1 hour", "red"),
    ],
)
def test_a_working_day_clock_in_a_queue(now: datetime, label: str, rag: str) -> None:
    deadline = _start(DeadlineUnit.WORKING_DAYS, 3, london(2026, 4, 13, 10))
    status = deadline_status(deadline=deadline, now=now)
    assert (status.label, status.rag) == (label, rag)


def test_over_a_weekend_a_working_day_clock_says_when_it_is_due_rather_than_misleading_hours() -> None:
    # One working day from Friday 10:00 is Monday 10:00: on Friday afternoon there are 18 working hours left but
    # 66 hours on the clock.
    deadline = _start(DeadlineUnit.WORKING_DAYS, 1, london(2026, 4, 17, 10))
    assert deadline_status(deadline=deadline, now=london(2026, 4, 17, 16)).label == "Due Monday 10:00"
    assert deadline_status(deadline=deadline, now=london(2026, 4, 17, 16)).rag == "green"
    # Amber is judged on working time: three working hours left on Monday morning is an eighth of the day allowed.
    assert deadline_status(deadline=deadline, now=london(2026, 4, 20, 7)).rag == "amber"


def test_a_paused_clock_shows_why_and_stops_counting_down(social_worker: User) -> None:
    deadline = _start(DeadlineUnit.HOURS, 24, london(2026, 4, 13, 9))
    with time_machine.travel(london(2026, 4, 13, 15), tick=False):
        paused = deadline_pause(deadline=deadline, by=social_worker, reason="Waiting for the police disclosure")
    # Long after the original due time, the paused clock is neither overdue nor counting.
    status = deadline_status(deadline=paused, now=london(2026, 4, 20, 9))
    assert (status.label, status.is_paused, status.is_breached) == (
        "Paused: Waiting for the police disclosure",
        True,
        False,
    )
    assert status.time_left == timedelta(hours=18)
    assert status.rag == "green"


def test_a_met_deadline_shows_met_or_how_late() -> None:
    on_time = _start(DeadlineUnit.HOURS, 24, london(2026, 4, 13, 9))
    late = _start(DeadlineUnit.HOURS, 24, london(2026, 4, 13, 9))
    with time_machine.travel(london(2026, 4, 14, 11), tick=False):
        deadline_meet(deadline=on_time, at=london(2026, 4, 14, 8))
        deadline_meet(deadline=late)
    on_time.refresh_from_db()
    late.refresh_from_db()
    met = deadline_status(deadline=on_time, now=london(2026, 5, 1))
    met_late = deadline_status(deadline=late, now=london(2026, 5, 1))
    assert (met.label, met.rag, met.is_met, met.is_breached) == ("Met", "green", True, False)
    assert (met_late.label, met_late.rag, met_late.is_met, met_late.is_breached) == (
        "Met 2 hours late",
        "red",
        True,
        True,
    )


def test_the_status_counts_real_hours_across_the_clocks_going_back() -> None:
    # Started at noon on the Saturday before the clocks go back: due at 11:00 on the Sunday.
    deadline = _start(DeadlineUnit.HOURS, 24, london(2026, 10, 24, 12))
    status = deadline_status(deadline=deadline, now=london(2026, 10, 25, 0, 30))
    assert status.due_at == london(2026, 10, 25, 11)
    assert status.label == "11 hours left"  # 00:30 BST to 11:00 GMT is eleven and a half hours
