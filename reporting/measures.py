"""The monthly data set (DESIGN.md, "The monthly data set"; seed 000 paragraphs 51-52; seed 003 appendix 3), defined
once: each measure's words, how the product counts it, its Outcome Based Accountability section, and the aggregate
that computes it for one team and one calendar month.

A month runs from midnight on its first day to midnight on the first of the next, in the project's time zone
(settings.TIME_ZONE, Europe/London): an event at 23:59 on 31 March in British Summer Time is March's, one at 00:00
on 1 April is April's, though both fall on 31 March in UTC. Records dated by the day (investigations, prosecutions,
disruptions) fall in the month their date does. "At the month end" means at that midnight.

Every figure is a count of records or of distinct children: never a child's identity, so records restricted to one
agency count like any other. The counts come from the other apps' selectors (`referrals.selectors`,
`evolve.cases.selectors`, `mapping.selectors`): one to three aggregate queries a measure, however much data there
is. Nothing here reads another app's models. Where the product keeps history (referral and decision times, a case's
openings and closings, allocation dates, a link's withdrawal) a figure is as things stood in the month, so a rebuilt
report says the same; where it does not (who an investigation names, a practitioner's agency) it is as recorded now.

Left out: seed 003's "intelligence reports and linked offences" in part. Evolve records intelligence as links in
the team's mapping (who was seen with whom, where, from which agency's intelligence), which the "intelligence" measure
counts; it records no offences. An investigation carries a crime *or operation* reference and an operation covers many
offences, so counting investigations as "linked offences" would overstate what is known, and would only repeat
measures 4 and 5. The offences are counted in the police's crime system; this product does not claim the figure.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils import timezone

from evolve.cases.selectors import (
    children_awaiting_decision,
    children_decided,
    children_open,
    children_open_by_agency,
    open_cases_unallocated,
    referrals_undecided_past_notification,
)
from mapping.selectors import (
    children_missing_often,
    disruption_outcomes_by_kind,
    disruptions_taken_by_kind,
    investigations_opened_per_child,
    investigations_opened_per_perpetrator,
    investigations_opened_unnamed,
    links_recorded_by_source_agency,
    prosecutions_charged,
    prosecutions_concluded_by_outcome,
)
from referrals.selectors import children_reaching_evolve, children_reaching_evolve_by_agency

# Seed 003: "Number of children with 3 or more missing episodes in the reporting period". The governance group's
# number, fixed here, not the missing flag's (settings.MISSING_FLAG_EPISODES), which an area may tune for its queues.
MISSING_EPISODES = 3

# What counts as a positive outcome (the "positive outcome rate"): a conviction; a disruption complied with.
POSITIVE_PROSECUTION = "convicted"
POSITIVE_DISRUPTION = "complied"


class Section(enum.Enum):
    """Outcome Based Accountability's three questions (seed 000 paragraph 51)."""

    HOW_MUCH = "How much did we do?"
    HOW_WELL = "How well did we do it?"
    BETTER_OFF = "Is anyone better off?"


@dataclass(frozen=True)
class Month:
    """A calendar month, with its bounds in the project's time zone."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not date.min.year <= self.year < date.max.year:
            raise ValueError(f"No such month: {self.year}-{self.month}")

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> date:
        """The first day of the next month: the month's dates run up to, not including, this one."""
        return date(self.year + 1, 1, 1) if self.month == 12 else date(self.year, self.month + 1, 1)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.next_first_day.toordinal() - 1)

    @property
    def start(self) -> datetime:
        """Midnight at the start of the first day, local time (inclusive)."""
        return _local_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        """Midnight at the start of the next month, local time (exclusive): "the month end"."""
        return _local_midnight(self.next_first_day)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def __str__(self) -> str:
        return self.first_day.strftime("%B %Y")


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


