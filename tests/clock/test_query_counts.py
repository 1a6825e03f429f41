"""A queue's cost does not grow with its rows: one query for the deadlines of 3 subjects or 30, none for status."""

from __future__ import annotations

from datetime import datetime

import pytest
from pytest_django import DjangoAssertNumQueries

from evolve.clock.calendar import LONDON
from evolve.clock.models import DeadlineKind, DeadlineUnit
from evolve.clock.selectors import deadline_status, deadlines_for_subjects
from evolve.clock.services import deadline_start

pytestmark = pytest.mark.django_db

STARTED = datetime(2026, 4, 13, 9, tzinfo=LONDON)


def _deadlines_for(subject_ids: range) -> None:
    for subject_id in subject_ids:
        for kind, unit in (
            (DeadlineKind.NOTIFICATION, DeadlineUnit.HOURS),
            (DeadlineKind.RAG_RESPONSE, "working_days"),
        ):
            deadline_start(
                kind=kind, unit=unit, amount=3, subject_type="referral", subject_id=subject_id, started_at=STARTED
            )


@pytest.mark.parametrize("count", [3, 30])
def test_one_query_for_every_subjects_deadlines(django_assert_num_queries: DjangoAssertNumQueries, count: int) -> None:
    _deadlines_for(range(1, count + 1))
    deadline_start(kind="notification", unit="hours", amount=1, subject_type="case", subject_id=1, started_at=STARTED)
    asked = [*range(1, count + 1), 999]
    with django_assert_num_queries(1):
        found = deadlines_for_subjects(subject_type="referral", subject_ids=asked)
    with django_assert_num_queries(0):
        statuses = {subject_id: [deadline_status(deadline=d).label for d in found[subject_id]] for subject_id in found}
    assert len(found) == count + 1
    assert found[999] == []
    # Soonest due first: the three-hour notification, then the three-working-day response.
    assert [deadline.kind for deadline in found[1]] == ["notification", "rag_response"]
    assert all(len(labels) == 2 for subject_id, labels in statuses.items() if subject_id != 999)


def test_no_query_when_there_is_nothing_to_ask(django_assert_num_queries: DjangoAssertNumQueries) -> None:
    with django_assert_num_queries(0):
        assert deadlines_for_subjects(subject_type="referral", subject_ids=[]) == {}
