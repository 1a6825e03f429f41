"""A referrer who uses only the keyboard signs in, opens the Multi-Agency Referral Form, is told what is missing
when they send it too soon, and sends it (WCAG 2.1.1 keyboard, 2.1.2 no keyboard trap, 2.4.3 focus order, 3.3.1
error identification). No clicks and no filling: every key is pressed as a person would press it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from evolve.accounts.models import User
from referrals.models import Referral
from referrals.states import State
from risk.models import Indicator
from tests.browser.conftest import PASSWORD, current_totp

CONCERN = "She told me an older man picks her up from the school gates and gives her vodka."

DESCRIBE_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "body";
  return el.id ? "#" + el.id : el.tagName.toLowerCase() + ":" + (el.textContent || "").trim().slice(0, 40);
}"""


def tab_to(page: Page, target: Locator, max_presses: int = 200) -> int:
    """Press Tab until `target` has focus; the number of presses it took. Fails, listing where focus went, if it
    never arrives (it is not reachable, or focus is trapped)."""
    visited = []
    for presses in range(max_presses + 1):
        if target.evaluate("el => el === document.activeElement"):
            return presses
        page.keyboard.press("Tab")
        visited.append(str(page.evaluate(DESCRIBE_FOCUSED)))
    raise AssertionError(f"{target} never had focus after {max_presses} presses of Tab. Focus went to: {visited}")


def tab_next(page: Page, target: Locator) -> None:
    """One press of Tab moves focus to `target`: it comes straight after what has focus now."""
    page.keyboard.press("Tab")
    expect(target).to_be_focused()


@pytest.mark.browser
def test_a_referrer_completes_and_sends_a_marf_with_the_keyboard_alone(
    page: Page,
    teacher: User,
    catalogue: list[Indicator],
    assert_accessible: Callable[[Page, str], None],
) -> None:
    # Sign in, sent there by the page they asked for.
    page.goto("/referrals/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Evolve")
    tab_to(page, page.locator("#id_username"))
    page.keyboard.type(teacher.username)
    tab_next(page, page.locator("#id_password"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Security code")
    tab_to(page, page.locator("#id_code"))
    page.keyboard.type(current_totp(teacher))
    page.keyboard.press("Enter")

    # The list of referrals, the start page, the form.
    expect(page.get_by_role("heading", level=1)).to_have_text("Referrals")
    tab_to(page, page.get_by_role("link", name="Make a referral"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a referral about a child")
    tab_to(page, page.get_by_role("button", name="Start now"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell us about the child and your concern")

    # The child, field after field in the order they are read.
    tab_to(page, page.get_by_label("First name"))
    page.keyboard.type("Maisie")
    tab_next(page, page.get_by_label("Last name"))
    page.keyboard.type("Fenwick")
    tab_next(page, page.get_by_label("Day"))
    page.keyboard.type("2")
    tab_next(page, page.get_by_label("Month"))
    page.keyboard.type("6")
    tab_next(page, page.get_by_label("Year"))
    page.keyboard.type("2011")

    # Sent too soon (no concern yet): the error summary takes focus, is announced, and links to each problem.
    tab_to(page, page.get_by_role("button", name="Send referral"))
    page.keyboard.press("Enter")
    expect(page).to_have_title("Multi-Agency Referral Form (error) - Evolve")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("alert")).to_contain_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(
        [
            "Describe your concern about the child",
            "Select whether the child is at immediate risk",
            "Select whether the child (or their parent) agreed to the referral",
        ]
    )
    expect(page.get_by_label("First name")).to_have_value("Maisie")
    expect(page.get_by_label("Year")).to_have_value("2011")
    assert_accessible(page, "the MARF after a refused send, reached by keyboard")
    draft = Referral.objects.get(referrer=teacher)
    assert draft.state == State.DRAFT

    # From the summary's first link straight to the concern.
    tab_next(page, summary.get_by_role("link", name="Describe your concern about the child"))
    page.keyboard.press("Enter")
    concern = page.get_by_label("What are you worried about?")
    expect(concern).to_be_focused()
    page.keyboard.type(CONCERN)

    # The indicators: Tab reaches each box, Space ticks one.
    first, second, third = (page.get_by_label(indicator.text) for indicator in catalogue)
    tab_next(page, first)
    tab_next(page, second)
    page.keyboard.press("Space")
    expect(second).to_be_checked()
    tab_next(page, third)

    # Urgency: nothing is chosen for the referrer; one Tab stop for the group, Space chooses, arrows move the choice.
    urgent = page.get_by_label("Urgent: the child may be at immediate risk")
    not_urgent = page.get_by_label("Not urgent", exact=True)
    expect(urgent).not_to_be_checked()
    expect(not_urgent).not_to_be_checked()
    tab_next(page, urgent)
    page.keyboard.press("Space")
    expect(urgent).to_be_checked()
    page.keyboard.press("ArrowDown")
    expect(not_urgent).to_be_checked()
    expect(not_urgent).to_be_focused()

    # Agreement: the first answer, "Sought and given", chosen with Space.
    given = page.get_by_label("Sought and given")
    tab_next(page, given)
    page.keyboard.press("Space")
    expect(given).to_be_checked()
    expect(given).to_be_focused()

    # Past the optional questions, through to Send: nothing on the way holds focus.
    presses = tab_to(page, page.get_by_role("button", name="Send referral"), max_presses=12)
    assert presses == 6, f"Expected 6 stops after the agreement (reason, role, phone, email, file, send): {presses}"
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/referrals/{draft.public_id}/$"))
    expect(page.get_by_role("alert")).to_contain_text("Referral sent")
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral about Maisie Fenwick")
    expect(page.locator("main .govuk-tag").first).to_have_text("Received by SPOC")
    assert_accessible(page, "the referral page once sent by keyboard")
    referral = Referral.objects.get(pk=draft.pk)
    assert referral.state == State.SUBMITTED
    assert (referral.child_first_name, referral.child_last_name) == ("Maisie", "Fenwick")
    assert referral.child_date_of_birth is not None and referral.child_date_of_birth.isoformat() == "2011-06-02"
    assert referral.concern == CONCERN
    assert (referral.urgency, referral.consent) == (Referral.Urgency.ROUTINE, Referral.Consent.GIVEN)
    assert list(referral.indicators.all()) == [catalogue[1]]