@dataclass(frozen=True)
class Rate:
    """A figure that is a rate shows both its parts; with nothing to divide by there is no rate, not 0%."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class Row:
    """One line of a measure's breakdown (`key` is stable: a decision kind, "agency-3", "cawn/complied"), or of the
    figures shown beside it. A row of a rate carries its denominator."""

    key: str
    label: str
    count: int
    denominator: int | None = None

    @property
    def rate(self) -> Rate | None:
        return None if self.denominator is None else Rate(self.count, self.denominator)


@dataclass(frozen=True)
class Figure:
    """A measure's value for one month. `rows` break `total` down as the measure says (by decision, agency, kind or
    outcome); rows may overlap, so they need not add up to the total. `related` are figures shown beside it that are
    not part of it (children awaiting a decision at the month end). For a rate, `total` is the numerator and `rate`
    has both parts."""

    key: str
    month: Month
    total: int
    rows: tuple[Row, ...] = ()
    related: tuple[Row, ...] = ()
    rate: Rate | None = None


Compute = Callable[[int, Month], Figure]


@dataclass(frozen=True, kw_only=True)
class Measure:
    key: str
    title: str
    definition: str  # DESIGN.md's words (or seed 003's)
    counting: str  # exactly what the product counts, for the report's notes
    section: Section
    compute: Compute = field(repr=False, compare=False)
    breakdown: str = ""  # what the rows are, if any
    is_rate: bool = False

    def figure(self, *, team_id: int, year: int, month: int) -> Figure:
        return self.compute(team_id, Month(year, month))


def _agency_rows(rows: Sequence[tuple[int | None, str, int]]) -> tuple[Row, ...]:
    return tuple(
        Row(key=f"agency-{agency_id}" if agency_id else "agency-none", label=name or "No agency recorded", count=n)
        for agency_id, name, n in rows
    )


# The nine measures (DESIGN.md) ---------------------------------------------------------------------------------------


def _children_referred(team_id: int, month: Month) -> Figure:
    total = children_reaching_evolve(team_id=team_id, start=month.start, end=month.end)
    by_agency = children_reaching_evolve_by_agency(team_id=team_id, start=month.start, end=month.end)
    return Figure("1", month, total, rows=_agency_rows(by_agency))


def _referral_outcomes(team_id: int, month: Month) -> Figure:
    decided = children_decided(team_id=team_id, start=month.start, end=month.end)
    awaiting = children_awaiting_decision(team_id=team_id, at=month.end)
    rows = tuple(Row(kind, label, n) for kind, label, n in decided.by_kind)
    return Figure(
        "2",
        month,
        decided.total,
        rows=rows,
        related=(Row("awaiting", "Awaiting a decision at the month end", awaiting),),
    )


def _caseload(team_id: int, month: Month) -> Figure:
    total = children_open(team_id=team_id, at=month.end)
    by_agency = children_open_by_agency(team_id=team_id, at=month.end)
    return Figure("3", month, total, rows=_agency_rows(by_agency))


def _investigations_per_child(team_id: int, month: Month) -> Figure:
    counted = investigations_opened_per_child(team_id=team_id, start=month.first_day, end=month.next_first_day)
    return Figure(
        "4",
        month,
        counted.named,
        related=(
            Row("investigations", "Investigations naming a child", counted.investigations),
            Row("children", "Different children named", counted.distinct),
        ),
    )


def _investigations_per_perpetrator(team_id: int, month: Month) -> Figure:
    counted = investigations_opened_per_perpetrator(team_id=team_id, start=month.first_day, end=month.next_first_day)
    return Figure(
        "5",
        month,
        counted.named,
        related=(
            Row("investigations", "Investigations naming a person of concern", counted.investigations),
            Row("people", "Different people of concern named", counted.distinct),
        ),
    )


def _prosecutions(team_id: int, month: Month) -> Figure:
    prosecutions, people = prosecutions_charged(team_id=team_id, start=month.first_day, end=month.next_first_day)
    return Figure("6", month, prosecutions, related=(Row("people", "Different people charged", people),))


def _disruptions(team_id: int, month: Month) -> Figure:
    by_kind = disruptions_taken_by_kind(team_id=team_id, start=month.first_day, end=month.next_first_day)
    return Figure("7", month, sum(n for _, _, n in by_kind), rows=tuple(Row(*count) for count in by_kind))


def _prosecution_outcomes(team_id: int, month: Month) -> Figure:
    by_outcome = prosecutions_concluded_by_outcome(team_id=team_id, start=month.first_day, end=month.next_first_day)
    return Figure("8", month, sum(n for _, _, n in by_outcome), rows=tuple(Row(*count) for count in by_outcome))


def _disruption_outcomes(team_id: int, month: Month) -> Figure:
    found = disruption_outcomes_by_kind(team_id=team_id, start=month.first_day, end=month.next_first_day)
    rows = tuple(
        Row(f"{c.kind}/{c.outcome}", f"{c.kind_label}: {c.outcome_label.lower()}", c.disruptions) for c in found
    )
    return Figure("9", month, sum(c.disruptions for c in found), rows=rows)


# Seed 003's measures ---------------------------------------------------------------------------------------------


def _missing_often(team_id: int, month: Month) -> Figure:
    children = children_missing_often(
        team_id=team_id, since=month.first_day, until=month.last_day, threshold=MISSING_EPISODES
    )
    return Figure("missing", month, children)


def _intelligence(team_id: int, month: Month) -> Figure:
    by_agency = links_recorded_by_source_agency(team_id=team_id, start=month.start, end=month.end)
    return Figure("intelligence", month, sum(n for _, _, n in by_agency), rows=_agency_rows(by_agency))


def _positive_outcomes(team_id: int, month: Month) -> Figure:
    prosecutions = prosecutions_concluded_by_outcome(team_id=team_id, start=month.first_day, end=month.next_first_day)
    disruptions = disruption_outcomes_by_kind(team_id=team_id, start=month.first_day, end=month.next_first_day)
    convicted = sum(n for outcome, _, n in prosecutions if outcome == POSITIVE_PROSECUTION)
    concluded = sum(n for _, _, n in prosecutions)
    complied = sum(c.disruptions for c in disruptions if c.outcome == POSITIVE_DISRUPTION)
    recorded = sum(c.disruptions for c in disruptions)
    return Figure(
        "positive_outcomes",
        month,
        convicted + complied,
        rows=(
            Row("prosecutions", "Prosecutions concluded: convicted", convicted, concluded),
            Row("disruptions", "Disruption outcomes recorded: complied with", complied, recorded),
        ),
        rate=Rate(convicted + complied, concluded + recorded),
    )


MEASURES: tuple[Measure, ...] = (
    Measure(
        key="1",
        title="Children referred to the team",
        definition="Distinct children with a referral that reached Evolve in the month.",
        counting=(
            "Children with a referral co-allocated to the team by the MASH, or referred straight to it on the CSE "
            "Referral Form, in the month; a child referred twice counts once. By the referrer's agency: a child "
            "referred by two agencies counts under each."
        ),
        section=Section.HOW_MUCH,
        breakdown="referrer's agency",
        compute=_children_referred,
    ),
    Measure(
        key="2",
        title="Outcome of CSE referrals (children)",
        definition=(
            "Children decided in the month, by each of the five decisions (and awaiting decision at month end)."
        ),
        counting=(
            "Children whose referral the daily review decided in the month, by decision; a child with two referrals "
            "decided differently counts under each decision and once in the total. Beside it, children with a "
            "referral that had reached Evolve and had no decision at the month end."
        ),
        section=Section.HOW_WELL,
        breakdown="decision",
        compute=_referral_outcomes,
    ),
    Measure(
        key="3",
        title="Children open to agencies of the team (CSE caseload)",
        definition="Children with an open Evolve case at the end of the month, in total and per agency.",
        counting=(
            "Children whose Evolve case was open at the month end (its last opening, closing or re-opening before "
            "then left it open). Per agency: the agencies of the practitioners allocated to the case at the month "
            "end (an allocation ending on the last day has ended); a child allocated to two agencies counts under "
            "each, and a case with no allocation under none."
        ),
        section=Section.HOW_MUCH,
        breakdown="agency",
        compute=_caseload,
    ),
    Measure(
        key="4",
        title="New investigations (child related)",
        definition="Investigations opened in the month, counted per child.",
        counting=(
            "Investigations opened in the month, each counted once for every child it names (two children: two)."
        ),
        section=Section.HOW_MUCH,
        compute=_investigations_per_child,
    ),
    Measure(
        key="5",
        title="New investigations (by perpetrator)",
        definition="Investigations opened in the month, counted per perpetrator.",
        counting=(
            "Investigations opened in the month, each counted once for every person of concern it names (two "
            "suspects: two)."
        ),
        section=Section.HOW_MUCH,
        compute=_investigations_per_perpetrator,
    ),
    Measure(
        key="6",
        title="Criminal prosecutions",
        definition="Prosecutions begun (charges) in the month.",
        counting="Prosecutions whose date of charge is in the month: one for each person charged.",
        section=Section.HOW_MUCH,
        compute=_prosecutions,
    ),
    Measure(
        key="7",
        title="Perpetrator disruptions",
        definition="Disruption actions taken in the month, by type.",
        counting="Disruptions served or granted in the month, by type.",
        section=Section.HOW_MUCH,
        breakdown="type",
        compute=_disruptions,
    ),
    Measure(
        key="8",
        title="Outcome of prosecutions",
        definition="Prosecutions concluded in the month, by outcome.",
        counting="Prosecutions whose conclusion is dated in the month, by outcome.",
        section=Section.BETTER_OFF,
        breakdown="outcome",
        compute=_prosecution_outcomes,
    ),
    Measure(
        key="9",
        title="Outcomes of disruptions",
        definition="Disruptions whose outcome was recorded in the month, by type and outcome.",
        counting="Disruptions whose outcome is dated in the month, by type and outcome (only those that occurred).",
        section=Section.BETTER_OFF,
        breakdown="type and outcome",
        compute=_disruption_outcomes,
    ),
    Measure(
        key="missing",
        title="Children missing often",
        definition="Number of children with 3 or more missing episodes in the reporting period.",
        counting=(
            f"Children with {MISSING_EPISODES} or more missing episodes that began in the month (an episode is "
            "counted in the month it began)."
        ),
        section=Section.BETTER_OFF,
        compute=_missing_often,
    ),
    Measure(
        key="intelligence",
        title="Intelligence recorded",
        definition="CSE linked intelligence reports.",
        counting=(
            "Links recorded in the team's mapping in the month (a child, person, place, vehicle, group or online "
            "identity seen with another), not withdrawn by the month end, by the agency the intelligence came from. "
            "Not the police's count of intelligence reports, which this product does not hold; nor offences (see "
            "the module's notes)."
        ),
        section=Section.HOW_MUCH,
        breakdown="source agency",
        compute=_intelligence,
    ),
    Measure(
        key="positive_outcomes",
        title="Positive outcome rate",
        definition="Positive outcome rate.",
        counting=(
            "Of the prosecutions concluded and the disruption outcomes recorded in the month, those that were "
            "positive: a conviction, or a disruption complied with. An order that expired, was revoked or breached, "
            "or that the court refused, is not counted as positive. Each part is shown with its own numerator and "
            "denominator; with none concluded or recorded there is no rate."
        ),
        section=Section.BETTER_OFF,
        breakdown="prosecutions and disruptions",
        is_rate=True,
        compute=_positive_outcomes,
    ),
)

MEASURES_BY_KEY: dict[str, Measure] = {measure.key: measure for measure in MEASURES}


def measure_figure(*, key: str, team_id: int, year: int, month: int) -> Figure:
    """One measure for one team and month. Raises KeyError for a measure that is not defined."""
    return MEASURES_BY_KEY[key].figure(team_id=team_id, year=year, month=month)


def figures_for_month(*, team_id: int, year: int, month: int) -> list[tuple[Measure, Figure]]:
    """Every measure, in order, for one team and month."""
    return [(measure, measure.figure(team_id=team_id, year=year, month=month)) for measure in MEASURES]


# Data quality (issue 7, item 5) -------------------------------------------------------------------------------------


def data_quality(*, team_id: int, year: int, month: int) -> tuple[Row, ...]:
    """What the month's figures could not place, so readers know how far to trust them. Four counts, three queries.
    The investigations are as they are named now (who an investigation names has no history)."""
    period = Month(year, month)
    undecided = referrals_undecided_past_notification(team_id=team_id, at=period.end)
    no_perpetrator, no_child = investigations_opened_unnamed(
        team_id=team_id, start=period.first_day, end=period.next_first_day
    )
    unallocated = open_cases_unallocated(team_id=team_id, at=period.end)
    return (
        Row(
            "undecided_overdue",
            "Referrals with no decision at the month end, past their 24-hour notification deadline",
            undecided,
        ),
        Row(
            "investigation_no_perpetrator",
            "Investigations opened in the month naming no person of concern",
            no_perpetrator,
        ),
        Row("investigation_no_child", "Investigations opened in the month naming no child", no_child),
        Row(
            "case_unallocated", "Open cases at the month end with no one allocated (in no agency's figure)", unallocated
        ),
    )
