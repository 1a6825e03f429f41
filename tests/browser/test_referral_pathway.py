"""The referral pathway end to end, each person in a browser of their own: a teacher sends a Multi-Agency Referral
Form; the SPOC worker logs it against the child's existing record; triage screens it; the triage manager rates it
and sends it to the MASH; a police MASH worker records the police check; another MASH worker rates it again and
co-allocates it to Evolve; the Evolve team manager and detective sergeant are told (in the app and by email) and the
team manager opens the referral and sees every step in its timeline. Every page on the way is scanned with axe-core.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from evolve.accounts.models import User
from evolve.notifications.models import Notification
from evolve.people.models import Child
from referrals.models import Referral
from referrals.states import State
from risk.models import Indicator
from tests.browser.conftest import sign_in
from tests.factories import ChildFactory

CONCERN = "Seen getting into cars with older men after school; has a new phone and clothes she cannot explain."
UUID = r"[0-9a-f-]{36}"
CO_ALLOCATED_SUBJECT = "New referral co-allocated to Evolve"


def action_form(page: Page, name: str) -> Locator:
    """One step's form on a referral's page (the pages hold a form per step the user may take)."""
    return page.locator(f"form[action$='/{name}/']")


def open_from_queue(page: Page, queue: str, child_name: str) -> None:
    """From the list of referrals, open a queue and the one referral waiting in it."""
    page.goto("/referrals/")
    page.get_by_role("link", name=queue, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(queue)
    table = page.get_by_test_id("queue")
    expect(table.locator("caption")).to_contain_text("1 referral")
    expect(table.get_by_role("link")).to_have_text([child_name])


def state_tag(page: Page) -> Locator:
    """The referral's status, under its heading (the navigation has a tag of its own for unread notifications)."""
    return page.locator("main .govuk-tag").first


def expect_saved(page: Page, state: State) -> None:
    expect(page).to_have_url(re.compile(rf"/referrals/{UUID}/$"))
    expect(page.get_by_role("alert")).to_contain_text("Saved")
    expect(state_tag(page)).to_have_text(state.label)


