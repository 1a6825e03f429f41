"""`manage.py seed_demo`: a user for every role, synthetic children, the Evolve team's daily review and cases, and
logins a newcomer can use at once."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import models
from django.db.models import Q
from django.test import Client

from evolve.access.models import InformationShare, LawfulBasis
from evolve.accounts.models import User
from evolve.accounts.roles import Role
from evolve.cases.models import (
    AgencyCheck,
    Allocation,
    AllocationRole,
    Case,
    CaseNote,
    ChildWords,
    Decision,
    DecisionKind,
    DecisionView,
    Escalation,
)
from evolve.cases.selectors import (
    cases_for_user,
    checks_for_owner,
    children_awaiting_ra_meeting,
    daily_review_queue,
    escalations_for_user,
    notes_for_case,
)
from evolve.chronology.models import ChronologyEntry
from evolve.demo.data import DEMO_BACKUP_CODES, DEMO_PASSWORD, REFERRAL_STAGES, TEAM_AGENCIES
from evolve.people.models import Child
from evolve.people.selectors import child_list_for_user
from mapping.models import (
    Disruption,
    DisruptionKind,
    Entity,
    EntityKind,
    Investigation,
    Link,
    Location,
    LocationType,
    MissingEpisode,
    Prosecution,
    ProsecutionOutcome,
)
from mapping.selectors import intelligence_pack, linked_children, people_of_concern_for_user
from referrals.models import Referral
from reporting.models import MonthlyReport, ReportBuild
from reporting.selectors import report_builds_for_user
from reporting.services import last_month

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """The demo's report files in each test's own folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


def test_seed_demo_makes_a_user_for_every_role_and_prints_the_logins() -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    for role in Role:
        assert User.objects.filter(roles__contains=[role]).exists(), role
    assert DEMO_PASSWORD in printed and DEMO_BACKUP_CODES[0] in printed
    assert "tm " in printed and "governance" in printed
    assert Child.objects.count() >= 30
    states = sorted(Referral.objects.values_list("state", flat=True))
    front_door = ["draft", "submitted", "submitted", "logged", "screened", "with_mash"]
    # Three co-allocated referrals still wait in the Evolve daily review; seven have been decided.
    assert states == sorted(front_door + ["co_allocated"] * 3 + ["decided"] * 7)


DEMO_RECORDS: list[type[models.Model]] = [
    Child,
    Referral,
    Case,
    CaseNote,
    ChildWords,
    Allocation,
    AgencyCheck,
    DecisionView,
    Decision,
    Escalation,
    InformationShare,
    ChronologyEntry,
    Entity,
    Link,
    MissingEpisode,
    Investigation,
    Prosecution,
    Disruption,
]


def _counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in DEMO_RECORDS}


def test_seed_demo_can_run_again_without_duplicating_children_cases_notes_or_decisions() -> None:
    call_command("seed_demo", stdout=StringIO())
    first = _counts()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == first
    assert first["Case"] == 5 and first["Decision"] == 7 and first["CaseNote"] >= 10


