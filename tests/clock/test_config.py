"""The timescales are set per area in settings, over national defaults."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django import Settings

from evolve.clock.calendar import LONDON
from evolve.clock.config import timescale_for
from evolve.clock.models import DeadlineKind
from evolve.clock.services import deadline_start


def test_the_defaults() -> None:
    assert timescale_for(DeadlineKind.NOTIFICATION) == ("hours", 24)
    assert timescale_for(DeadlineKind.STRATEGY_DISCUSSION) == ("hours", 24)
    assert timescale_for(DeadlineKind.RAG_RESPONSE, "red") == ("hours", 24)
    assert timescale_for(DeadlineKind.RAG_RESPONSE, "amber") == ("working_days", 3)
    assert timescale_for(DeadlineKind.RAG_RESPONSE, "green") == ("working_days", 10)


def test_an_area_sets_its_own_timescales_and_keeps_the_defaults_it_does_not_name(settings: Settings) -> None:
    settings.EVOLVE_TIMESCALES = {
        "notification": ("working_days", 1),
        "rag_response": {"red": ["hours", 4]},
        "review": ("working_days", 20),
    }
    assert timescale_for(DeadlineKind.NOTIFICATION) == ("working_days", 1)
    assert timescale_for(DeadlineKind.RAG_RESPONSE, "red") == ("hours", 4)
    assert timescale_for(DeadlineKind.RAG_RESPONSE, "amber") == ("working_days", 3)
    assert timescale_for(DeadlineKind.STRATEGY_DISCUSSION) == ("hours", 24)
    assert timescale_for(DeadlineKind.REVIEW) == ("working_days", 20)


@pytest.mark.django_db
def test_a_configured_timescale_sets_the_due_time(settings: Settings) -> None:
    settings.EVOLVE_TIMESCALES = {"rag_response": {"red": ("hours", 4)}}
    unit, amount = timescale_for(DeadlineKind.RAG_RESPONSE, "red")
    deadline = deadline_start(
        kind=DeadlineKind.RAG_RESPONSE,
        unit=unit,
        amount=amount,
        subject_type="referral",
        subject_id=1,
        started_at=datetime(2026, 4, 13, 9, tzinfo=LONDON),
    )
    assert deadline.due_at == datetime(2026, 4, 13, 13, tzinfo=LONDON)


def test_a_review_has_no_national_default(settings) -> None:
    settings.EVOLVE_TIMESCALES = {}  # this area's settings give one; without it, there is none
    with pytest.raises(ImproperlyConfigured, match="review"):
        timescale_for(DeadlineKind.REVIEW)


def test_this_areas_review_timescale_comes_from_settings() -> None:
    assert timescale_for(DeadlineKind.REVIEW) == ("working_days", 5)


def test_the_rag_response_needs_a_rating_and_nothing_else_takes_one() -> None:
    with pytest.raises(ValueError, match="RAG rating"):
        timescale_for(DeadlineKind.RAG_RESPONSE)
    with pytest.raises(ValueError, match="RAG rating"):
        timescale_for(DeadlineKind.RAG_RESPONSE, "purple")
    with pytest.raises(ValueError, match="does not depend"):
        timescale_for(DeadlineKind.NOTIFICATION, "red")


@pytest.mark.parametrize("value", [("days", 3), ("hours", 0), ("hours", "24"), ("hours",), "24 hours", ("hours", True)])
def test_a_mistake_in_the_settings_is_reported(settings: Settings, value: object) -> None:
    settings.EVOLVE_TIMESCALES = {"notification": value}
    with pytest.raises(ImproperlyConfigured, match=r'EVOLVE_TIMESCALES\["notification"\]'):
        timescale_for(DeadlineKind.NOTIFICATION)
