"""Signing in with the keyboard alone (WCAG 2.1.1, 2.4.1, 2.4.3, 2.4.7)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from evolve.accounts.models import User
from tests.browser.conftest import PASSWORD, current_totp

FOCUSED = """() => {
  const el = document.activeElement;
  return el.id ? "#" + el.id : el.tagName.toLowerCase() + ":" + el.textContent.trim();
}"""


def focused(page: Page) -> str:
    return str(page.evaluate(FOCUSED))


@pytest.mark.browser
def test_skip_link_comes_first_and_sign_in_works_with_the_keyboard_alone(page: Page, team_member: User):
    page.goto("/accounts/login/")
    skip_link = page.get_by_role("link", name="Skip to main content")
    # Hidden until it has focus, then shown where a sighted keyboard user can see it.
    width_unfocused = skip_link.bounding_box()
    assert width_unfocused is not None and width_unfocused["width"] <= 1, "The skip link shows before it has focus"

    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(focused(page))
    assert order == ["a:Skip to main content", "a:Evolve", "#id_username", "#id_password", "button:Continue"]

    # From the top again: the skip link is visible when focused, and Enter jumps past the header to the form.
    page.reload()
    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    box = skip_link.bounding_box()
    assert box is not None and box["width"] > 50 and box["height"] > 10, f"The focused skip link is not shown: {box}"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("#id_username")).to_be_focused()

    page.keyboard.type(team_member.username)
    page.keyboard.press("Tab")
    expect(page.locator("#id_password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    # The security code page. The redirect keeps the #main-content fragment (as browsers do when the new address has
    # none), so the page opens at the main content and the first Tab reaches the code.
    expect(page.get_by_role("heading", level=1)).to_have_text("Security code")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/\?next=%2F#main-content$"))
    page.keyboard.press("Tab")
    expect(page.locator("#id_code")).to_be_focused()
    page.keyboard.type(current_totp(team_member))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Amira")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("Amira Okafor")
