"""Date arithmetic the retention rules need."""

from __future__ import annotations

from datetime import date


def add_years(day: date, years: int) -> date:
    """`day` moved on (or back) `years` years; 29 February becomes 28 February in a year without it."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
