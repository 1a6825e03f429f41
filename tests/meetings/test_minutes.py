"""The minutes of a closed meeting: one PDF per version, stored privately, built once however often asked, kept
when an amendment makes the next; the whole meeting for the team and one child's extract for a reader outside it;
built by a Celery task when the close commits, and swept up when that never happened."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from evolve.accounts.models import Agency, User
from evolve.cases.models import Case, DecisionKind, RiskLevel
from evolve.people.models import Child
from evolve.uploads.storage import private_storage
from meetings.minutes import minutes_build, render_pdf
from meetings.models import AgendaItem, Meeting, Minutes
from meetings.selectors import meetings_needing_minutes, minutes_content
from meetings.services import (
    action_add,
    amendment_add,
    attendance_add,
    item_record,
    meeting_close,
)
from referrals.models import Referral
from risk.models import RiskAssessment

pytestmark = pytest.mark.django_db

ACTION = "Ask the school for the attendance record"
DISCUSSION_A = "Seen getting into a blue car outside the station."
DISCUSSION_B = "Settled at home; no new concerns this week."


def _text(pdf: bytes, tmp_path: Path, name: str = "check.pdf") -> str:
    """The PDF's text as pdftotext reads it, with its whitespace folded (table cells wrap)."""
    path = tmp_path / name
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout  # noqa: S607
    return " ".join(out.split())


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@dataclass
class Held:
    meeting: Meeting
    item_a: AgendaItem
    item_b: AgendaItem


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "private"
    root.mkdir()
    settings.PRIVATE_MEDIA_ROOT = root
    return root


@pytest.fixture
def held(
    crew: dict[str, User],
    at_stage: Callable[[str], Referral],
    decide: Callable[[Referral, str], Case],
    assess: Callable[..., RiskAssessment],
    weekly: Callable[..., Meeting],
    police: Agency,
) -> Callable[[], Held]:
    """A weekly meeting about two children, Amelia (agreed high, with an action) and Bethany, not yet closed."""

    def hold() -> Held:
        tm = crew["tm"]
        cases = []
        for first, last in (("Amelia", "Ashworth"), ("Bethany", "Brooks")):
            case = decide(at_stage("co_allocated"), DecisionKind.RISK_ASSESSMENT_MEETING)
            Child.objects.filter(pk=case.child_id).update(first_name=first, last_name=last)
            cases.append(case)
        assess(cases[0].child, crew["practitioner"], present={"missing-repeatedly": "current"})
        meeting = weekly()
        attendance_add(meeting=meeting, by=tm, agency=police, name="DS Example", role="Detective sergeant")
        item_a = item_record(
            item=AgendaItem.objects.get(meeting=meeting, child_id=cases[0].child_id),
            by=tm,
            based_on_version=None,
            discussion=DISCUSSION_A,
            level=RiskLevel.HIGH,
            rationale="Repeated missing episodes and an older male.",
        )
        action_add(
            item=item_a,
            by=tm,
            description=ACTION,
            owner=crew["nurse"],
            due_on=timezone.localtime(meeting.starts_at).date() + timedelta(days=7),
        )
        item_b = item_record(
            item=AgendaItem.objects.get(meeting=meeting, child_id=cases[1].child_id),
            by=tm,
            based_on_version=None,
            discussion=DISCUSSION_B,
        )
        return Held(meeting=meeting, item_a=item_a, item_b=item_b)

    return hold


@pytest.fixture
def closed(held: Callable[[], Held], crew: dict[str, User]) -> Held:
    record = held()
    record.meeting = meeting_close(meeting=record.meeting, by=crew["tm"])
    return record


def test_minutes_are_built_once_as_a_stored_pdf(closed: Held, media: Path) -> None:
    minutes = minutes_build(meeting_id=closed.meeting.pk)

    assert minutes is not None and minutes.number == 1
    with private_storage().open(minutes.storage_name) as stored:
        pdf = stored.read()
    assert pdf.startswith(b"%PDF")
    assert (minutes.size, minutes.sha256) == (len(pdf), hashlib.sha256(pdf).hexdigest())
    assert [path.resolve() for path in _files(media)] == [Path(private_storage().path(minutes.storage_name)).resolve()]

    again = minutes_build(meeting_id=closed.meeting.pk)

    assert again == minutes
    assert Minutes.objects.filter(meeting=closed.meeting).count() == 1
    assert len(_files(media)) == 1


def test_an_open_meeting_has_no_minutes(held: Callable[[], Held], media: Path) -> None:
    record = held()

    assert minutes_build(meeting_id=record.meeting.pk) is None
    assert not Minutes.objects.exists()
    assert _files(media) == []


