"""The retention rules: how long each type of record about a child is kept before someone must decide what happens
to it. Declared here, once; `retention_reviews_build` (the nightly task) asks each rule which children's records have
reached the end of their period and puts them on the review list. A rule never deletes anything: it only brings the
records to a manager, who records a decision (docs: "Subject access and retention" in dataprotection/models.py).

The periods are defaults drawn from the guidance each agency follows. They are a starting point for the data
protection officer to confirm or change for their area (change the period in the rule; the next nightly run uses it):

- Children's social care case records: until the child's 75th birthday (the Local Government Association's retention
  guidance for children's social care records, in line with the Care Leavers (England) Regulations 2010 for looked
  after children).
- Police intelligence in the mapping: reviewed six years after it was last recorded or changed (College of Policing,
  Management of Police Information, Authorised Professional Practice: a six-year review for most intelligence).
- Referrals that led to no further action from Evolve (no case was ever opened): six years after the last change to
  the child's referrals (the Local Government Association's guidance for contacts and referrals not taken further).
- Health clinical notes (case notes restricted to a health agency): until the child's 25th birthday, or eight years
  after the last note if that is later (NHS England, Records Management Code of Practice 2023, children's records).

A child whose date of birth is not known is dated from their estimated age; failing that, from when their record
was made (which can only be later than their birth, so the review comes later rather than too soon).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from dataprotection.dates import add_years
from dataprotection.selectors import (
    birth_dates_for_children,
    children_born_before,
    children_with_case,
    health_notes_quiet_since,
    intelligence_quiet_since,
    referrals_quiet_since,
)


@dataclass(frozen=True)
class RetentionRule:
    code: str
    title: str
    records: str  # which records it covers, in words
    period: str  # how long they are kept, in words
    basis: str  # where the period comes from
    # The children whose records under this rule have reached the end of their period by `today`: child id -> the
    # day the period ended.
    due: Callable[[date], dict[int, date]]


def _birthday_due(today: date, age: int, among: set[int] | None = None) -> dict[int, date]:
    """Children (of `among`, or all) whose `age`th birthday is on or before `today`."""
    born = children_born_before(day=add_years(today, -age), child_ids=among)
    return {child_id: add_years(birth, age) for child_id, birth in born.items()}


def _social_care_due(today: date) -> dict[int, date]:
    reached = _birthday_due(today, 75)
    with_case = children_with_case(child_ids=reached.keys())
    return {child_id: due for child_id, due in reached.items() if child_id in with_case}


def _intelligence_due(today: date) -> dict[int, date]:
    quiet = intelligence_quiet_since(before=add_years(today, -6))
    return {child_id: add_years(last, 6) for child_id, last in quiet.items()}


def _no_further_action_due(today: date) -> dict[int, date]:
    quiet = referrals_quiet_since(before=add_years(today, -6))
    with_case = children_with_case(child_ids=quiet.keys())
    return {child_id: add_years(last, 6) for child_id, last in quiet.items() if child_id not in with_case}


def _health_due(today: date) -> dict[int, date]:
    quiet = health_notes_quiet_since(before=add_years(today, -8))
    births = birth_dates_for_children(child_ids=quiet.keys())
    due = {}
    for child_id, last in quiet.items():
        ends = max(add_years(births[child_id], 25), add_years(last, 8))
        if ends <= today:
            due[child_id] = ends
    return due


RULES: dict[str, RetentionRule] = {
    rule.code: rule
    for rule in (
        RetentionRule(
            code="social_care_case",
            title="Children's social care case records",
            records="The Evolve case: decisions, allocations, case notes, meetings and risk assessments",
            period="Until the child's 75th birthday",
            basis="Local Government Association retention guidance for children's social care records",
            due=_social_care_due,
        ),
        RetentionRule(
            code="police_intelligence",
            title="Police intelligence in the mapping",
            records="Links to the child recorded by police or restricted to police",
            period="Reviewed 6 years after it was last recorded or changed",
            basis="Management of Police Information (College of Policing): a default, to be set locally",
            due=_intelligence_due,
        ),
        RetentionRule(
            code="referral_no_further_action",
            title="Referrals that led to no further action",
            records="Referrals about a child for whom no Evolve case was opened",
            period="6 years after the last change to the child's referrals",
            basis="Local Government Association retention guidance for contacts and referrals",
            due=_no_further_action_due,
        ),
        RetentionRule(
            code="health_clinical_notes",
            title="Health clinical notes",
            records="Case notes restricted to a health agency",
            period="Until the child's 25th birthday, or 8 years after the last note if later",
            basis="NHS Records Management Code of Practice 2023 (children's records)",
            due=_health_due,
        ),
    )
}


def rule_title(code: str) -> str:
    rule = RULES.get(code)
    return rule.title if rule else code