def test_a_database_seeded_before_the_case_work_gets_it_on_the_next_run(monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as earlier:  # the demo as it was: one referral co-allocated, no case work
        earlier.setattr("evolve.demo.data.REFERRAL_STAGES", [*REFERRAL_STAGES[:6], "co_allocated"])
        earlier.setattr("evolve.demo.data.URGENT_REFERRALS", frozenset({2}))
        earlier.setattr("evolve.demo.data._seed_evolve_work", lambda **_: None)
        call_command("seed_demo", stdout=StringIO())
    assert Referral.objects.filter(state="co_allocated").count() == 1 and not Case.objects.exists()
    call_command("seed_demo", stdout=StringIO())
    queue = daily_review_queue(user=User.objects.get(username="tm"))
    assert len(queue.waiting) == 3 and queue.waiting[0].referral.urgency == "urgent"
    assert len(queue.strategy_due) == 1
    assert Case.objects.count() == 5 and Referral.objects.count() == 7 + 9


def test_demo_access_follows_the_rules() -> None:
    call_command("seed_demo", stdout=StringIO())
    police = User.objects.get(username="police")
    social_worker = User.objects.get(username="socialworker")
    restricted = Child.objects.filter(restricted_to_agency__short_name="SYP PPU")
    assert restricted.exists()
    assert set(restricted) <= set(child_list_for_user(user=police))
    assert not set(restricted) & set(child_list_for_user(user=social_worker))
    assert list(child_list_for_user(user=User.objects.get(username="governance"))) == []
    # The case holder sees the two children granted at the front door, and those whose Evolve case they hold.
    case_holder = User.objects.get(username="caseholder")
    held = Case.objects.filter(case_holder=case_holder).count()
    assert held == 3
    assert child_list_for_user(user=case_holder).count() == 2 + held


def _user(username: str) -> User:
    return User.objects.get(username=username)


def test_the_daily_review_has_work_waiting_for_the_team_manager_and_detective_sergeant() -> None:
    call_command("seed_demo", stdout=StringIO())
    queue = daily_review_queue(user=_user("tm"))
    assert len(queue.waiting) == 3
    urgent = queue.waiting[0]
    assert urgent.referral.urgency == "urgent"
    # Every team agency asked what it holds; the police have answered.
    assert {check.agency.short_name for check in urgent.checks} == {short for _, short, _ in TEAM_AGENCIES}
    assert [check.agency.short_name for check in urgent.checks if check.answered_at] == ["SYP PPU"]
    assert len(checks_for_owner(user=_user("nurse"))) == 1
    # The team manager has recorded a view: the detective sergeant's turn.
    (tm_only,) = [row for row in daily_review_queue(user=_user("ds")).waiting if len(row.views) == 1]
    assert set(tm_only.views) == {DecisionView.Seat.TEAM_MANAGER}
    # They disagreed on one and escalated it to the police service manager (the demo detective inspector).
    (escalated,) = [row for row in queue.waiting if row.escalation is not None]
    assert escalated.disagreed
    assert escalations_for_user(user=_user("servicemanager")) == [escalated.escalation]
    # A strategy discussion decided today: its 24-hour clock runs on the daily review page.
    (strategy,) = queue.strategy_due
    assert strategy.decision.kind == DecisionKind.STRATEGY_DISCUSSION and strategy.deadline.met_at is None


def test_the_decisions_made_open_cases_or_write_to_the_referrer() -> None:
    call_command("seed_demo", stdout=StringIO())
    kinds = sorted(Decision.objects.values_list("kind", flat=True))
    assert kinds == sorted(
        [DecisionKind.RISK_ASSESSMENT_MEETING] * 3
        + [DecisionKind.STRATEGY_DISCUSSION, DecisionKind.URGENT_CIN]
        + [DecisionKind.REFERRER_ADVICE, DecisionKind.EARLY_HELP_ADVICE]
    )
    letters = Decision.objects.filter(case__isnull=True)
    assert letters.count() == 2 and all("Dear Rory Teacher" in d.letter for d in letters)
    awaiting = children_awaiting_ra_meeting(user=_user("tm"))
    assert len(awaiting) == 2 and all(case.is_open for case in awaiting)
    (closed,) = Case.objects.filter(closed_at__isnull=False)
    assert closed.closure_reason and not closed.allocations.filter(end_on__isnull=True).exists()
    open_cases = Case.objects.filter(closed_at__isnull=True)
    assert open_cases.filter(next_review_on__isnull=True).count() == 1
    assert open_cases.filter(key_individual__username="barnardos").count() == 1
    assert open_cases.filter(key_individual_organisation__endswith="Youth Club").count() == 1
    assert open_cases.filter(urgent_cin_since__isnull=False, case_holder__username="caseholder").count() == 1
    roles = set(Allocation.objects.values_list("user__username", "role"))
    assert {
        ("socialworker", AllocationRole.SOCIAL_WORK_LEAD),
        ("police", AllocationRole.POLICE_INVESTIGATION),
        ("nurse", AllocationRole.CSE_NURSE),
        ("barnardos", AllocationRole.BARNARDOS_PRACTITIONER),
        ("pace", AllocationRole.PACE_PARENT_WORKER),
    } <= roles
    assert ChildWords.objects.exists()


def test_restricted_notes_are_seen_by_their_agency_and_those_they_were_shared_with() -> None:
    call_command("seed_demo", stdout=StringIO())
    health = CaseNote.objects.get(restricted_to_agency__short_name="TRFT")
    police_note = CaseNote.objects.get(restricted_to_agency__short_name="SYP PPU")
    assert health.case == police_note.case
    case = health.case
    police, nurse, social_worker = _user("police"), _user("nurse"), _user("socialworker")
    assert health not in notes_for_case(user=police, case=case)
    assert {health, police_note} <= set(notes_for_case(user=nurse, case=case))
    assert not {health, police_note} & set(notes_for_case(user=social_worker, case=case))
    assert police_note in notes_for_case(user=police, case=case)
    (share,) = InformationShare.objects.filter(source_type="case_note", source_id=police_note.pk)
    assert share.to_user == nurse and share.lawful_basis == LawfulBasis.SAFEGUARDING
    assert not InformationShare.objects.filter(source_type="case_note", source_id=health.pk).exists()
    assert len({note.agency_id for note in notes_for_case(user=nurse, case=case)}) >= 4


def test_the_case_holder_sees_only_the_cases_they_hold_or_are_allocated_to() -> None:
    call_command("seed_demo", stdout=StringIO())
    case_holder = _user("caseholder")
    seen = set(cases_for_user(user=case_holder, include_closed=True))
    theirs = set(Case.objects.filter(Q(case_holder=case_holder) | Q(allocations__user=case_holder)))
    assert seen == theirs
    assert 0 < len(seen) < Case.objects.count()
    assert set(cases_for_user(user=_user("tm"), include_closed=True)) == set(Case.objects.all())
    assert list(cases_for_user(user=_user("governance"))) == []


def test_a_demo_user_signs_in_with_a_printed_backup_code(client: Client) -> None:
    call_command("seed_demo", stdout=StringIO())
    client.post("/accounts/login/", {"username": "tm", "password": DEMO_PASSWORD})
    client.post("/accounts/two-factor/", {"code": DEMO_BACKUP_CODES[0]})
    assert client.get("/").status_code == 200


def test_demo_data_is_refused_where_it_is_not_allowed(settings) -> None:
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="switched off"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


def _sign_in(client: Client, username: str) -> Client:
    client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    client.post("/accounts/two-factor/", {"code": DEMO_BACKUP_CODES[0]})
    return client


def test_demo_users_see_the_case_work_on_their_pages() -> None:
    call_command("seed_demo", stdout=StringIO())

    def page(username: str, url: str) -> str:
        response = _sign_in(Client(), username).get(url)
        assert response.status_code == 200, (username, url)
        return response.content.decode()

    review = page("tm", "/cases/review/")
    assert 'data-testid="strategy-due"' in review and 'data-testid="review-queue"' in review
    assert 'data-testid="escalations"' in page("servicemanager", "/cases/escalations/")
    assert 'data-testid="awaiting-meeting"' in page("ds", "/cases/awaiting-meeting/")
    assert 'data-testid="cases"' in page("caseholder", "/cases/")
    health = CaseNote.objects.get(restricted_to_agency__short_name="TRFT")
    case_page = f"/cases/{health.case.public_id}/"
    assert health.text in page("nurse", case_page)
    assert health.text not in page("police", case_page)


def test_the_demo_has_risk_assessments_and_the_next_weekly_meeting_ready_to_run() -> None:
    from meetings.models import AgendaItem, Meeting
    from risk.models import RiskAssessment

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # a second run adds no second meeting or assessments
    tm = User.objects.get(username="tm")
    assessed = list(RiskAssessment.objects.order_by("id"))
    assert len(assessed) == 2 and all(a.reviewed_at is None for a in assessed)  # waiting for the TM's oversight
    meeting = Meeting.objects.get()
    assert meeting.closed_at is None and meeting.chair == tm
    awaiting = {case.child_id for case in children_awaiting_ra_meeting(user=tm)}
    on_agenda = set(AgendaItem.objects.filter(meeting=meeting).values_list("child_id", flat=True))
    assert awaiting and awaiting <= on_agenda
    assert {a.child_id for a in assessed} <= on_agenda


def test_the_demo_maps_people_and_places_around_the_children_and_pursues_them() -> None:
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # a second run maps nothing twice
    police, nurse, tm = _user("police"), _user("nurse"), _user("tm")
    # Three people of concern; the one restricted to the police is hidden from the nurse.
    assert people_of_concern_for_user(user=police).count() == 3
    assert people_of_concern_for_user(user=nurse).count() == 2
    places = {place.location_type: place for place in Location.objects.all()}
    assert {LocationType.HOTEL, LocationType.TAKEAWAY, LocationType.TAXI_FIRM} <= set(places)
    hotel, takeaway = places[LocationType.HOTEL], places[LocationType.TAKEAWAY]
    near = Decimal("0.01")  # about a kilometre
    assert hotel.latitude and takeaway.latitude and hotel.longitude and takeaway.longitude
    assert abs(hotel.latitude - takeaway.latitude) < near and abs(hotel.longitude - takeaway.longitude) < near
    assert Entity.objects.filter(kind=EntityKind.VEHICLE).count() == 1
    # A group and a location go to the Intelligence Sharing Meeting.
    assert {entry.entity.kind for entry in intelligence_pack(user=tm)} == {EntityKind.GROUP, EntityKind.LOCATION}
    # Two children are linked through the hotel and a person of concern.
    children = [entity.child for entity in Entity.objects.filter(kind=EntityKind.CHILD).select_related("child")]
    linked = {item.child for child in children if child for item in linked_children(user=tm, child=child)}
    assert len(linked) >= 2
    # One child went missing three times in 90 days: flagged in the daily review; another twice, not flagged.
    queue = daily_review_queue(user=tm)
    (often,) = queue.missing_often
    assert often.missing is not None and often.missing.episodes == 3
    assert MissingEpisode.objects.exclude(child=often.case.child).values("child").distinct().count() == 1
    (strategy,) = queue.strategy_due
    assert strategy.missing == often.missing
    # Pursuit: an investigation of a person and a child, a charge waiting for its outcome, a CAWN protecting a child.
    investigation = Investigation.objects.get()
    assert investigation.children.count() == 1 and investigation.perpetrators.count() == 1
    assert Prosecution.objects.get().outcome == ProsecutionOutcome.PENDING
    cawn = Disruption.objects.get()
    assert cawn.kind == DisruptionKind.CAWN and cawn.child is not None
    assert (
        not Link.objects.filter(restricted_to_agency__isnull=False).exclude(restricted_to_agency=police.agency).exists()
    )
    review = _sign_in(Client(), "tm").get("/cases/review/").content.decode()
    assert 'data-testid="missing-often"' in review and "Missing 3 times in the last 90 days" in review


def test_the_demo_has_last_months_report_built_once(media: Path) -> None:
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # a second run asks for and builds nothing more
    month = last_month()
    build = ReportBuild.objects.get()
    assert (build.team.name, build.year, build.month, build.version, build.requested_by) == (
        "Evolve",
        month.year,
        month.month,
        1,
        None,
    )
    report = MonthlyReport.objects.get(build=build)
    assert report.content["month_label"] == str(month) and len(report.content["measures"]) == 12
    stored = sorted(path.relative_to(media).as_posix() for path in media.rglob("*") if path.is_file())
    assert stored == sorted([report.csv_name, report.pdf_name])
    assert (media / report.pdf_name).read_bytes().startswith(b"%PDF-")
    # The demo's readers see it; a practitioner does not.
    for username in ("tm", "ds", "governance", "headofservice"):
        assert list(report_builds_for_user(user=_user(username))) == [build], username
    assert not report_builds_for_user(user=_user("socialworker")).exists()
