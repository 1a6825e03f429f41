"""Working days in England and Wales and hours across the clocks changing: the arithmetic every deadline rests on."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from evolve.clock.calendar import (
    LONDON,
    add_hours,
    add_working_days,
    add_working_time,
    bank_holiday_name,
    is_working_day,
    working_days_between,
    working_time_between,
)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def test_the_bank_holidays_come_from_the_package_including_substitute_days() -> None:
    assert bank_holiday_name(date(2026, 4, 3)) == "Good Friday"
    assert bank_holiday_name(date(2026, 4, 6)) == "Easter Monday"
    assert bank_holiday_name(date(2026, 12, 25)) == "Christmas Day"
    assert bank_holiday_name(date(2026, 12, 28)) == "Boxing Day (observed)"
    # One-off days arrive with the package, not with a code change here.
    assert bank_holiday_name(date(2023, 5, 8)) == "Coronation of Charles III"
    assert bank_holiday_name(date(2026, 4, 7)) is None


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 4, 2), True),  # Thursday before Easter
        (date(2026, 4, 3), False),  # Good Friday
        (date(2026, 4, 4), False),  # Saturday
        (date(2026, 4, 5), False),  # Sunday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 4, 7), True),
        (date(2026, 12, 28), False),  # Boxing Day falls on a Saturday: the Monday is the substitute
        (date(2022, 9, 19), False),  # the Queen's state funeral
    ],
)
def test_working_days(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_a_working_day_deadline_skips_the_weekend_and_keeps_the_time_of_day() -> None:
    friday = london(2026, 4, 17, 15, 30)
    assert add_working_days(start=friday, days=1) == london(2026, 4, 20, 15, 30)
    assert add_working_days(start=friday, days=5) == london(2026, 4, 24, 15, 30)


def test_easter_bank_holidays_are_skipped() -> None:
    # Thursday 2 April 2026; Good Friday and Easter Monday are not working days.
    assert add_working_days(start=london(2026, 4, 2, 10), days=1) == london(2026, 4, 7, 10)
    assert add_working_days(start=london(2026, 4, 1, 10), days=3) == london(2026, 4, 8, 10)


def test_christmas_and_the_boxing_day_substitute_are_skipped() -> None:
    # Christmas Day is Friday 25 December 2026; Boxing Day is a Saturday, so Monday 28th is the bank holiday.
    assert add_working_days(start=london(2026, 12, 24, 10), days=1) == london(2026, 12, 29, 10)
    assert add_working_days(start=london(2026, 12, 23, 9), days=3) == london(2026, 12, 30, 9)


def test_a_start_on_a_saturday_counts_from_the_start_of_monday() -> None:
    # Monday is the first working day counted: one working day from Saturday is the end of Monday.
    saturday = london(2026, 4, 18, 10)
    assert add_working_days(start=saturday, days=1) == london(2026, 4, 21, 0)
    assert add_working_days(start=saturday, days=0) == london(2026, 4, 20, 0)
    # No longer than a referral that came in just before midnight on Friday.
    assert add_working_days(start=london(2026, 4, 17, 23, 59), days=1) == london(2026, 4, 20, 23, 59)


def test_a_start_on_a_bank_holiday_counts_from_the_next_working_day() -> None:
    assert add_working_days(start=london(2026, 4, 3, 14), days=1) == london(2026, 4, 8, 0)


def test_time_running_out_at_the_end_of_a_day_before_a_bank_holiday_falls_due_at_the_next_working_day() -> None:
    # No working time passes over Easter, so acting on Good Friday is not late.
    assert add_working_days(start=london(2026, 4, 2, 0), days=1) == london(2026, 4, 7, 0)


def test_working_days_keep_the_local_time_across_the_clocks_going_back() -> None:
    # The clocks go back at 02:00 on Sunday 25 October 2026.
    assert add_working_days(start=london(2026, 10, 23, 10), days=1) == london(2026, 10, 26, 10)


def test_24_hours_across_the_clocks_going_back_is_an_hour_earlier_on_the_clock() -> None:
    due = add_hours(start=london(2026, 10, 24, 12), hours=24)
    assert due == london(2026, 10, 25, 11)
    assert (due.hour, due.utcoffset()) == (11, timedelta(0))


def test_24_hours_across_the_clocks_going_forward_is_an_hour_later_on_the_clock() -> None:
    # The clocks go forward at 01:00 on Sunday 29 March 2026.
    due = add_hours(start=london(2026, 3, 28, 12), hours=24)
    assert (due.day, due.hour, due.utcoffset()) == (29, 13, timedelta(hours=1))


def test_working_time_counts_only_working_days() -> None:
    # Friday 16:00 to Monday 09:00: eight hours of Friday and nine of Monday.
    assert working_time_between(start=london(2026, 4, 17, 16), end=london(2026, 4, 20, 9)) == timedelta(hours=17)
    assert working_time_between(start=london(2026, 4, 18, 9), end=london(2026, 4, 19, 17)) == timedelta(0)
    assert working_time_between(start=london(2026, 4, 20, 9), end=london(2026, 4, 17, 16)) == timedelta(0)
    # Over the clocks changing, a working day is still 24 hours.
    assert working_time_between(start=london(2026, 10, 23), end=london(2026, 10, 27)) == timedelta(days=2)


def test_adding_working_time_carries_over_a_weekend() -> None:
    assert add_working_time(start=london(2026, 4, 17, 16), duration=timedelta(hours=17)) == london(2026, 4, 20, 9)


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (date(2026, 4, 13), date(2026, 4, 14), 1),  # Monday to Tuesday
        (date(2026, 4, 17), date(2026, 4, 20), 1),  # Friday to Monday
        (date(2026, 4, 18), date(2026, 4, 19), 0),  # the weekend
        (date(2026, 4, 13), date(2026, 4, 13), 0),
        (date(2026, 4, 1), date(2026, 4, 8), 3),  # over Easter
        (date(2026, 12, 24), date(2026, 12, 31), 3),  # over Christmas
        (date(2026, 4, 14), date(2026, 4, 13), -1),
    ],
)
def test_working_days_between(start: date, end: date, count: int) -> None:
    assert working_days_between(start=start, end=end) == count


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_days(start=datetime(2026, 4, 13, 10), days=1)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_hours(start=datetime(2026, 4, 13, 10), hours=1)


def test_working_days_are_counted_forwards() -> None:
    with pytest.raises(ValueError, match="forwards"):
        add_working_days(start=london(2026, 4, 13), days=-1)
