"""A team's March and April 2025 built by hand through the services, with the answers worked out beforehand.

British Summer Time began on 30 March 2025, so midnight on 1 April in London is 23:00 on 31 March in UTC: the month
boundary a report computed in UTC would get wrong. Every moment below is London time.

Children (all synthetic): A referred twice in March (a MARF, then the CSE Referral Form) and decided twice; E opened,
closed and re-opened in March; D opened and closed in March, re-opened in April; F given advice; H never decided;
B arrives at 23:59 on 31 March and is decided in April; C arrives at 00:00 on 1 April and is never decided; G open
since February. X is another team's.

The answers (see tests/reporting/test_measures.py for each):

| measure | March | April |
| --- | --- | --- |
| 1 children referred | 6: A E D F H B (school 6, children's services 1) | 1: C |
| 2 decided | 4: A (RA meeting, strategy) E (RA) D (urgent CIN) F (advice); awaiting B H | 1: B; awaiting C H |
| 3 open at month end | 3: A E G (services 1: G; trust 1: A; police 1: A) | 4: A E G D |
| 4 per child | 3 (inv 1: A; inv 2: A E) | 1 (inv 3: B) |
| 5 per perpetrator | 3 (inv 1: P1 P2; inv 5: P3) | 1 |
| 6 charged | 2 (pros 1, 2) | 1 (pros 3) |
| 7 disruptions taken | 3 (CAWN 2, SRO 1) | 1 (CAWN) |
| 8 prosecutions concluded | 2 (convicted 1, acquitted 1) | 1 (discontinued) |
| 9 disruption outcomes | 3 (CAWN complied, CAWN breached, licensing revoked) | 0 |
| missing 3+ | 3: A D F | 0 |
| intelligence | 4 (police 2, trust 2) | 1 (police) |
| positive outcomes | 2 of 5 (convicted 1 of 2; complied 1 of 3) | 0 of 1 |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import pytest
import time_machine

from evolve.accounts.models import Agency, Team, User
from evolve.cases.models import Allocation, AllocationRole, Case, DecisionKind
from evolve.cases.services import allocation_add, allocation_end, case_close, case_reopen
from evolve.clock.calendar import LONDON
from evolve.people.models import Child
from mapping.models import DisruptionKind, Entity, EntityKind, Link, LinkKind, Location, LocationType, PersonOfConcern
from mapping.services import (
    EpisodeInput,
    LinkInput,
    child_entity,
    disruption_outcome_record,
    disruption_record,
    entity_record,
    investigation_open,
    link_record,
    link_withdraw,
    missing_episode_record,
    prosecution_conclude,
    prosecution_record,
)
from referrals.models import Referral
from referrals.services import (
    MashDecision,
    TriageDecision,
    mash_check_record,
    referral_co_allocate,
    referral_draft_create,
    referral_draft_save,
    referral_log,
    referral_refer_to_evolve,
    referral_screen,
    referral_send_to_mash,
    referral_submit,
)
from tests.cases.conftest import crew, decide, health
from tests.factories import ChildFactory
from tests.referrals.conftest import COMPLETE, people

__all__ = ["crew", "decide", "health", "people"]


# Each measure's total for March 2025 (the table above).
MARCH_TOTALS = {
    "1": 6,
    "2": 4,
    "3": 3,
    "4": 3,
    "5": 3,
    "6": 2,
    "7": 3,
    "8": 2,
    "9": 3,
    "missing": 3,
    "intelligence": 4,
    "positive_outcomes": 2,
}


def london(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@dataclass
class MonthOfWork:
    team: Team
    other_team: Team
    police: Agency
    social_care: Agency
    health: Agency
    school: Agency
    children: dict[str, Child]
    crew: dict[str, User]
    reach: Callable[..., Referral]


@pytest.fixture
def reach(people: dict[str, User], team: Team) -> Callable[..., Referral]:
    """Bring a referral about `child` to Evolve at the moment `at`: a MARF through the front door (the teacher's), or
    the CSE Referral Form straight in (the case-holding social worker's)."""

    def bring(child: Child, at: datetime, *, form: str = Referral.Form.MARF, to: Team | None = None) -> Referral:
        with time_machine.travel(at, tick=False):
            if form == Referral.Form.CSE_REFERRAL_FORM:
                by = people["case_holder"]
                referral = referral_draft_create(by=by, form=form, child=child)
                referral = referral_draft_save(
                    referral=referral, by=by, based_on_version=referral.version, fields=COMPLETE, indicator_ids=[]
                )
                return referral_refer_to_evolve(
                    referral=referral, by=by, based_on_version=referral.version, team=to or team
                )
            referral = referral_draft_create(by=people["teacher"])
            referral = referral_draft_save(
                referral=referral,
                by=people["teacher"],
                based_on_version=referral.version,
                fields=COMPLETE,
                indicator_ids=[],
            )
            referral = referral_submit(referral=referral, by=people["teacher"], based_on_version=referral.version)
            referral = referral_log(
                referral=referral, by=people["spoc"], based_on_version=referral.version, child=child
            )
            referral = referral_screen(
                referral=referral, by=people["triage"], based_on_version=referral.version, notes="Indicators of CSE."
            )
            referral = referral_send_to_mash(
                referral=referral,
                by=people["triage_manager"],
                based_on_version=referral.version,
                decision=TriageDecision(threshold="child_protection", rag="amber", rationale="Several indicators."),
            )
            mash_check_record(referral=referral, by=people["mash_police"], holds_information=True, summary="Known.")
            return referral_co_allocate(
                referral=referral,
                by=people["mash"],
                based_on_version=referral.version,
                decision=MashDecision(rag="red", intervention="section_47", rationale="Intelligence.", team=to or team),
            )

    return bring


@pytest.fixture
def month_of_work(
    crew: dict[str, User],
    decide: Callable[[Referral, str], Case | None],
    reach: Callable[..., Referral],
    team: Team,
    police: Agency,
    social_care: Agency,
    health: Agency,
    school: Agency,
) -> MonthOfWork:
    tm, officer, nurse = crew["tm"], crew["officer"], crew["nurse"]
    other_member = crew["other_team_member"]
    assert other_member.team is not None
    children = {name: ChildFactory.create(first_name=name, last_name="Testchild") for name in "ABCDEFGHX"}

    def decided(referral: Referral, kind: str, at: datetime) -> Case | None:
        with time_machine.travel(at, tick=False):
            return decide(referral, kind)

    def allocate(case: Case, user: User, role: str, on: date) -> Allocation:
        with time_machine.travel(london(on.year, on.month, on.day), tick=False):
            return allocation_add(case=case, by=tm, user=user, role=role, start_on=on)

    def close(case: Case, at: datetime) -> None:
        with time_machine.travel(at, tick=False):
            current = Case.objects.get(pk=case.pk)
            case_close(case=current, by=tm, based_on_version=current.version, reason="Risk reduced.")

    def reopen(case: Case, at: datetime) -> None:
        with time_machine.travel(at, tick=False):
            current = Case.objects.get(pk=case.pk)
            case_reopen(case=current, by=tm, based_on_version=current.version, reason="New concerns.")

    # February: G's case, open through March and April.
    case_g = decided(
        reach(children["G"], london(2025, 2, 10)), DecisionKind.RISK_ASSESSMENT_MEETING, london(2025, 2, 11)
    )
    assert case_g is not None
    allocate(case_g, crew["practitioner"], AllocationRole.SOCIAL_WORK_LEAD, date(2025, 2, 12))
    nurse_on_g = allocate(case_g, nurse, AllocationRole.CSE_NURSE, date(2025, 2, 12))

    # March.
    case_a = decided(reach(children["A"], london(2025, 3, 3)), DecisionKind.RISK_ASSESSMENT_MEETING, london(2025, 3, 4))
    assert case_a is not None
    allocate(case_a, nurse, AllocationRole.CSE_NURSE, date(2025, 3, 5))
    allocate(case_a, officer, AllocationRole.POLICE_INVESTIGATION, date(2025, 3, 5))
    case_e = decided(
        reach(children["E"], london(2025, 3, 5, 11)), DecisionKind.RISK_ASSESSMENT_MEETING, london(2025, 3, 6)
    )
    assert case_e is not None
    allocate(case_e, nurse, AllocationRole.CSE_NURSE, date(2025, 3, 7))
    case_d = decided(reach(children["D"], london(2025, 3, 10)), DecisionKind.URGENT_CIN, london(2025, 3, 11))
    assert case_d is not None
    close(case_e, london(2025, 3, 12))  # ends the nurse's allocation
    decided(reach(children["F"], london(2025, 3, 12, 11)), DecisionKind.REFERRER_ADVICE, london(2025, 3, 13))
    reach(children["X"], london(2025, 3, 15), to=other_member.team)
    reopen(case_e, london(2025, 3, 18))  # nobody allocated again
    second = reach(children["A"], london(2025, 3, 20), form=Referral.Form.CSE_REFERRAL_FORM)
    decided(second, DecisionKind.STRATEGY_DISCUSSION, london(2025, 3, 21))
    reach(children["H"], london(2025, 3, 24))  # never decided
    close(case_d, london(2025, 3, 25))
    with time_machine.travel(london(2025, 3, 31, 12), tick=False):
        allocation_end(allocation=nurse_on_g, by=tm, end_on=date(2025, 3, 31))
    b_referral = reach(children["B"], london(2025, 3, 31, 23, 59))

    # April.
    reach(children["C"], london(2025, 4, 1, 0, 0))  # never decided
    decided(b_referral, DecisionKind.EARLY_HELP_ADVICE, london(2025, 4, 2))
    reopen(case_d, london(2025, 4, 3))

    _pursuit(crew, children)
    _missing(officer, children)
    _intelligence(crew, children, police=police, health=health)
    return MonthOfWork(
        team=team,
        other_team=other_member.team,
        police=police,
        social_care=social_care,
        health=health,
        school=school,
        children=children,
        crew=crew,
        reach=reach,
    )


def _person(by: User, name: str) -> PersonOfConcern:
    entity = entity_record(
        by=by, kind=EntityKind.PERSON, details={"first_name": name, "last_name": "Sample"}, not_a_duplicate=True
    )
    return PersonOfConcern.objects.get(pk=entity.pk)


def _hotel(by: User) -> Location:
    entity = entity_record(
        by=by,
        kind=EntityKind.LOCATION,
        details={"name": "Station Hotel", "location_type": LocationType.HOTEL, "address": "1 High Street"},
        not_a_duplicate=True,
    )
    return Location.objects.get(pk=entity.pk)


def _pursuit(crew: dict[str, User], children: dict[str, Child]) -> None:
    officer = crew["officer"]
    p1, p2, p3 = (_person(officer, name) for name in ("Pat", "Sam", "Lee"))
    a, b, e, g = (children[name] for name in "ABEG")

    def investigation(opened_on: date, kids: list[Child], perpetrators: list[PersonOfConcern], by: User = officer):
        investigation_open(
            by=by,
            reference=f"OP {opened_on}",
            summary="Exploitation",
            opened_on=opened_on,
            lead_officer=by,
            children=kids,
            perpetrators=perpetrators,
        )

    investigation(date(2025, 3, 31), [a], [p1, p2])  # 1: two perpetrators
    investigation(date(2025, 3, 10), [a, e], [])  # 2: two children, nobody named
    investigation(date(2025, 4, 1), [b], [p3])  # 3: April
    investigation(date(2025, 2, 28), [g], [p1])  # 4: February
    investigation(date(2025, 3, 15), [], [p3])  # 5: no child named
    other = crew["other_team_member"]
    investigation_open(
        by=other,
        reference="ELSEWHERE",
        summary="Another team's",
        opened_on=date(2025, 3, 12),
        lead_officer=other,
        children=[children["X"]],
        perpetrators=[_person(other, "Kim")],
    )

    def prosecution(who: PersonOfConcern, charged_on: date, outcome: str = "", concluded_on: date | None = None):
        charged = prosecution_record(by=officer, perpetrator=who, charges="Offences", charged_on=charged_on)
        if outcome:
            prosecution_conclude(
                prosecution=charged,
                by=officer,
                outcome=outcome,
                concluded_on=concluded_on,
                based_on_version=charged.version,
            )

    prosecution(p1, date(2025, 3, 5), "convicted", date(2025, 3, 31))  # 1
    prosecution(p2, date(2025, 3, 31))  # 2: pending
    prosecution(p3, date(2025, 4, 1))  # 3: April
    prosecution(p3, date(2025, 2, 10), "acquitted", date(2025, 3, 20))  # 4
    prosecution(p2, date(2025, 2, 1), "discontinued", date(2025, 4, 1))  # 5

    def disruption(
        kind: str, target: Entity, taken_on: date, child: Child | None = None, outcome: str = "", on: date | None = None
    ):
        taken = disruption_record(by=officer, kind=kind, target=target, taken_on=taken_on, child=child)
        if outcome:
            disruption_outcome_record(
                disruption=taken, by=officer, outcome=outcome, outcome_on=on, based_on_version=taken.version
            )

    disruption(DisruptionKind.CAWN, p1, date(2025, 3, 3), a, "complied", date(2025, 3, 31))  # 1
    disruption(DisruptionKind.SRO, p2, date(2025, 3, 31))  # 2
    disruption(DisruptionKind.CAWN, p3, date(2025, 4, 1), e)  # 3: April
    disruption(DisruptionKind.LICENSING, _hotel(officer), date(2025, 2, 15), None, "revoked", date(2025, 3, 10))  # 4
    disruption(DisruptionKind.CAWN, p2, date(2025, 3, 20), a, "breached", date(2025, 3, 25))  # 5


def _missing(by: User, children: dict[str, Child]) -> None:
    episodes = {
        "A": [london(2025, 3, 2), london(2025, 3, 9), london(2025, 3, 31, 23, 59)],  # 3 in March
        "E": [london(2025, 3, 4), london(2025, 3, 6), london(2025, 4, 1, 0, 0)],  # 2 in March
        "D": [london(2025, 3, day) for day in (14, 15, 16, 17)],  # 4
        "F": [london(2025, 3, 1, 0, 0), london(2025, 3, 2), london(2025, 3, 3)],  # 3, the first at the first moment
        "G": [london(2025, 2, 28, 23, 59), london(2025, 3, 2), london(2025, 3, 3)],  # 2 in March
    }
    for name, starts in episodes.items():
        for started_at in starts:
            missing_episode_record(child=children[name], by=by, given=EpisodeInput(started_at=started_at))


def _intelligence(crew: dict[str, User], children: dict[str, Child], *, police: Agency, health: Agency) -> None:
    officer, nurse = crew["officer"], crew["nurse"]
    assert officer.team_id is not None
    people = {p.first_name: p for p in PersonOfConcern.objects.filter(team_id=officer.team_id)}
    hotel = Location.objects.get(team_id=officer.team_id)

    def link(by: User, one: Entity | Child, other: Entity | Child, at: datetime, source: Agency) -> Link:
        with time_machine.travel(at, tick=False):
            ends = [child_entity(child=end, by=by) if isinstance(end, Child) else end for end in (one, other)]
            return link_record(
                by=by,
                a=ends[0],
                b=ends[1],
                given=LinkInput(
                    kind=LinkKind.ASSOCIATES_WITH, source_agency_id=source.pk, confidence="probable", evidence="Seen."
                ),
            )

    def withdraw(recorded: Link, at: datetime) -> None:
        with time_machine.travel(at, tick=False):
            link_withdraw(link=recorded, by=officer, reason="Wrong person.", based_on_version=recorded.version)

    link(officer, people["Pat"], children["A"], london(2025, 3, 15), police)
    link(nurse, children["E"], hotel, london(2025, 3, 20), health)
    withdraw(link(officer, people["Sam"], children["A"], london(2025, 3, 10), police), london(2025, 3, 12))
    withdraw(link(officer, people["Lee"], children["E"], london(2025, 3, 10), police), london(2025, 4, 5))
    link(officer, people["Pat"], children["B"], london(2025, 4, 1, 0, 0), police)
    link(nurse, children["D"], hotel, london(2025, 3, 31, 23, 59), health)
