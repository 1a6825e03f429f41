"""Working days in England and Wales, and elapsed time that stays right when the clocks change.

Bank holidays come from the maintained `holidays` package (England's list, which Wales shares), never from a list
kept here: one-off days such as a coronation arrive with a package update.

Working-day clocks are counted in *working time*: time passes only on working days (Monday to Friday, not a bank
holiday), 24 hours of it on each. So N working days from 10:00 on a working day is 10:00 on the Nth working day
after it, and a clock started on a Saturday starts running at midnight at the start of Monday: one working day
from Saturday is the end of Monday (shown as 00:00 on the next working day). That keeps the count continuous: a
referral at 23:59 on Friday and one on Saturday morning are both due at the end of Monday, instead of the Saturday
one getting longer. Working days are never the days the clocks change (always a Sunday), so every working day is
exactly 24 hours long.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
WORKING_DAY = timedelta(days=1)
_LONGEST_RUN_OF_NON_WORKING_DAYS = 14  # guards the search for the next working day against a bad holiday list


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> Mapping[date, str]:
    """The year's bank holidays and their names, read-only so the cached copy cannot be changed by a caller."""
    return MappingProxyType(dict(holidays.country_holidays("GB", subdiv="ENG", years=year)))


def is_working_day(d: date) -> bool:
    """Monday to Friday and not a bank holiday in England and Wales (substitute days included)."""
    return d.weekday() < 5 and d not in _bank_holidays(d.year)


def bank_holiday_name(d: date) -> str | None:
    """The bank holiday's name, for explaining a date to a user; None on any other day."""
    return _bank_holidays(d.year).get(d)


def _next_working_day(d: date) -> date:
    """The first working day after `d`."""
    for offset in range(1, _LONGEST_RUN_OF_NON_WORKING_DAYS + 1):
        candidate = d + timedelta(days=offset)
        if is_working_day(candidate):
            return candidate
    raise RuntimeError(f"No working day within {_LONGEST_RUN_OF_NON_WORKING_DAYS} days after {d}")


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=LONDON)


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Give a timezone-aware datetime: a naive one is ambiguous when the clocks change")
    return moment.astimezone(LONDON)


def real_time_between(*, start: datetime, end: datetime) -> timedelta:
    """Real time from start to end (negative if end is earlier). Python subtracts two datetimes in the same zone by
    their wall clocks, an hour out across a clock change, so both go to UTC first."""
    return _local(end).astimezone(UTC) - _local(start).astimezone(UTC)


def add_hours(*, start: datetime, hours: int) -> datetime:
    """`hours` of real elapsed time after `start`, as London local time. 24 hours from noon on the Saturday before
    the clocks go back is 11:00 on the Sunday: the day has 25 hours."""
    _local(start)
    return (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(LONDON)


def add_working_time(*, start: datetime, duration: timedelta) -> datetime:
    """The moment when `duration` of working time has passed since `start` (see the module's note).

    When the time runs out exactly at the end of a working day the answer is the start of the next working day, not
    a midnight before a weekend or a bank holiday: no working time passes in between, so acting then is not late."""
    if duration < timedelta(0):
        raise ValueError("A working-time duration cannot be negative")
    position = _local(start)
    if not is_working_day(position.date()):
        position = _midnight(_next_working_day(position.date()))
    remaining = duration
    while True:
        left_today = real_time_between(start=position, end=_midnight(position.date() + timedelta(days=1)))
        if remaining < left_today:
            return (position.astimezone(UTC) + remaining).astimezone(LONDON)
        remaining -= left_today
        position = _midnight(_next_working_day(position.date()))
        if not remaining:
            return position


def add_working_days(*, start: datetime, days: int) -> datetime:
    """The same London time of day on the `days`th working day after `start`, skipping weekends and bank holidays.
    A start on a non-working day counts from the start of the next working day, which is the first day counted."""
    if days < 0:
        raise ValueError("Count working days forwards")
    return add_working_time(start=start, duration=WORKING_DAY * days)


def working_time_between(*, start: datetime, end: datetime) -> timedelta:
    """How much working time passes from `start` to `end` (zero if end is not after start). What a pause costs a
    working-day clock, and how much of one is left."""
    position, end = _local(start), _local(end)
    total = timedelta(0)
    while position < end:
        next_midnight = _midnight(position.date() + timedelta(days=1))
        if is_working_day(position.date()):
            total += real_time_between(start=position, end=min(next_midnight, end))
        position = next_midnight
    return total


def working_days_between(*, start: date, end: date) -> int:
    """The working days after `start` up to and including `end`: 1 from a Monday to the Tuesday, 1 from a Friday to
    the Monday, 0 from a Saturday to the Sunday. Negative when `end` is before `start`."""
    if end < start:
        return -working_days_between(start=end, end=start)
    return sum(is_working_day(start + timedelta(days=offset)) for offset in range(1, (end - start).days + 1))