def test_an_amendment_makes_version_two_and_version_one_is_kept(
    closed: Held, media: Path, crew: dict[str, User], tmp_path: Path
) -> None:
    first = minutes_build(meeting_id=closed.meeting.pk)
    assert first is not None
    amendment_add(meeting=closed.meeting, by=crew["ds"], text="The nurse will go with the social worker.")

    second = minutes_build(meeting_id=closed.meeting.pk)

    assert second is not None and second.number == 2
    assert list(Minutes.objects.filter(meeting=closed.meeting).values_list("number", flat=True)) == [2, 1]
    storage = private_storage()
    assert storage.exists(first.storage_name) and storage.exists(second.storage_name)
    assert first.storage_name != second.storage_name
    with storage.open(first.storage_name) as old:
        old_pdf = old.read()
    assert hashlib.sha256(old_pdf).hexdigest() == first.sha256
    with storage.open(second.storage_name) as new:
        new_text = _text(new.read(), tmp_path, "v2.pdf")
    assert "The nurse will go with the social worker." in new_text
    assert "The nurse will go with the social worker." not in _text(old_pdf, tmp_path, "v1.pdf")


def test_the_minutes_say_who_was_discussed_the_agreed_level_and_the_actions(closed: Held, tmp_path: Path) -> None:
    text = _text(render_pdf(page=minutes_content(meeting_id=closed.meeting.pk)), tmp_path)

    assert "Amelia Ashworth" in text and "Bethany Brooks" in text
    assert "Agreed risk level: High" in text
    assert ACTION in text
    assert DISCUSSION_A in text and DISCUSSION_B in text
    assert "Police Public Protection Unit" in text  # attendance by agency


def test_one_childs_extract_says_nothing_about_the_other_child(closed: Held, tmp_path: Path) -> None:
    page = minutes_content(meeting_id=closed.meeting.pk)
    extract = next(item for item in page.items if item.pk == closed.item_a.pk)

    text = _text(render_pdf(page=page, extract=extract), tmp_path)

    assert "Amelia Ashworth" in text and ACTION in text and "High" in text
    assert "Bethany" not in text and "Brooks" not in text
    assert DISCUSSION_B not in text


def test_an_amendment_about_another_child_is_left_out_of_an_extract(
    closed: Held, crew: dict[str, User], tmp_path: Path
) -> None:
    amendment_add(meeting=closed.meeting, by=crew["tm"], text="Bethany's school is Valley College.", item=closed.item_b)
    page = minutes_content(meeting_id=closed.meeting.pk)
    extract = next(item for item in page.items if item.pk == closed.item_a.pk)

    text = _text(render_pdf(page=page, extract=extract), tmp_path)

    assert "Valley College" not in text and "Bethany" not in text


def test_a_failure_while_rendering_leaves_no_minutes_and_a_retry_builds_them(
    closed: Held, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> bytes:
        raise RuntimeError("WeasyPrint fell over")

    monkeypatch.setattr("meetings.minutes.render_pdf", broken)
    with pytest.raises(RuntimeError):
        minutes_build(meeting_id=closed.meeting.pk)

    assert not Minutes.objects.exists()
    assert _files(media) == []
    assert closed.meeting.pk in _needing_after_a_while(closed.meeting)

    monkeypatch.undo()
    minutes = minutes_build(meeting_id=closed.meeting.pk)

    assert minutes is not None and minutes.number == 1
    assert Minutes.objects.count() == 1
    assert private_storage().exists(minutes.storage_name)
    assert closed.meeting.pk not in meetings_needing_minutes()


def test_closing_asks_the_task_for_the_minutes_when_the_close_commits(
    held: Callable[[], Held],
    crew: dict[str, User],
    media: Path,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    record = held()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        meeting_close(meeting=record.meeting, by=crew["tm"])

    assert callbacks
    minutes = Minutes.objects.get(meeting=record.meeting)
    assert minutes.number == 1
    assert private_storage().exists(minutes.storage_name)
    assert Meeting.objects.get(pk=record.meeting.pk).minutes_failed_at is None


def test_no_minutes_are_built_before_the_close_commits(
    held: Callable[[], Held], crew: dict[str, User], media: Path, eager_celery: None
) -> None:
    record = held()

    meeting_close(meeting=record.meeting, by=crew["tm"])  # the test's transaction never commits

    assert not Minutes.objects.exists()


def _needing_after_a_while(meeting: Meeting) -> list[int]:
    Meeting.objects.filter(pk=meeting.pk).update(closed_at=timezone.now() - timedelta(minutes=3))
    return meetings_needing_minutes()


def test_the_sweep_finds_a_closed_meeting_whose_minutes_were_never_built(
    held: Callable[[], Held], closed: Held, crew: dict[str, User], media: Path
) -> None:
    still_open = held()

    assert meetings_needing_minutes() == []  # closed just now: the task it asked for may still be running

    assert _needing_after_a_while(closed.meeting) == [closed.meeting.pk]
    assert still_open.meeting.pk not in meetings_needing_minutes()

    minutes_build(meeting_id=closed.meeting.pk)
    assert meetings_needing_minutes() == []

    amendment_add(meeting=closed.meeting, by=crew["tm"], text="Corrected the date of the next review.")
    assert meetings_needing_minutes() == [closed.meeting.pk]
