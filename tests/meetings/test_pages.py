"""The meeting pages: who may open and change what, refused saves that keep the text and change nothing, the closed
meeting offering only an amendment, the minutes for the team and one child's extract for a granted reader outside
it, and page costs that do not grow with the agenda."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evolve.accounts.models import Agency, User
from evolve.audit.models import AccessAction, AccessLogEntry
from evolve.cases.models import Case, DecisionKind
from evolve.cases.services import case_holder_set
from evolve.chronology.models import ChronologyEntry
from meetings.minutes import minutes_build
from meetings.models import AgendaItem, Attendance, Meeting
from meetings.services import attendance_add, item_record, meeting_close
from referrals.models import Referral
from risk.models import RiskAssessment
from tests.conftest import kept_text, signed_in

pytestmark = pytest.mark.django_db

SignIn = Callable[[User], Client]


def _url(name: str, *args: Any) -> str:
    return reverse(f"meetings:{name}", args=[str(a) for a in args])


def _closed(meeting: Meeting, by: User, police: Agency) -> Meeting:
    attendance_add(meeting=meeting, by=by, agency=police, name="DS on duty")
    for item in AgendaItem.objects.filter(meeting=meeting):
        item_record(item=item, by=by, based_on_version=item.version, discussion=f"Discussed child {item.child_id}.")
    return meeting_close(meeting=Meeting.objects.get(pk=meeting.pk), by=meeting.chair)


@pytest.fixture
def held(ra_case: Case, crew: dict[str, User], weekly: Callable[..., Meeting], police: Agency) -> Meeting:
    """A weekly meeting about one child, whose case is held by the case-holding social worker outside the team."""
    case_holder_set(case=ra_case, by=crew["tm"], based_on_version=ra_case.version, holder=crew["case_holder"])
    return weekly()


def test_team_members_see_the_meetings_and_others_are_turned_away(
    sign_in: SignIn, crew: dict[str, User], held: Meeting
) -> None:
    for who in ("tm", "ds", "practitioner", "nurse"):
        client = sign_in(crew[who])
        assert client.get(_url("meeting-list")).status_code == 200, who
        page = client.get(_url("meeting-detail", held.public_id))
        assert page.status_code == 200 and "Maisie Fenwick" in page.content.decode(), who
    for who in ("governance", "case_holder", "teacher", "di"):
        client = sign_in(crew[who])
        assert client.get(_url("meeting-list")).status_code == 403, who
        assert client.get(_url("meeting-detail", held.public_id)).status_code == 404, who
    elsewhere = sign_in(crew["other_team_member"])  # their own team's meetings, not this team's
    assert str(held.public_id) not in elsewhere.get(_url("meeting-list")).content.decode()
    assert elsewhere.get(_url("meeting-detail", held.public_id)).status_code == 404


def test_only_the_tm_and_ds_schedule_and_it_is_the_next_seats_turn(
    sign_in: SignIn, crew: dict[str, User], held: Meeting
) -> None:
    assert sign_in(crew["practitioner"]).get(_url("meeting-new")).status_code == 403
    page = sign_in(crew["ds"]).get(_url("meeting-new"))
    assert page.status_code == 200
    assert "detective sergeant's turn to chair" in page.content.decode()  # the first one was the team manager's
    tomorrow = timezone.localdate() + timedelta(days=8)
    response = sign_in(crew["ds"]).post(
        _url("meeting-new"),
        {"on_0": tomorrow.day, "on_1": tomorrow.month, "on_2": tomorrow.year, "at": "9.30", "chair": crew["ds"].pk},
    )
    assert response.status_code == 302
    assert Meeting.objects.order_by("-id").first().chair == crew["ds"]  # type: ignore[union-attr]


def test_a_bad_time_is_refused_with_a_message_and_schedules_nothing(sign_in: SignIn, crew: dict[str, User]) -> None:
    day = timezone.localdate() + timedelta(days=1)
    response = sign_in(crew["tm"]).post(
        _url("meeting-new"), {"on_0": day.day, "on_1": day.month, "on_2": day.year, "at": "25:99", "place": "Hub"}
    )
    assert response.status_code == 400
    assert "Enter the time like 10:00" in response.content.decode()
    assert 'value="Hub"' in response.content.decode()
    assert not Meeting.objects.exists()


def test_a_practitioner_reads_a_childs_part_but_cannot_record_it(
    sign_in: SignIn, crew: dict[str, User], held: Meeting
) -> None:
    item = AgendaItem.objects.get(meeting=held)
    client = sign_in(crew["practitioner"])
    page = client.get(_url("item-detail", held.public_id, item.public_id))
    assert page.status_code == 200 and "Record the discussion" not in page.content.decode()
    refused = client.post(_url("item-action", held.public_id, item.public_id, "record"), {"discussion": "Mine."})
    assert refused.status_code == 403
    item.refresh_from_db()
    assert item.discussion == ""


def test_a_level_without_rationale_keeps_the_text_and_changes_nothing(
    sign_in: SignIn, crew: dict[str, User], held: Meeting, ra_case: Case, assess: Callable[..., RiskAssessment]
) -> None:
    assessment = assess(ra_case.child, crew["practitioner"])
    item = AgendaItem.objects.get(meeting=held)
    response = sign_in(crew["tm"]).post(
        _url("item-action", held.public_id, item.public_id, "record"),
        {"discussion": "Two missing episodes this month.", "level": "high", "version": item.version},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Give the rationale for the agreed level" in body
    assert "Two missing episodes this month." in body
    item.refresh_from_db()
    assessment.refresh_from_db()
    assert (item.discussion, item.agreed_level, assessment.agreed_level) == ("", "", "")


def test_a_stale_save_is_refused_with_the_users_text_kept(
    sign_in: SignIn, crew: dict[str, User], held: Meeting
) -> None:
    item = AgendaItem.objects.get(meeting=held)
    item_record(item=item, by=crew["ds"], based_on_version=item.version, discussion="The DS's account.")
    response = sign_in(crew["tm"]).post(
        _url("item-action", held.public_id, item.public_id, "record"),
        {"discussion": "The TM's account.", "version": item.version},
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert "The TM&#x27;s account." in response.content.decode()
    item.refresh_from_db()
    assert item.discussion == "The DS's account."


def test_a_discussion_written_while_the_chair_closed_the_meeting_is_given_back(
    sign_in: SignIn, crew: dict[str, User], held: Meeting, police: Agency, settings: Any, tmp_path: Path
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path  # closing builds the minutes
    item = AgendaItem.objects.get(meeting=held)
    version = item.version
    _closed(held, crew["tm"], police)

    response = sign_in(crew["ds"]).post(
        _url("item-action", held.public_id, item.public_id, "record"),
        {"discussion": "She is now going missing from school at lunchtime.", "version": version},
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert "The meeting was closed while your page was open. Nothing was changed" in html
    assert "She is now going missing from school at lunchtime." in kept_text(html)
    item.refresh_from_db()
    assert item.discussion == f"Discussed child {item.child_id}."


def test_only_the_chair_closes_and_then_only_an_amendment_changes_it(
    sign_in: SignIn, crew: dict[str, User], held: Meeting, police: Agency, settings: Any, tmp_path: Path
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    item = AgendaItem.objects.get(meeting=held)
    item_record(item=item, by=crew["tm"], based_on_version=item.version, discussion="Plan agreed.")
    attendance_add(meeting=held, by=crew["tm"], agency=police, name="DS on duty")
    ds = sign_in(crew["ds"])
    held.refresh_from_db()
    close = {"version": held.version}
    assert ds.post(_url("meeting-action", held.public_id, "close"), close).status_code == 409  # not the chair
    held.refresh_from_db()
    assert not held.is_closed
    tm = sign_in(crew["tm"])
    assert tm.post(_url("meeting-action", held.public_id, "close"), close).status_code == 302
    held.refresh_from_db()
    assert held.is_closed
    refused = tm.post(
        _url("meeting-action", held.public_id, "attendance"), {"agency": police.pk, "name": "Late", "present": "yes"}
    )
    assert refused.status_code == 403
    assert not Attendance.objects.filter(name="Late").exists()
    refused = tm.post(
        _url("item-action", held.public_id, item.public_id, "record"), {"discussion": "Rewritten.", "version": 99}
    )
    assert refused.status_code == 409 and "Rewritten." in refused.content.decode()  # refused, the text given back
    item.refresh_from_db()
    assert item.discussion == "Plan agreed."
    amended = tm.post(_url("meeting-action", held.public_id, "amend"), {"text": "The venue was room 3.", "item": ""})
    assert amended.status_code == 302
    assert "The venue was room 3." in tm.get(_url("meeting-detail", held.public_id)).content.decode()


def test_a_chair_closing_from_a_page_older_than_a_discussion_is_refused_and_shown_it(
    sign_in: SignIn, crew: dict[str, User], held: Meeting, police: Agency
) -> None:
    """The chair opens the meeting to close it; meanwhile the detective sergeant records the discussion again. The
    close is refused, nothing reaches the chronology, and the page shows what the record now says."""
    item = AgendaItem.objects.get(meeting=held)
    item_record(item=item, by=crew["tm"], based_on_version=item.version, discussion="Plan agreed.")
    attendance_add(meeting=held, by=crew["tm"], agency=police, name="DS on duty")
    tm = sign_in(crew["tm"])
    page = tm.get(_url("meeting-detail", held.public_id)).content.decode()
    seen = int(page.split('name="version" value="')[1].split('"')[0])
    item.refresh_from_db()
    ds = signed_in(Client(), crew["ds"])  # a browser of their own: the chair's page stays open
    changed = ds.post(
        _url("item-action", held.public_id, item.public_id, "record"),
        {"discussion": "Plan agreed; the school will also refer the older brother.", "version": item.version},
    )
    assert changed.status_code == 302
    refused = tm.post(_url("meeting-action", held.public_id, "close"), {"version": seen})
    assert refused.status_code == 409
    assert "The meeting changed while your page was open" in refused.content.decode()
    held.refresh_from_db()
    assert not held.is_closed
    assert not ChronologyEntry.objects.filter(kind__startswith="meeting").exists()
    # From the page as it is now, the close goes through.
    again = int(refused.content.decode().split('name="version" value="')[1].split('"')[0])
    assert tm.post(_url("meeting-action", held.public_id, "close"), {"version": again}).status_code == 302
    held.refresh_from_db()
    assert held.is_closed


def test_the_full_minutes_are_for_the_team_and_an_extract_for_the_granted_case_holder(
    sign_in: SignIn,
    crew: dict[str, User],
    held: Meeting,
    police: Agency,
    settings: Any,
    tmp_path: Path,
    at_stage: Callable[[str], Referral],
    decide: Callable[[Referral, str], Case],
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    other = decide(at_stage("co_allocated"), DecisionKind.RISK_ASSESSMENT_MEETING)
    other.child.first_name, other.child.last_name = "Orla", "Quinn"
    other.child.save()
    item = AgendaItem.objects.get(meeting=held)
    AgendaItem.objects.create(meeting=held, child=other.child, team=held.team, source="added", order=2)
    assert sign_in(crew["tm"]).get(_url("minutes", held.public_id)).status_code == 404  # not closed, no minutes
    _closed(held, crew["tm"], police)
    minutes_build(meeting_id=held.pk)

    team = sign_in(crew["nurse"]).get(_url("minutes", held.public_id))
    assert team.status_code == 200 and team["Content-Type"] == "application/pdf"
    assert AccessLogEntry.objects.filter(user=crew["nurse"], action=AccessAction.EXPORTED, what="minutes").exists()

    holder = sign_in(crew["case_holder"])
    assert holder.get(_url("minutes", held.public_id)).status_code == 404
    extract = holder.get(_url("item-extract", held.public_id, item.public_id))
    assert extract.status_code == 200 and extract["Content-Type"] == "application/pdf"
    pdf = tmp_path / "extract.pdf"
    pdf.write_bytes(extract.content)
    text = subprocess.run(["/usr/bin/pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Maisie Fenwick" in text and "Orla Quinn" not in text
    other_item = AgendaItem.objects.get(meeting=held, child=other.child)
    assert holder.get(_url("item-extract", held.public_id, other_item.public_id)).status_code == 404
    assert sign_in(crew["governance"]).get(_url("item-extract", held.public_id, item.public_id)).status_code == 404


def test_the_meeting_page_costs_the_same_for_one_child_or_four(
    sign_in: SignIn,
    crew: dict[str, User],
    held: Meeting,
    at_stage: Callable[[str], Referral],
    decide: Callable[[Referral, str], Case],
) -> None:
    client = sign_in(crew["tm"])

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url("meeting-detail", held.public_id)).status_code == 200
        return len(queries)

    one = cost()
    for _ in range(3):
        case = decide(at_stage("co_allocated"), DecisionKind.RISK_ASSESSMENT_MEETING)
        AgendaItem.objects.create(meeting=held, child=case.child, team=held.team, source="added", order=9)
    assert cost() == one


def test_a_risk_review_past_its_date_shows_on_the_daily_review_and_caseloads(
    sign_in: SignIn,
    crew: dict[str, User],
    held: Meeting,
    ra_case: Case,
    assess: Callable[..., RiskAssessment],
    police: Agency,
) -> None:
    assess(ra_case.child, crew["practitioner"])
    item = AgendaItem.objects.get(meeting=held)
    item_record(
        item=item, by=crew["tm"], based_on_version=item.version, discussion="Agreed.", level="medium", rationale="R."
    )
    queue = sign_in(crew["tm"]).get(reverse("cases:review-queue")).content.decode()
    assert 'data-testid="reviews-overdue"' not in queue  # the review is six weeks away
    Case.objects.filter(pk=ra_case.pk).update(next_review_on=timezone.localdate() - timedelta(days=1))
    queue = sign_in(crew["ds"]).get(reverse("cases:review-queue")).content.decode()
    assert 'data-testid="reviews-overdue"' in queue and "Maisie Fenwick" in queue
    assert sign_in(crew["practitioner"]).get(reverse("cases:review-queue")).status_code == 200


def test_an_escalation_outcome_recorded_meanwhile_gives_the_managers_text_back(
    sign_in: SignIn, crew: dict[str, User], held: Meeting, police: Agency
) -> None:
    """The escalated-to agency's service manager is outside the team: refused as stale (409), not as a stranger."""
    from meetings.services import escalation_outcome_record

    item = AgendaItem.objects.get(meeting=held)
    item = item_record(
        item=item,
        by=crew["tm"],
        based_on_version=item.version,
        discussion="Police and children's services disagree.",
        disagreement="Police want a strategy discussion now.",
        escalate_to=police,
    )
    escalation_outcome_record(item=item, by=crew["di"], outcome="Held a strategy discussion.")
    url = _url("item-action", held.public_id, item.public_id, "outcome")

    response = sign_in(crew["di"]).post(url, {"outcome": "Agreed with the DS: strategy discussion tomorrow."})

    html = response.content.decode()
    assert response.status_code == 409
    assert "The escalation&#x27;s outcome was recorded while your page was open" in html
    assert "Agreed with the DS: strategy discussion tomorrow." in kept_text(html)
    item.refresh_from_db()
    assert item.escalation_outcome == "Held a strategy discussion."
    assert sign_in(crew["csm"]).post(url, {"outcome": "Not my agency's."}).status_code in (403, 404)