@pytest.mark.browser
def test_a_school_referral_reaches_evolve_through_spoc_triage_and_mash(
    page: Page,
    page_for: Callable[[User], Page],
    front_door: dict[str, User],
    catalogue: list[Indicator],
    eager_email: list[Any],
    assert_accessible: Callable[[Page, str], None],
) -> None:
    people = front_door
    known = ChildFactory.create(
        first_name="Maisie", last_name="Fenwick", date_of_birth=date(2011, 6, 2), created_by=people["spoc"]
    )
    team = people["tm"].team
    assert team is not None

    # The teacher ---------------------------------------------------------------------------------------------------
    sign_in(page, people["teacher"])
    page.get_by_role("link", name="Referrals", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals")
    expect(page.get_by_text("You have not made any referrals.")).to_be_visible()
    assert_accessible(page, "the teacher's list of referrals")
    page.get_by_role("link", name="Make a referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a referral about a child")
    assert_accessible(page, "the start page of the MARF")
    page.get_by_role("button", name="Start now").click()
    expect(page).to_have_url(re.compile(rf"/referrals/{UUID}/edit/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell us about the child and your concern")
    expect(page.get_by_role("checkbox")).to_have_count(len(catalogue))
    assert_accessible(page, "the MARF")

    # Everything but the concern, then send: refused, with an error summary that takes them to the concern.
    page.get_by_label("First name").fill("Maisie")
    page.get_by_label("Last name").fill("Fenwick")
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("6")
    page.get_by_label("Year").fill("2011")
    page.get_by_label(catalogue[2].text).check()
    page.get_by_label("Not urgent", exact=True).check()
    page.get_by_label("Sought and given").check()
    page.get_by_role("button", name="Send referral").click()
    expect(page).to_have_title("Multi-Agency Referral Form (error) - Evolve")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Describe your concern about the child"])
    expect(page.locator("#id_concern-error")).to_have_text("Error: Describe your concern about the child")
    expect(page.get_by_label("First name")).to_have_value("Maisie")  # what was typed is kept...
    expect(page.get_by_label(catalogue[2].text)).to_be_checked()
    assert_accessible(page, "the MARF after a refused send")
    draft = Referral.objects.get()
    assert (draft.state, draft.child_first_name) == (State.DRAFT, "Maisie"), "...and saved in the draft"

    summary.get_by_role("link", name="Describe your concern about the child").click()
    expect(page.locator("#id_concern")).to_be_focused()
    page.locator("#id_concern").fill(CONCERN)
    page.get_by_role("button", name="Send referral").click()
    expect(page).to_have_url(re.compile(rf"/referrals/{draft.public_id}/$"))
    expect(page.get_by_role("alert")).to_contain_text("Referral sent")
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral about Maisie Fenwick")
    expect(state_tag(page)).to_have_text("Received by SPOC")
    assert_accessible(page, "the referral page once sent, as the teacher sees it")
    referral = Referral.objects.get()
    assert referral.state == State.SUBMITTED
    assert (referral.urgency, referral.consent) == (Referral.Urgency.ROUTINE, Referral.Consent.GIVEN)
    assert list(referral.indicators.all()) == [catalogue[2]]
    assert referral.referrer_agency is not None and referral.referrer_agency.kind == "education"
    teacher_page = page

    # SPOC: the contact is logged against the record already held for the child --------------------------------------
    page = page_for(people["spoc"])
    open_from_queue(page, "SPOC queue", "Maisie Fenwick")
    expect(page.get_by_test_id("queue")).to_contain_text("Hilltop")
    assert_accessible(page, "the SPOC queue")
    page.get_by_role("link", name="Maisie Fenwick").click()
    log = action_form(page, "log")
    expect(log.get_by_role("radio")).to_have_count(2)
    existing = log.get_by_role("radio", name=re.compile(r"^Maisie Fenwick, born "))
    expect(log.get_by_role("radio", name="None of these: add a new record")).to_be_visible()
    assert_accessible(page, "the referral page with the SPOC's steps")
    existing.check()
    log.get_by_label("Notes (optional)").fill("Matches the record we already hold.")
    log.get_by_role("button", name="Log contact").click()
    expect_saved(page, State.LOGGED)
    expect(page.get_by_role("link", name="Maisie Fenwick")).to_have_attribute("href", f"/children/{known.public_id}/")
    assert_accessible(page, "the referral page once logged")
    referral.refresh_from_db()
    assert (referral.state, referral.child_id) == (State.LOGGED, known.pk)
    assert Child.objects.count() == 1, "No second record was made for the same child"

    # Triage screens it ----------------------------------------------------------------------------------------------
    page = page_for(people["triage"])
    open_from_queue(page, "Triage queue", "Maisie Fenwick")
    assert_accessible(page, "the triage queue")
    page.get_by_role("link", name="Maisie Fenwick").click()
    screen = action_form(page, "screen")
    screen.get_by_role("button", name="Save screening").click()  # nothing written yet: refused, nothing changed
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(1)
    assert_accessible(page, "the referral page with a refused screening")
    summary.get_by_role("link").click()
    notes = action_form(page, "screen").get_by_label("What did the screening find?")
    expect(notes).to_be_focused()
    assert Referral.objects.get().state == State.LOGGED
    notes.fill("Several indicators of sexual exploitation.")
    screen.get_by_role("button", name="Save screening").click()
    expect_saved(page, State.SCREENED)
    assert_accessible(page, "the referral page once screened")

    # The triage manager rates it and sends it to the MASH -----------------------------------------------------------
    page = page_for(people["triage_manager"])
    open_from_queue(page, "Triage queue", "Maisie Fenwick")
    page.get_by_role("link", name="Maisie Fenwick").click()
    decision = action_form(page, "send_to_mash")
    assert_accessible(page, "the referral page with the triage manager's steps")
    decision.get_by_label("Child protection").check()
    decision.get_by_label("Amber").check()
    decision.get_by_label("Reason for the rating").fill("Older men, unexplained gifts: several CSE indicators.")
    decision.get_by_role("button", name="Send to the MASH").click()
    expect_saved(page, State.WITH_MASH)
    expect(page.get_by_text("Amber: Older men, unexplained gifts")).to_be_visible()
    assert_accessible(page, "the referral page once with the MASH")

    # The police MASH worker records what the police hold ------------------------------------------------------------
    page = page_for(people["mash_police"])
    open_from_queue(page, "MASH queue", "Maisie Fenwick")
    expect(page.get_by_test_id("queue")).to_contain_text("RAG Amber")
    assert_accessible(page, "the MASH queue")
    page.get_by_role("link", name="Maisie Fenwick").click()
    check = action_form(page, "mash_check")
    check.get_by_label("Yes").check()
    check.get_by_label("What your agency holds").fill("The car's registration is known to the police.")
    check.get_by_role("button", name="Save check").click()
    expect_saved(page, State.WITH_MASH)
    expect(page.get_by_test_id("mash-checks")).to_contain_text("Police Public Protection Unit")
    assert_accessible(page, "the referral page after the police check")

    # Another MASH worker rates it again and co-allocates it to Evolve ------------------------------------------------
    page = page_for(people["mash"])
    open_from_queue(page, "MASH queue", "Maisie Fenwick")
    page.get_by_role("link", name="Maisie Fenwick").click()
    co_allocate = action_form(page, "co_allocate")
    assert_accessible(page, "the referral page with the MASH's steps")
    co_allocate.get_by_label("Red").check()
    co_allocate.get_by_label("Section 47 (child protection enquiry)").check()
    co_allocate.get_by_label("Reason for the rating").fill("Police intelligence confirms the risk.")
    co_allocate.get_by_label("Co-allocate to", exact=True).select_option(label=team.name)
    co_allocate.get_by_role("button", name="Co-allocate to Evolve").click()
    expect_saved(page, State.CO_ALLOCATED)
    assert_accessible(page, "the referral page once co-allocated")
    referral.refresh_from_db()
    assert (referral.state, referral.threshold, referral.rag_1, referral.rag_2, referral.intervention) == (
        State.CO_ALLOCATED,
        Referral.Threshold.CHILD_PROTECTION,
        Referral.Rag.AMBER,
        Referral.Rag.RED,
        Referral.Intervention.SECTION_47,
    )
    known.refresh_from_db()
    assert known.open_to_team_id == team.pk, "The child's record is now open to the Evolve team"

    # The team manager and detective sergeant are told, in the app and by email (with no child's details in it) -----
    detail_path = f"/referrals/{referral.public_id}/"
    told = Notification.objects.filter(subject=CO_ALLOCATED_SUBJECT)
    assert sorted(told.values_list("user__username", flat=True)) == ["ds", "tm"]
    assert set(told.values_list("url", flat=True)) == {detail_path}
    emails = [message for message in eager_email if CO_ALLOCATED_SUBJECT in message.subject]
    assert sorted(address for message in emails for address in message.to) == [
        "ds@evolve.invalid",
        "tm@evolve.invalid",
    ]
    for message in emails:
        assert detail_path in message.body
        assert "Maisie" not in message.subject + message.body and "Fenwick" not in message.subject + message.body
    assert all(notification.emailed_at for notification in told)

    # The team manager sees the notification, follows its link and sees every step ----------------------------------
    page = page_for(people["tm"])
    notifications_link = page.get_by_test_id("notifications-link")
    expect(notifications_link).to_have_text(re.compile(r"^Notifications\s+1 new$"))
    notifications_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    listed = page.get_by_test_id("notifications")
    expect(listed.get_by_role("link")).to_have_text([CO_ALLOCATED_SUBJECT])
    expect(listed).to_contain_text("co-allocated to Evolve for the daily review")
    assert_accessible(page, "the team manager's notifications")
    listed.get_by_role("link", name=CO_ALLOCATED_SUBJECT).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(detail_path)}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral about Maisie Fenwick")
    expect(state_tag(page)).to_have_text("Co-allocated to Evolve")
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator(".moj-timeline__title")).to_have_text(
        [
            "MASH co-allocated to Evolve: second RAG rating red, Section 47 (child protection enquiry)",
            "PPU recorded its MASH check: holds information",
            "Triage manager sent the contact to the MASH, first RAG rating Amber",
            "Triage screened the contact",
            "SPOC logged the contact",
            "Tess Marlowe (Hilltop School) submitted a Multi-Agency Referral Form",
        ]
    )
    expect(timeline.locator(".moj-timeline__byline")).to_have_text(
        [
            "by Maya Shah, CS",
            "by Mo Khan, PPU",
            "by Tamsin Reid, CS",
            "by Tariq Ahmed, CS",
            "by Sam Pocock, CS",
            "by Tess Marlowe, Hilltop",
        ]
    )
    expect(timeline).to_contain_text("Police intelligence confirms the risk.")
    # No step for the team manager to take on the referral itself (only its clocks, which managers may pause).
    expect(page.locator("main form:not([action*='/clocks/'])")).to_have_count(0)
    assert_accessible(page, "the referral page as the team manager sees it")

    # And the teacher sees what became of their referral.
    teacher_page.reload()
    expect(state_tag(teacher_page)).to_have_text("Co-allocated to Evolve")
    assert_accessible(teacher_page, "the referral page once co-allocated, as the teacher sees it")
