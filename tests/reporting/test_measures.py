"""Each measure of the monthly data set equals the answer worked out by hand (tests/reporting/conftest.py has the
table), at the month boundaries in London time, per agency, and at a fixed number of SQL statements."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reporting.measures import (
    MEASURES,
    MEASURES_BY_KEY,
    Figure,
    Month,
    Rate,
    Section,
    data_quality,
    figures_for_month,
    measure_figure,
)
from tests.reporting.conftest import MonthOfWork

pytestmark = pytest.mark.django_db


def figure(work: MonthOfWork, key: str, month: int, *, team_id: int | None = None) -> Figure:
    return measure_figure(key=key, team_id=team_id or work.team.pk, year=2025, month=month)


def rows(result: Figure) -> dict[str, int]:
    return {row.label: row.count for row in result.rows}


def related(result: Figure) -> dict[str, int]:
    return {row.key: row.count for row in result.related}


# The registry ------------------------------------------------------------------------------------------------------


def test_every_measure_is_defined_once_with_its_words_and_section() -> None:
    keys = [measure.key for measure in MEASURES]
    assert keys == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "missing", "intelligence", "positive_outcomes"]
    assert len(MEASURES_BY_KEY) == len(MEASURES)
    for measure in MEASURES:
        assert measure.title and measure.definition and measure.counting
        assert isinstance(measure.section, Section)
    assert {measure.section for measure in MEASURES} == set(Section)
    assert [measure.key for measure in MEASURES if measure.is_rate] == ["positive_outcomes"]


def test_a_month_runs_from_local_midnight_to_local_midnight() -> None:
    # March 2025: GMT at the start, British Summer Time (from 30 March) at the end.
    march = Month(2025, 3)
    assert march.start == datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
    assert march.end == datetime(2025, 3, 31, 23, 0, tzinfo=UTC)
    assert (march.first_day.day, march.last_day.day, march.next_first_day.month) == (1, 31, 4)
    # October 2025: BST at the start, GMT (from 26 October) at the end; December runs into the next year.
    october = Month(2025, 10)
    assert october.start == datetime(2025, 9, 30, 23, 0, tzinfo=UTC)
    assert october.end == datetime(2025, 11, 1, 0, 0, tzinfo=UTC)
    assert Month(2025, 12).end == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert Month(2025, 1).previous() == Month(2024, 12)
    assert str(march) == "March 2025"
    with pytest.raises(ValueError, match="No such month"):
        Month(2025, 13)


def test_a_rate_with_nothing_to_divide_by_has_no_value() -> None:
    assert Rate(2, 5).value == pytest.approx(0.4)
    assert Rate(0, 0).value is None


# The nine measures --------------------------------------------------------------------------------------------------


def test_1_children_referred_count_each_child_once(month_of_work: MonthOfWork) -> None:
    # A twice (a MARF and the CSE Referral Form), E, D, F, H, and B at 23:59 on 31 March (BST); C at 00:00 on
    # 1 April is April's.
    march = figure(month_of_work, "1", 3)
    assert march.total == 6
    assert rows(march) == {"Children's Services": 1, "Hilltop School": 6}
    assert figure(month_of_work, "1", 4).total == 1
    assert figure(month_of_work, "1", 2).total == 1  # G
    # Another team's referral is its own.
    assert figure(month_of_work, "1", 3, team_id=month_of_work.other_team.pk).total == 1


def test_2_children_decided_by_each_decision_and_awaiting_at_month_end(month_of_work: MonthOfWork) -> None:
    march = figure(month_of_work, "2", 3)
    assert march.total == 4  # A (decided twice), E, D, F
    assert {row.key: row.count for row in march.rows} == {
        "strategy_discussion": 1,
        "urgent_cin": 1,
        "risk_assessment_meeting": 2,
        "early_help_advice": 0,
        "referrer_advice": 1,
    }
    assert related(march) == {"awaiting": 2}  # B (arrived 23:59 on 31 March, decided in April) and H

    april = figure(month_of_work, "2", 4)
    assert april.total == 1
    assert {row.key: row.count for row in april.rows}["early_help_advice"] == 1  # B, the month after it arrived
    assert related(april) == {"awaiting": 2}  # C and H


def test_3_children_open_at_month_end_in_total_and_per_agency(month_of_work: MonthOfWork) -> None:
    # A and G open; E closed and re-opened within March counts once; D closed on 25 March does not.
    march = figure(month_of_work, "3", 3)
    assert march.total == 3
    # Every agency of the team, by name: A is allocated to the nurse and the officer; G to the social worker (the
    # nurse's allocation ended on 31 March, so not current at the month end); E to nobody since re-opening.
    assert rows(march) == {"Children's Services": 1, "Foundation Trust": 1, "Police Public Protection Unit": 1}
    assert [row.key for row in march.rows] == [
        f"agency-{month_of_work.social_care.pk}",
        f"agency-{month_of_work.health.pk}",
        f"agency-{month_of_work.police.pk}",
    ]
    assert figure(month_of_work, "3", 4).total == 4  # D re-opened on 3 April
    assert figure(month_of_work, "3", 2).total == 1  # G


def test_4_and_5_investigations_per_child_and_per_perpetrator(month_of_work: MonthOfWork) -> None:
    per_child = figure(month_of_work, "4", 3)
    # Investigation 1 names A; investigation 2 names A and E: three. Investigation 5 names no child.
    assert per_child.total == 3
    assert related(per_child) == {"investigations": 2, "children": 2}
    per_perpetrator = figure(month_of_work, "5", 3)
    # Investigation 1 names two perpetrators (two), investigation 5 one: three. Investigation 2 names nobody.
    assert per_perpetrator.total == 3
    assert related(per_perpetrator) == {"investigations": 2, "people": 3}
    # 1 April and 28 February are other months'.
    assert (figure(month_of_work, "4", 4).total, figure(month_of_work, "5", 4).total) == (1, 1)
    assert (figure(month_of_work, "4", 2).total, figure(month_of_work, "5", 2).total) == (1, 1)
    # The other team's investigation is its own.
    assert figure(month_of_work, "4", 3, team_id=month_of_work.other_team.pk).total == 1


def test_6_prosecutions_begun(month_of_work: MonthOfWork) -> None:
    march = figure(month_of_work, "6", 3)
    assert march.total == 2  # charged 5 and 31 March; not 1 April nor February
    assert related(march) == {"people": 2}
    assert figure(month_of_work, "6", 4).total == 1
    assert figure(month_of_work, "6", 2).total == 2


def test_7_disruptions_taken_by_type(month_of_work: MonthOfWork) -> None:
    march = figure(month_of_work, "7", 3)
    assert march.total == 3
    assert {row.key: row.count for row in march.rows if row.count} == {"cawn": 2, "sro": 1}
    assert len(march.rows) == 8  # every type, zero or not
    assert rows(march)["Child Abduction Warning Notice"] == 2
    assert figure(month_of_work, "7", 4).total == 1


def test_8_prosecutions_concluded_by_outcome(month_of_work: MonthOfWork) -> None:
    march = figure(month_of_work, "8", 3)
    assert march.total == 2
    assert {row.key: row.count for row in march.rows} == {
        "convicted": 1,
        "acquitted": 1,
        "discontinued": 0,
        "no_further_action": 0,
        "other": 0,
    }
    april = figure(month_of_work, "8", 4)
    assert (april.total, {row.key: row.count for row in april.rows}["discontinued"]) == (1, 1)


def test_9_disruption_outcomes_by_type_and_outcome(month_of_work: MonthOfWork) -> None:
    march = figure(month_of_work, "9", 3)
    assert march.total == 3
    assert [(row.key, row.count) for row in march.rows] == [
        ("cawn/complied", 1),
        ("cawn/breached", 1),
        ("licensing/revoked", 1),
    ]
    assert march.rows[0].label == "Child Abduction Warning Notice: complied with"
    april = figure(month_of_work, "9", 4)
    assert (april.total, april.rows) == (0, ())


# Seed 003's measures ----------------------------------------------------------------------------------------------


def test_children_missing_three_or_more_times_in_the_month(month_of_work: MonthOfWork) -> None:
    # A (the third at 23:59 on 31 March, BST), D (four), F (the first at 00:00 on 1 March); not E (the third at
    # 00:00 on 1 April) nor G (the first at 23:59 on 28 February).
    assert figure(month_of_work, "missing", 3).total == 3
    assert figure(month_of_work, "missing", 4).total == 0


def test_intelligence_links_by_source_agency(month_of_work: MonthOfWork) -> None:
    march = figure(month_of_work, "intelligence", 3)
    # Police: one link, and one withdrawn in April (it stood at the month end); the one withdrawn in March does not
    # count. Health: one, and one at 23:59 on 31 March. The link at 00:00 on 1 April is April's.
    assert march.total == 4
    assert rows(march) == {"Foundation Trust": 2, "Police Public Protection Unit": 2}
    april = figure(month_of_work, "intelligence", 4)
    assert (april.total, rows(april)) == (1, {"Police Public Protection Unit": 1})


def test_positive_outcome_rate_shows_numerator_and_denominator(month_of_work: MonthOfWork) -> None:
    march = figure(month_of_work, "positive_outcomes", 3)
    assert march.rate == Rate(2, 5)
    assert march.total == 2
    assert [(row.key, row.count, row.denominator) for row in march.rows] == [
        ("prosecutions", 1, 2),  # convicted of convicted and acquitted
        ("disruptions", 1, 3),  # complied with, of complied, breached and revoked
    ]
    april = figure(month_of_work, "positive_outcomes", 4)
    assert april.rate == Rate(0, 1)
    assert april.rate.value == 0
    assert april.rows[1].rate == Rate(0, 0)
    assert april.rows[1].rate.value is None
    # A month with nothing concluded has no rate, not a rate of nothing.
    january = figure(month_of_work, "positive_outcomes", 1)
    assert january.rate == Rate(0, 0)
    assert january.rate.value is None


# Data quality -------------------------------------------------------------------------------------------------------


def test_data_quality_counts_what_the_figures_could_not_place(month_of_work: MonthOfWork) -> None:
    march = {row.key: row.count for row in data_quality(team_id=month_of_work.team.pk, year=2025, month=3)}
    assert march == {
        # H: 24-hour notification due on 25 March. B arrived at 23:59 on 31 March: not due yet.
        "undecided_overdue": 1,
        "investigation_no_perpetrator": 1,  # investigation 2
        "investigation_no_child": 1,  # investigation 5
        "case_unallocated": 1,  # E, re-opened with nobody allocated
    }
    april = {row.key: row.count for row in data_quality(team_id=month_of_work.team.pk, year=2025, month=4)}
    assert april == {
        "undecided_overdue": 2,  # C and H
        "investigation_no_perpetrator": 0,
        "investigation_no_child": 0,
        "case_unallocated": 2,  # E and D
    }


# Cost ---------------------------------------------------------------------------------------------------------------


def _statements(team_id: int, month: int) -> dict[str, int]:
    counted: dict[str, int] = {}
    for measure in MEASURES:
        with CaptureQueriesContext(connection) as queries:
            measure.figure(team_id=team_id, year=2025, month=month)
        counted[measure.key] = len(queries)
    with CaptureQueriesContext(connection) as queries:
        data_quality(team_id=team_id, year=2025, month=month)
    counted["data_quality"] = len(queries)
    return counted


def test_each_measure_costs_the_same_few_statements_however_much_data(month_of_work: MonthOfWork) -> None:
    empty = _statements(month_of_work.team.pk, 1)  # January: nothing recorded
    full = _statements(month_of_work.team.pk, 3)
    assert full == empty
    assert full == {
        "1": 2,
        "2": 2,
        "3": 3,  # the total; the allocations by agency; the team's agencies (listed with none)
        "4": 1,
        "5": 1,
        "6": 1,
        "7": 1,
        "8": 1,
        "9": 1,
        "missing": 1,
        "intelligence": 1,
        "positive_outcomes": 2,
        "data_quality": 3,
    }
    # More of the same does not change it.
    for name in "ABDEF":
        month_of_work.reach(month_of_work.children[name], datetime(2025, 3, 28, 12, tzinfo=UTC))
    assert _statements(month_of_work.team.pk, 3) == full


def test_every_figure_for_a_month_in_order(month_of_work: MonthOfWork) -> None:
    figures = figures_for_month(team_id=month_of_work.team.pk, year=2025, month=3)
    assert [(measure.key, result.key) for measure, result in figures] == [(m.key, m.key) for m in MEASURES]
    assert all(result.month == Month(2025, 3) for _, result in figures)
