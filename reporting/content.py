"""What a monthly report says, as plain data: each measure for the month, its previous twelve months, its direction of
travel, and the data-quality counts. The PDF, the CSV and the report's page are all drawn from this one structure,
which is kept with the report (`MonthlyReport.content`), so the three always agree and an old version still reads as
it was built.

Only counts go in: never a child's name, id or any other identity (DESIGN.md: the governance group sees aggregates
only). Labels are the measures' own words and agency or order-type names.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypedDict

from evolve.cases.selectors import quality_sample_counts
from reporting.measures import MEASURES, Figure, Month, Rate, data_quality

TREND_MONTHS = 12  # "each measure against the previous twelve months" (DESIGN.md)


class TrendPoint(TypedDict):
    month: str  # "2025-03"
    label: str  # "Mar 2025", under a chart
    name: str  # "March 2025", in a sentence
    total: int
    numerator: int | None
    denominator: int | None


class Direction(TypedDict):
    way: str  # "up", "down", "same" or "none" (nothing to compare with)
    words: str


def month_key(month: Month) -> str:
    return f"{month.year}-{month.month:02d}"


def months_back(month: Month, count: int) -> list[Month]:
    """`count` months before `month`, oldest first."""
    months: list[Month] = []
    current = month
    for _ in range(count):
        current = current.previous()
        months.append(current)
    return list(reversed(months))


def report_content(*, team_id: int, team_name: str, year: int, month: int) -> dict[str, Any]:
    """The whole report for one team and month. One to three aggregate statements per measure per month: thirteen
    months of twelve measures is a few hundred statements, whatever the amount of data."""
    period = Month(year, month)
    months = [*months_back(period, TREND_MONTHS), period]
    figures: dict[str, list[Figure]] = {measure.key: [] for measure in MEASURES}
    for each in months:
        for measure in MEASURES:
            figures[measure.key].append(measure.compute(team_id, each))
    measures = []
    for measure in MEASURES:
        series = figures[measure.key]
        this = series[-1]
        trend = [_point(figure) for figure in series]
        measures.append(
            {
                "key": measure.key,
                "title": measure.title,
                "definition": measure.definition,
                "counting": measure.counting,
                "section": measure.section.name,
                "section_title": measure.section.value,
                "breakdown": measure.breakdown,
                "is_rate": measure.is_rate,
                "total": this.total,
                "numerator": this.rate.numerator if this.rate else None,
                "denominator": this.rate.denominator if this.rate else None,
                "rows": [_row(row.key, row.label, row.count, row.denominator) for row in this.rows],
                "related": [_row(row.key, row.label, row.count, row.denominator) for row in this.related],
                "trend": trend,
                "direction": direction(trend, is_rate=measure.is_rate),
            }
        )
    return {
        "team": team_name,
        "month": month_key(period),
        "month_label": str(period),
        "measures": measures,
        "data_quality": [
            _row(row.key, row.label, row.count, None)
            for row in data_quality(team_id=team_id, year=period.year, month=period.month)
        ],
        "quality_assurance": _quality_assurance(team_id, period),
    }


def _quality_assurance(team_id: int, period: Month) -> dict[str, Any]:
    """The month's quality assurance sample (seed 003) in figures: how many files were drawn, how many audited, and
    the audited ones by grade, each with the audited count as its denominator."""
    counts = quality_sample_counts(team_id=team_id, year=period.year, month=period.month)
    return {
        "drawn": counts.drawn,
        "completed": counts.completed,
        "rows": [_row(grade, label, n, counts.completed) for grade, label, n in counts.by_grade],
    }


def _row(key: str, label: str, count: int, denominator: int | None) -> dict[str, Any]:
    return {"key": key, "label": label, "count": count, "denominator": denominator}


def _point(figure: Figure) -> TrendPoint:
    rate: Rate | None = figure.rate
    return {
        "month": month_key(figure.month),
        "label": figure.month.first_day.strftime("%b %Y"),
        "name": str(figure.month),
        "total": figure.total,
        "numerator": rate.numerator if rate else None,
        "denominator": rate.denominator if rate else None,
    }


def point_value(point: TrendPoint, *, is_rate: bool) -> float | None:
    """A count as it is; a rate as a percentage, or None where there was nothing to divide by."""
    if not is_rate:
        return float(point["total"])
    if not point["denominator"]:
        return None
    return 100 * (point["numerator"] or 0) / point["denominator"]


def direction(trend: list[TrendPoint], *, is_rate: bool) -> Direction:
    """This month against the month before, and against the average of the previous twelve. Up or down is not
    called better or worse: more referrals can mean better awareness, more disruptions more offending."""
    values = [point_value(point, is_rate=is_rate) for point in trend]
    this, before = values[-1], values[-2] if len(values) > 1 else None
    earlier = [v for v in values[:-1] if v is not None]
    if this is None:
        return {"way": "none", "words": "No rate this month: nothing was concluded or recorded."}
    if before is None:
        return {"way": "none", "words": "No figure for the month before to compare with."}
    unit = " percentage points" if is_rate else ""
    change = this - before
    if change > 0:
        way, words = "up", f"Up {number_text(change)}{unit} on {trend[-2]['name']}"
    elif change < 0:
        way, words = "down", f"Down {number_text(-change)}{unit} on {trend[-2]['name']}"
    else:
        way, words = "same", f"The same as {trend[-2]['name']}"
    if len(earlier) > 1:  # with one earlier figure, it is the month before's, already said
        average = sum(earlier) / len(earlier)
        suffix = "%" if is_rate else ""
        words += f"; the average of the previous {len(earlier)} months was {number_text(average)}{suffix}"
    return {"way": way, "words": words + "."}


def number_text(value: float) -> str:
    """One decimal place, halves rounded up as a spreadsheet does (0.25 is 0.3), and no ".0" on whole numbers."""
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return str(int(rounded)) if rounded == rounded.to_integral_value() else str(rounded)
