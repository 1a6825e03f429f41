"""The referral pages: the MARF drafted as the referrer goes, uploads, queues and steps through the browser forms."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evolve.accounts.models import User
from referrals import selectors as referral_selectors
from referrals.models import Referral, ReferralAttachment
from referrals.states import State
from risk.selectors import catalogue_current, catalogue_indicators
from tests.conftest import kept_text

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def _marf(client: Client) -> tuple[Referral, str]:
    response = client.post(reverse("referrals:referral-start"))
    referral = Referral.objects.latest("created_at")
    assert response["Location"] == reverse("referrals:referral-edit", args=[referral.public_id])
    return referral, response["Location"]


FORM = {
    "child_first_name": "Poppy",
    "child_last_name": "Lomax",
    "child_date_of_birth_0": "3",
    "child_date_of_birth_1": "4",
    "child_date_of_birth_2": "2012",
    "concern": "She told a teacher an older man buys her vodka.",
    "urgency": "routine",
    "consent": "given",
}


def test_the_marf_saves_a_draft_and_is_sent_with_the_indicators_known(
    sign_in: Callable[[User], Client], people: dict[str, User]
) -> None:
    client = sign_in(people["teacher"])
    referral, url = _marf(client)
    page = client.get(url).content.decode()
    first_indicator = catalogue_indicators(version=catalogue_current())[0].indicators[0]
    assert first_indicator.text in page
    saved = client.post(url, {**FORM, "concern": "Half written", "version": "1", "action": "save"})
    assert saved.status_code == 302
    referral.refresh_from_db()
    assert (referral.state, referral.concern) == (State.DRAFT, "Half written")
    sent = client.post(
        url, {**FORM, "indicators": [str(first_indicator.pk)], "version": str(referral.version), "action": "send"}
    )
    assert sent.status_code == 302
    referral.refresh_from_db()
    assert referral.state == State.SUBMITTED
    assert list(referral.indicators.all()) == [first_indicator]


def test_a_disguised_executable_is_refused_and_the_draft_keeps_everything_else(
    sign_in: Callable[[User], Client], people: dict[str, User]
) -> None:
    client = sign_in(people["teacher"])
    referral, url = _marf(client)
    upload = SimpleUploadedFile("notes.pdf", EXE, content_type="application/pdf")
    response = client.post(url, {**FORM, "version": "1", "action": "send", "attachment": upload})
    page = response.content.decode()
    assert response.status_code == 400
    assert "The selected file must be a PDF, JPG, PNG or Word document" in page
    assert 'value="Poppy"' in page, "what was typed is still on the page"
    referral.refresh_from_db()
    assert (referral.child_first_name, referral.state) == ("Poppy", State.DRAFT), "and saved in the draft"
    assert not ReferralAttachment.objects.exists()


def test_a_file_over_the_limit_is_refused(sign_in: Callable[[User], Client], people: dict[str, User], settings) -> None:
    settings.UPLOAD_MAX_BYTES = 20
    client = sign_in(people["teacher"])
    _, url = _marf(client)
    upload = SimpleUploadedFile("notes.pdf", PDF, content_type="application/pdf")
    response = client.post(url, {**FORM, "version": "1", "action": "save", "attachment": upload})
    assert response.status_code == 400
    assert "must be smaller than" in response.content.decode()
    assert not ReferralAttachment.objects.exists()


def test_a_real_pdf_is_kept_privately_and_served_only_to_who_may_see_the_referral(
    sign_in: Callable[[User], Client], people: dict[str, User], settings, tmp_path
) -> None:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    client = sign_in(people["teacher"])
    referral, url = _marf(client)
    upload = SimpleUploadedFile("worry.pdf", PDF, content_type="application/pdf")
    assert client.post(url, {**FORM, "version": "1", "action": "save", "attachment": upload}).status_code == 302
    attachment = ReferralAttachment.objects.get()
    assert "worry" not in attachment.storage_name
    download = reverse("referrals:referral-attachment", args=[referral.public_id, attachment.public_id])
    response = client.get(download)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert sign_in(people["other_teacher"]).get(download).status_code == 404


@pytest.mark.parametrize(
    ("stage", "queue", "who"),
    [("submitted", "spoc", "spoc"), ("logged", "triage", "triage"), ("with_mash", "mash", "mash")],
)
def test_queues_cost_the_same_for_2_or_12_referrals(
    sign_in: Callable[[User], Client],
    people: dict[str, User],
    at_stage: Callable[[str], Referral],
    stage: str,
    queue: str,
    who: str,
) -> None:
    client = sign_in(people[who])
    url = reverse("referrals:referral-queue", args=[queue])

    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    for _ in range(2):
        at_stage(stage)
    few = count()
    for _ in range(10):
        at_stage(stage)
    assert count() == few


def test_a_long_queue_says_how_many_wait_and_pages_through_them_all(
    sign_in: Callable[[User], Client],
    people: dict[str, User],
    at_stage: Callable[[str], Referral],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(referral_selectors, "QUEUE_PAGE_SIZE", 2)
    sent = [at_stage("submitted") for _ in range(3)]
    client = sign_in(people["spoc"])
    url = reverse("referrals:referral-queue", args=["spoc"])

    first = client.get(url, {"sort": "newest"}).content.decode()
    second = client.get(url, {"sort": "newest", "page": "2"}).content.decode()

    assert "3 referrals" in first and "Showing 1 to 2" in first
    assert 'href="?urgency=&amp;sort=newest&amp;page=2"' in first, "the next page keeps the order chosen"
    newest_first = [str(referral.public_id) for referral in reversed(sent)]
    assert [public_id in first for public_id in newest_first] == [True, True, False]
    assert [public_id in second for public_id in newest_first] == [False, False, True]


def test_a_queue_is_only_for_its_own_roles(sign_in: Callable[[User], Client], people: dict[str, User]) -> None:
    assert sign_in(people["teacher"]).get(reverse("referrals:referral-queue", args=["spoc"])).status_code == 403
    assert sign_in(people["spoc"]).get(reverse("referrals:referral-queue", args=["mash"])).status_code == 403
    assert sign_in(people["spoc"]).get(reverse("referrals:referral-queue", args=["nonsense"])).status_code == 404


def test_urgent_referrals_come_first_then_the_oldest(
    sign_in: Callable[[User], Client], people: dict[str, User], at_stage: Callable[[str], Referral]
) -> None:
    oldest, urgent = at_stage("submitted"), at_stage("submitted")
    Referral.objects.filter(pk=urgent.pk).update(urgency="urgent")
    page = sign_in(people["spoc"]).get(reverse("referrals:referral-queue", args=["spoc"])).content.decode()
    assert page.index(str(urgent.public_id)) < page.index(str(oldest.public_id))


def test_the_spoc_worker_logs_a_contact_against_the_child_already_known(
    sign_in: Callable[[User], Client], people: dict[str, User], at_stage: Callable[[str], Referral]
) -> None:
    from tests.factories import ChildFactory

    known = ChildFactory.create(first_name="Maisie", last_name="Fenwick", date_of_birth=FORM_DOB)
    referral = at_stage("submitted")
    client = sign_in(people["spoc"])
    page = client.get(reverse("referrals:referral-detail", args=[referral.public_id])).content.decode()
    assert str(known.public_id) in page, "the record already held is offered"
    response = client.post(
        reverse("referrals:referral-action", args=[referral.public_id, "log"]),
        {"child": str(known.public_id), "notes": "", "version": str(referral.version)},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.state, referral.child) == (State.LOGGED, known)


def test_a_stale_page_is_refused_and_keeps_the_text(
    sign_in: Callable[[User], Client], people: dict[str, User], at_stage: Callable[[str], Referral]
) -> None:
    referral = at_stage("logged")
    # Two sessions (two people, or one person in two windows) open the same referral at the same version.
    first, second = sign_in(people["triage"]), sign_in(people["triage"])
    url = reverse("referrals:referral-action", args=[referral.public_id, "screen"])
    assert first.post(url, {"notes": "First look.", "version": str(referral.version)}).status_code == 302
    response = second.post(url, {"notes": "My own notes", "version": str(referral.version)})
    page = response.content.decode()
    assert response.status_code == 409
    assert "Nothing was changed" in page and "My own notes" in page
    referral.refresh_from_db()
    assert referral.screening_notes == "First look."


def test_a_role_that_may_not_take_a_step_is_told_and_nothing_changes(
    sign_in: Callable[[User], Client], people: dict[str, User], at_stage: Callable[[str], Referral]
) -> None:
    referral = at_stage("screened")
    client = sign_in(people["triage"])  # the worker, not the manager
    response = client.post(
        reverse("referrals:referral-action", args=[referral.public_id, "send-to-mash"]),
        {"threshold": "child_protection", "rag": "red", "rationale": "Mine", "version": str(referral.version)},
    )
    assert response.status_code == 409
    assert "That step is not available to you on this referral now" in response.content.decode()
    referral.refresh_from_db()
    assert referral.state == State.SCREENED


FORM_DOB = __import__("datetime").date(2011, 6, 2)


def test_a_clock_is_paused_with_a_reason_and_restarted(
    sign_in: Callable[[User], Client], people: dict[str, User], at_stage: Callable[[str], Referral]
) -> None:
    from evolve.clock.models import Deadline

    referral = at_stage("with_mash")
    deadline = Deadline.objects.get(subject_type="referral", subject_id=referral.pk)
    client = sign_in(people["mash"])
    base = f"/referrals/{referral.public_id}/clocks/{deadline.pk}"
    refused = client.post(f"{base}/pause/", {"reason": " "})
    assert refused.status_code == 409 and "Say why the clock is paused" in refused.content.decode()
    assert client.post(f"{base}/pause/", {"reason": "Child in hospital"}).status_code == 302
    page = client.get(reverse("referrals:referral-detail", args=[referral.public_id])).content.decode()
    assert "Paused: Child in hospital" in page
    assert client.post(f"{base}/resume/").status_code == 302
    deadline.refresh_from_db()
    assert deadline.paused_at is None
    events = list(referral.events.values_list("transition", flat=True))
    assert events[-2:] == ["clock_pause", "clock_resume"]
    assert sign_in(people["teacher"]).post(f"{base}/pause/", {"reason": "Mine"}).status_code == 409


def test_a_missed_clock_gets_its_reason_recorded(
    sign_in: Callable[[User], Client], people: dict[str, User], at_stage: Callable[[str], Referral]
) -> None:
    from datetime import timedelta

    import time_machine

    from evolve.clock.models import Deadline

    referral = at_stage("with_mash")
    deadline = Deadline.objects.get(subject_type="referral", subject_id=referral.pk)
    with time_machine.travel(deadline.due_at + timedelta(hours=2), tick=False):
        client = sign_in(people["mash"])  # days later: a fresh session
        page = client.get(reverse("referrals:referral-detail", args=[referral.public_id])).content.decode()
        assert "Overdue by 2 hours" in page and "Record why it was missed" in page
        url = f"/referrals/{referral.public_id}/clocks/{deadline.pk}/breach/"
        assert client.post(url, {"reason": "Police checks took longer over the weekend"}).status_code == 302
    deadline.refresh_from_db()
    assert deadline.breach_reason == "Police checks took longer over the weekend"
    assert referral.events.filter(transition="clock_breach").exists()


def test_two_people_recording_why_a_clock_was_missed_the_second_is_refused_and_keeps_their_text(
    sign_in: Callable[[User], Client], people: dict[str, User], at_stage: Callable[[str], Referral]
) -> None:
    from datetime import timedelta

    import time_machine

    from evolve.clock.models import Deadline

    referral = at_stage("with_mash")
    deadline = Deadline.objects.get(subject_type="referral", subject_id=referral.pk)
    url = f"/referrals/{referral.public_id}/clocks/{deadline.pk}/breach/"
    with time_machine.travel(deadline.due_at + timedelta(hours=2), tick=False):
        first, second = sign_in(people["mash"]), sign_in(people["mash_police"])
        detail = reverse("referrals:referral-detail", args=[referral.public_id])
        assert "Record why it was missed" in second.get(detail).content.decode()  # both pages offer the form
        assert first.post(url, {"reason": "Police checks took longer over the weekend"}).status_code == 302
        refused = second.post(url, {"reason": "Awaiting the health check"})
    page = refused.content.decode()
    assert refused.status_code == 409
    assert "recorded why it was missed while you were writing" in page
    assert "Police checks took longer over the weekend" in page and "Awaiting the health check" in kept_text(page)
    deadline.refresh_from_db()
    assert deadline.breach_reason == "Police checks took longer over the weekend"
    assert referral.events.filter(transition="clock_breach").count() == 1


def test_a_case_holder_refers_a_child_they_hold_straight_to_evolve(
    sign_in: Callable[[User], Client], people: dict[str, User], team
) -> None:
    from evolve.access.grants import child_access_grant
    from evolve.clock.models import Deadline
    from tests.factories import ChildFactory

    child = ChildFactory.create(first_name="Isla", last_name="Carver")
    child_access_grant(child=child, user=people["case_holder"])
    client = sign_in(people["case_holder"])
    start = client.post(reverse("referrals:referral-start-cse"), {"child": str(child.public_id)})
    referral = Referral.objects.get(form="cse")
    assert start["Location"] == reverse("referrals:referral-edit", args=[referral.public_id])
    sent = client.post(
        start["Location"],
        {
            "concern": "Missing three times this month.",
            "urgency": "urgent",
            "consent": "given",
            "version": "1",
            "action": "send",
        },
    )
    assert sent.status_code == 302
    referral.refresh_from_db()
    assert (referral.state, referral.child) == (State.CO_ALLOCATED, child)
    assert Deadline.objects.filter(subject_type="referral", subject_id=referral.pk, kind="notification").exists()
    assert sign_in(people["teacher"]).get(reverse("referrals:referral-start-cse")).status_code == 403


def test_a_clock_paused_by_someone_else_meanwhile_gives_the_reason_back(
    sign_in: Callable[[User], Client], people: dict[str, User], at_stage: Callable[[str], Referral]
) -> None:
    from evolve.clock.models import Deadline
    from referrals.services import referral_clock_pause

    referral = at_stage("with_mash")
    clock = Deadline.objects.get(subject_type="referral", subject_id=referral.pk)
    referral_clock_pause(referral=referral, by=people["mash"], deadline_id=clock.pk, reason="Child in hospital.")

    response = sign_in(people["mash"]).post(
        reverse("referrals:referral-clock", args=[referral.public_id, clock.pk, "pause"]),
        {"reason": "Family asked to wait until Monday."},
    )

    page = response.content.decode()
    assert response.status_code == 409 and "The clock is already paused" in page
    assert "Family asked to wait until Monday." in kept_text(page)
    clock.refresh_from_db()
    assert clock.pause_reason == "Child in hospital."
