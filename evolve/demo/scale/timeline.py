"""Moments for the scale data set, as microseconds since 1970 (UTC): cheaper to make by the million than datetimes.

The front door and the team work in office hours on working days (evolve.clock.calendar's, bank holidays and all),
so every step of a referral lands between 08:00 and 18:00 UTC on a working day: always within one London day, which
keeps the working-day clocks exact without a time zone per row."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from evolve.clock.calendar import LONDON, is_working_day
from evolve.demo.scale.load import DAY, EPOCH, HOUR, SECOND

OPENS = 8 * HOUR
CLOSES = 18 * HOUR


class Calendar:
    def __init__(self) -> None:
        self._working: dict[int, bool] = {}
        self._next: dict[int, int] = {}
        self._offset: dict[int, int] = {}

    def working(self, days: int) -> bool:
        found = self._working.get(days)
        if found is None:
            found = self._working[days] = is_working_day(EPOCH + timedelta(days=days))
        return found

    def next_working(self, days: int) -> int:
        """The first working day after `days`."""
        found = self._next.get(days)
        if found is None:
            found = days + 1
            while not self.working(found):
                found += 1
            self._next[days] = found
        return found

    def in_hours(self, moment: int, rng: random.Random) -> int:
        """`moment` if it is in office hours on a working day; else early in the next office hours."""
        days, within = divmod(moment, DAY)
        if self.working(days):
            if within < OPENS:
                return days * DAY + OPENS + rng.randrange(2 * HOUR)
            if within < CLOSES:
                return moment
        return self.next_working(days) * DAY + OPENS + rng.randrange(2 * HOUR)

    def before_in_hours(self, moment: int, hours: float) -> int:
        """The moment `hours` of office time before `moment`: nights, weekends and holidays are skipped."""
        left = int(hours * HOUR)
        if left <= 0:
            return moment
        days, within = divmod(moment, DAY)
        while True:
            if self.working(days):
                until = min(max(within, OPENS), CLOSES)  # the end of this day's office time up to `within`
                if until - OPENS >= left:
                    return days * DAY + until - left
                left -= until - OPENS
            days, within = days - 1, DAY

    def after(self, moment: int, rng: random.Random, low_hours: float, high_hours: float) -> int:
        """A step taken between `low_hours` and `high_hours` after `moment`, in office hours."""
        return self.in_hours(moment + int(rng.uniform(low_hours, high_hours) * HOUR), rng)

    def london_offset(self, days: int) -> int:
        """London's offset from UTC, in seconds, during office hours on that day."""
        found = self._offset.get(days)
        if found is None:
            noon = datetime.combine(EPOCH + timedelta(days=days), time(12), tzinfo=LONDON)
            offset = noon.utcoffset()
            found = self._offset[days] = int(offset.total_seconds()) if offset else 0
        return found

    def add_working_days(self, start: int, count: int) -> int:
        """As evolve.clock.calendar.add_working_days for a start in office hours on a working day: the same London
        time of day on the `count`th working day after it."""
        first = start // DAY
        last = first
        for _ in range(count):
            last = self.next_working(last)
        return start + (last - first) * DAY + (self.london_offset(first) - self.london_offset(last)) * SECOND

    def local_date(self, moment: int) -> int:
        """The London date (days since 1970) of any moment."""
        days = moment // DAY
        return (moment + self.london_offset(days) * SECOND) // DAY

    def meeting_time(self, days: int) -> int:
        """10:00 London time on that day."""
        return days * DAY + 10 * HOUR - self.london_offset(days) * SECOND
