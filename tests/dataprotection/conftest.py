"""A child with one of every kind of record, recorded through the services as the pages record them, beside two other
children whose names must never reach that child's subject access export: one discussed at the same meeting, one
linked to the child in the mapping.

`crew` (from the case tests) gives the team manager ("tm", children's services), the detective sergeant ("ds",
police), practitioners in the team ("practitioner", "nurse" of the health trust, "officer" of police), the front door,
a referrer, the head of service and service managers outside the team, a case holder and a member of another team."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from evolve.access.models import LawfulBasis, ShareConsent
from evolve.accounts.models import Agency, Team, User
from evolve.accounts.roles import Role
from evolve.cases.models import Case, CaseNote, DecisionKind, RiskLevel
from evolve.cases.services import case_note_add, case_note_share
from evolve.people.models import Child
from evolve.people.selectors import child_get_for_user
from mapping.models import Confidence, EntityKind, LinkKind, PersonOfConcern
from mapping.services import EpisodeInput, LinkInput, child_entity, entity_record, link_record, missing_episode_record
from meetings.models import AgendaItem, Meeting
from meetings.services import amendment_add, attendance_add, item_record, meeting_close
from referrals.models import Referral
from risk.models import RiskAssessment
from tests.factories import ChildFactory, TeamFactory, UserFactory
from tests.meetings.conftest import (
    answers_for,
    assess,
    at_stage,
    crew,
    decide,
    eager_celery,
    health,
    people,
    soon,
    waiting,
    weekly,
)

__all__ = [
    "answers_for",
    "assess",
    "at_stage",
    "crew",
    "decide",
    "eager_celery",
    "health",
    "people",
    "soon",
    "waiting",
    "weekly",
]

OPEN_NOTE = "Visited at home with the school nurse; she talked about a new phone."
RESTRICTED_NOTE = "Clinical note: attended the sexual health clinic; treatment started."
DISCUSSION = "Seen getting into a blue car outside the station on two evenings."
OTHER_DISCUSSION = "Bethany is settled at home; no new concerns this week."
OTHER_AMENDMENT = "Bethany Brooks's school was recorded wrongly: it is Valley College."
OWN_AMENDMENT = "The car was silver, not blue."
EPISODE_NOTES = "Found at a friend's flat by the police."
# Names no part of Amelia's export may hold: the child on the same agenda, the child at the other end of a link.
OTHER_NAMES = ("Bethany", "Brooks", "Chloe", "Carter")


@dataclass
class Seeded:
    child: Child
    case: Case
    agenda_child: Child  # Bethany Brooks: discussed at the same meeting
    linked_child: Child  # Chloe Carter: linked to Amelia in the mapping
    man: PersonOfConcern
    meeting: Meeting
    restricted_note: CaseNote


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """Private files of this test go to its own folder."""
    root = tmp_path / "private"
    root.mkdir()
    settings.PRIVATE_MEDIA_ROOT = root
    return root


@pytest.fixture
def seeded(
    crew: dict[str, User],
    team: Team,
    police: Agency,
    at_stage: Callable[[str], Referral],
    decide: Callable[[Referral, str], Case],
    assess: Callable[..., RiskAssessment],
    weekly: Callable[..., Meeting],
    media: Path,
) -> Seeded:
    """Amelia Ashworth: a referral decided by the daily review, her case with allocations, an open note and a clinical
    note restricted to health (shared with police, in the ledger), a risk assessment, her part of a meeting that also
    discussed Bethany Brooks, links to a man and to Chloe Carter, a missing episode, her chronology and access log."""
    cases = []
    for first, last in (("Amelia", "Ashworth"), ("Bethany", "Brooks")):
        case = decide(at_stage("co_allocated"), DecisionKind.RISK_ASSESSMENT_MEETING)
        Child.objects.filter(pk=case.child_id).update(first_name=first, last_name=last)
        cases.append(Case.objects.select_related("child", "team").get(pk=case.pk))
    case, other_case = cases
    child = case.child
    linked_child = ChildFactory.create(first_name="Chloe", last_name="Carter", open_to_team=team, created_by=crew["tm"])

    case_note_add(case=case, by=crew["practitioner"], text=OPEN_NOTE)
    restricted_note = case_note_add(case=case, by=crew["nurse"], text=RESTRICTED_NOTE, restricted=True)
    case_note_share(
        note=restricted_note,
        by=crew["nurse"],
        lawful_basis=LawfulBasis.SAFEGUARDING,
        consent=ShareConsent.NOT_SOUGHT,
        reason_without_consent="Needed for the police investigation.",
        to_agency=police,
    )
    assess(child, crew["practitioner"], present={"missing-repeatedly": "current"})

    meeting = weekly()
    attendance_add(meeting=meeting, by=crew["tm"], agency=police, name="DS Example", role="Detective sergeant")
    item = item_record(
        item=AgendaItem.objects.get(meeting=meeting, child=child),
        by=crew["tm"],
        based_on_version=None,
        discussion=DISCUSSION,
        level=RiskLevel.HIGH,
        rationale="Repeated missing episodes and an older male.",
    )
    other_item = item_record(
        item=AgendaItem.objects.get(meeting=meeting, child_id=other_case.child_id),
        by=crew["tm"],
        based_on_version=None,
        discussion=OTHER_DISCUSSION,
    )
    meeting = meeting_close(meeting=meeting, by=crew["tm"])
    amendment_add(meeting=meeting, by=crew["tm"], text=OWN_AMENDMENT, item=item)
    amendment_add(meeting=meeting, by=crew["tm"], text=OTHER_AMENDMENT, item=other_item)

    officer = crew["officer"]
    man_entity = entity_record(
        by=officer,
        kind=EntityKind.PERSON,
        details={"first_name": "Dean", "last_name": "Sample"},
        not_a_duplicate=True,
    )
    man = PersonOfConcern.objects.get(pk=man_entity.pk)
    ends = {"child": child_entity(child=child, by=officer), "other": child_entity(child=linked_child, by=officer)}
    for other, kind in ((man, LinkKind.EXPLOITED_BY), (ends["other"], LinkKind.ASSOCIATES_WITH)):
        link_record(
            by=officer,
            a=ends["child"],
            b=other,
            given=LinkInput(
                kind=kind,
                source_agency_id=police.pk,
                confidence=Confidence.PROBABLE,
                evidence="Seen together by a patrol",
                first_seen_on=None,
                last_seen_on=None,
                restricted_to_agency_id=None,
            ),
        )
    missing_episode_record(
        child=child,
        by=officer,
        given=EpisodeInput(
            started_at=timezone.now() - timedelta(days=3),
            ended_at=timezone.now() - timedelta(days=2),
            notes=EPISODE_NOTES,
            linked=[man, ends["other"]],
        ),
    )
    # A read of her record, as the record page makes it.
    child_get_for_user(user=crew["practitioner"], public_id=child.public_id)
    child.refresh_from_db()
    return Seeded(
        child=child,
        case=case,
        agenda_child=other_case.child,
        linked_child=linked_child,
        man=man,
        meeting=meeting,
        restricted_note=restricted_note,
    )


@pytest.fixture
def everyone(crew: dict[str, User], make_user: Callable[..., User], police: Agency) -> dict[str, User]:
    """`crew` with an administrator and the team manager of another team."""
    other_team = TeamFactory.create(name="Another team")
    other_team.agencies.add(police)
    return {
        **crew,
        "administrator": make_user(Role.ADMINISTRATOR, username="admin-user"),
        "other_team_manager": UserFactory.create(
            roles=[Role.TEAM_MANAGER], agency=police, team=other_team, username="other-tm"
        ),
    }


def born(years_ago: int) -> date:
    today = timezone.localdate()
    return date(today.year - years_ago, 1, 10)
