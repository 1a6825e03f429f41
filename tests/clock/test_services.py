"""Starting, pausing, resuming and meeting deadlines, and recording why one was missed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from evolve.accounts.models import User
from evolve.clock.calendar import LONDON
from evolve.clock.models import Deadline, DeadlineKind, DeadlinePause, DeadlineUnit
from evolve.clock.selectors import deadline_pause_history, deadline_status
from evolve.clock.services import (
    deadline_breach_reason_record,
    deadline_breaches_mark,
    deadline_meet,
    deadline_pause,
    deadline_resume,
    deadline_start,
)

pytestmark = pytest.mark.django_db


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def _notification(started_at: datetime, subject_id: int = 1) -> Deadline:
    return deadline_start(
        kind=DeadlineKind.NOTIFICATION,
        unit=DeadlineUnit.HOURS,
        amount=24,
        subject_type="referral",
        subject_id=subject_id,
        started_at=started_at,
    )


def _fresh(deadline: Deadline) -> Deadline:
    return Deadline.objects.get(pk=deadline.pk)


def test_a_deadline_starts_now_unless_told_and_is_due_after_its_timescale() -> None:
    with time_machine.travel(london(2026, 4, 13, 9), tick=False):
        deadline = deadline_start(
            kind=DeadlineKind.STRATEGY_DISCUSSION,
            unit=DeadlineUnit.WORKING_DAYS,
            amount=2,
            subject_type="referral",
            subject_id=7,
        )
    deadline = _fresh(deadline)
    assert deadline.started_at == london(2026, 4, 13, 9)
    assert deadline.due_at == london(2026, 4, 15, 9)


def test_a_deadline_may_start_when_the_referral_came_in_rather_than_when_it_was_recorded() -> None:
    with time_machine.travel(london(2026, 4, 14, 9), tick=False):
        deadline = _notification(london(2026, 4, 13, 22))
    assert _fresh(deadline).due_at == london(2026, 4, 14, 22)


def test_a_deadline_without_a_proper_timescale_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        deadline_start(kind="lunch", unit="fortnights", amount=0, subject_type=" ", subject_id=1)
    assert set(refused.value.message_dict) == {"kind", "unit", "amount", "subject_type"}
    assert not Deadline.objects.exists()


def test_pausing_and_resuming_moves_the_due_time_on_by_the_pause_and_keeps_the_history(
    social_worker: User, team_manager: User
) -> None:
    deadline = _notification(london(2026, 4, 13, 9))
    with time_machine.travel(london(2026, 4, 13, 11), tick=False):
        paused = deadline_pause(deadline=deadline, by=social_worker, reason=" Child admitted to hospital ")
    assert paused.pause_reason == "Child admitted to hospital"
    with time_machine.travel(london(2026, 4, 13, 14), tick=False):
        resumed = deadline_resume(deadline=deadline, by=team_manager)
    with time_machine.travel(london(2026, 4, 13, 15), tick=False):
        deadline_pause(deadline=deadline, by=team_manager, reason="Family asked to wait for their advocate")
    with time_machine.travel(london(2026, 4, 13, 16), tick=False):
        resumed = deadline_resume(deadline=deadline, by=social_worker)

    resumed = _fresh(resumed)
    assert resumed.due_at == london(2026, 4, 14, 13)  # 09:00 next day, plus three hours and one hour paused
    assert resumed.paused_for == timedelta(hours=4)
    assert resumed.paused_at is None
    history = [
        (pause.reason, pause.by, pause.paused_at, pause.resumed_by, pause.resumed_at)
        for pause in deadline_pause_history(deadline=deadline)
    ]
    assert history == [
        ("Child admitted to hospital", social_worker, london(2026, 4, 13, 11), team_manager, london(2026, 4, 13, 14)),
        (
            "Family asked to wait for their advocate",
            team_manager,
            london(2026, 4, 13, 15),
            social_worker,
            london(2026, 4, 13, 16),
        ),
    ]


def test_a_paused_working_day_clock_moves_on_by_the_working_time_paused_not_the_weekend(social_worker: User) -> None:
    # Three working days from Wednesday 10:00 is Monday 10:00.
    deadline = deadline_start(
        kind=DeadlineKind.RAG_RESPONSE,
        unit=DeadlineUnit.WORKING_DAYS,
        amount=3,
        subject_type="referral",
        subject_id=1,
        started_at=london(2026, 4, 15, 10),
    )
    assert deadline.due_at == london(2026, 4, 20, 10)
    with time_machine.travel(london(2026, 4, 17, 10), tick=False):
        deadline_pause(deadline=deadline, by=social_worker, reason="Waiting for the police disclosure")
    with time_machine.travel(london(2026, 4, 20, 10), tick=False):
        resumed = deadline_resume(deadline=deadline, by=social_worker)
    # Paused for three days on the calendar, but only one working day of them: due a day later, not three.
    assert _fresh(resumed).due_at == london(2026, 4, 21, 10)
    assert _fresh(resumed).paused_for == timedelta(days=3)


def test_a_pause_without_a_reason_is_refused_and_nothing_changes(social_worker: User) -> None:
    deadline = _notification(london(2026, 4, 13, 9))
    with time_machine.travel(london(2026, 4, 13, 11), tick=False), pytest.raises(ValidationError) as refused:
        deadline_pause(deadline=deadline, by=social_worker, reason="   ")
    assert "reason" in refused.value.message_dict
    unchanged = _fresh(deadline)
    assert (unchanged.paused_at, unchanged.pause_reason, unchanged.due_at) == (None, "", london(2026, 4, 14, 9))
    assert not DeadlinePause.objects.exists()


def test_resuming_a_clock_that_is_not_paused_is_refused(social_worker: User) -> None:
    deadline = _notification(london(2026, 4, 13, 9))
    with time_machine.travel(london(2026, 4, 13, 11), tick=False), pytest.raises(ValidationError) as refused:
        deadline_resume(deadline=deadline, by=social_worker)
    assert refused.value.code == "not_paused"
    assert _fresh(deadline).due_at == london(2026, 4, 14, 9)


def test_a_paused_clock_cannot_be_paused_again(social_worker: User) -> None:
    deadline = _notification(london(2026, 4, 13, 9))
    with time_machine.travel(london(2026, 4, 13, 11), tick=False):
        deadline_pause(deadline=deadline, by=social_worker, reason="Child missing")
        with pytest.raises(ValidationError) as refused:
            deadline_pause(deadline=deadline, by=social_worker, reason="Another reason")
    assert refused.value.code == "paused"
    assert list(DeadlinePause.objects.values_list("reason", flat=True)) == ["Child missing"]


def test_a_met_or_overdue_deadline_cannot_be_paused(social_worker: User) -> None:
    met = _notification(london(2026, 4, 13, 9), subject_id=1)
    overdue = _notification(london(2026, 4, 13, 9), subject_id=2)
    with time_machine.travel(london(2026, 4, 14, 10), tick=False):
        deadline_meet(deadline=met, at=london(2026, 4, 13, 12))
        with pytest.raises(ValidationError) as refused_met:
            deadline_pause(deadline=met, by=social_worker, reason="Too late")
        with pytest.raises(ValidationError) as refused_overdue:
            deadline_pause(deadline=overdue, by=social_worker, reason="Too late")
    assert (refused_met.value.code, refused_overdue.value.code) == ("met", "overdue")
    assert not DeadlinePause.objects.exists()


def test_a_deadline_met_on_time_is_not_breached() -> None:
    deadline = _notification(london(2026, 4, 13, 9))
    with time_machine.travel(london(2026, 4, 14, 8), tick=False):
        met = deadline_meet(deadline=deadline)
    met = _fresh(met)
    assert (met.met_at, met.breached_at) == (london(2026, 4, 14, 8), None)
    with pytest.raises(ValidationError) as refused:
        deadline_meet(deadline=met)
    assert refused.value.code == "met"


def test_a_deadline_met_late_is_stamped_breached_at_its_due_time() -> None:
    deadline = _notification(london(2026, 4, 13, 9))
    with time_machine.travel(london(2026, 4, 14, 12), tick=False):
        met = deadline_meet(deadline=deadline)
    assert _fresh(met).breached_at == london(2026, 4, 14, 9)


def test_meeting_a_paused_deadline_ends_the_pause(social_worker: User) -> None:
    deadline = _notification(london(2026, 4, 13, 9))
    with time_machine.travel(london(2026, 4, 13, 10), tick=False):
        deadline_pause(deadline=deadline, by=social_worker, reason="Child missing")
    with time_machine.travel(london(2026, 4, 14, 12), tick=False):
        met = _fresh(deadline_meet(deadline=deadline))
    # Paused 26 hours, so due 11:00 on the 15th: met in time.
    assert (met.due_at, met.paused_at, met.breached_at) == (london(2026, 4, 15, 11), None, None)
    pause = DeadlinePause.objects.get()
    assert (pause.resumed_at, pause.resumed_by) == (london(2026, 4, 14, 12), None)


def test_a_deadline_cannot_be_met_in_the_future_or_before_it_started() -> None:
    deadline = _notification(london(2026, 4, 13, 9))
    with time_machine.travel(london(2026, 4, 13, 12), tick=False):
        for at in (london(2026, 4, 13, 13), london(2026, 4, 13, 8)):
            with pytest.raises(ValidationError) as refused:
                deadline_meet(deadline=deadline, at=at)
            assert "at" in refused.value.message_dict
    assert _fresh(deadline).met_at is None


def test_why_an_overdue_deadline_was_missed_is_recorded(team_manager: User) -> None:
    deadline = _notification(london(2026, 4, 13, 9))
    with time_machine.travel(london(2026, 4, 14, 12), tick=False):
        recorded = deadline_breach_reason_record(
            deadline=deadline, by=team_manager, reason="Duty desk short-staffed after a serious incident"
        )
        status = deadline_status(deadline=_fresh(recorded))
    recorded = _fresh(recorded)
    assert recorded.breach_reason == "Duty desk short-staffed after a serious incident"
    assert (recorded.breach_reason_by, recorded.breach_reason_at) == (team_manager, london(2026, 4, 14, 12))
    assert recorded.breached_at == london(2026, 4, 14, 9)
    assert (status.is_breached, status.rag, status.label) == (True, "red", "Overdue by 3 hours")


def test_why_a_deadline_was_met_late_is_recorded(team_manager: User) -> None:
    deadline = _notification(london(2026, 4, 13, 9))
    with time_machine.travel(london(2026, 4, 16, 12), tick=False):
        deadline_meet(deadline=deadline, at=london(2026, 4, 14, 11))
        recorded = deadline_breach_reason_record(deadline=deadline, by=team_manager, reason="Notification bounced")
    assert _fresh(recorded).breach_reason == "Notification bounced"


def test_a_breach_reason_recorded_meanwhile_is_not_overwritten_unseen(team_manager: User, social_worker: User) -> None:
    deadline = _notification(london(2026, 4, 13, 9))
    with time_machine.travel(london(2026, 4, 14, 12), tick=False):
        deadline_breach_reason_record(deadline=deadline, by=team_manager, reason="Duty desk short-staffed")
        with pytest.raises(ValidationError) as stale:  # the second person's page showed no reason
            deadline_breach_reason_record(deadline=deadline, by=social_worker, reason="Waiting for the police check")
        assert stale.value.code == "stale"
        assert "Duty desk short-staffed" in stale.value.messages[0]
        assert _fresh(deadline).breach_reason == "Duty desk short-staffed"
        # Correcting the reason one has seen replaces it.
        deadline_breach_reason_record(
            deadline=deadline, by=social_worker, reason="Police check delayed", replacing="Duty desk short-staffed"
        )
    assert (_fresh(deadline).breach_reason, _fresh(deadline).breach_reason_by) == (
        "Police check delayed",
        social_worker,
    )


def test_a_breach_reason_is_refused_for_a_deadline_not_missed_or_without_a_reason(team_manager: User) -> None:
    on_time = _notification(london(2026, 4, 13, 9), subject_id=1)
    overdue = _notification(london(2026, 4, 13, 9), subject_id=2)
    with time_machine.travel(london(2026, 4, 14, 8), tick=False), pytest.raises(ValidationError) as not_missed:
        deadline_breach_reason_record(deadline=on_time, by=team_manager, reason="Just in case")
    with time_machine.travel(london(2026, 4, 14, 12), tick=False), pytest.raises(ValidationError) as no_reason:
        deadline_breach_reason_record(deadline=overdue, by=team_manager, reason="")
    assert not_missed.value.code == "not_breached"
    assert "reason" in no_reason.value.message_dict
    assert set(Deadline.objects.values_list("breach_reason", flat=True)) == {""}


def test_the_sweep_stamps_only_running_deadlines_past_their_due_time(social_worker: User) -> None:
    overdue = _notification(london(2026, 4, 13, 9), subject_id=1)
    running = _notification(london(2026, 4, 14, 9), subject_id=2)
    paused = _notification(london(2026, 4, 13, 9), subject_id=3)
    with time_machine.travel(london(2026, 4, 13, 10), tick=False):
        deadline_pause(deadline=paused, by=social_worker, reason="Child missing")
    assert deadline_breaches_mark(now=london(2026, 4, 14, 12)) == 1
    assert deadline_breaches_mark(now=london(2026, 4, 14, 12)) == 0
    assert _fresh(overdue).breached_at == london(2026, 4, 14, 9)
    assert (_fresh(running).breached_at, _fresh(paused).breached_at) == (None, None)
