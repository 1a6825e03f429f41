"""A child's name holding markup, in a real browser (issue 8 acceptance): the pages show it as text and nothing in
it runs; and the Content-Security-Policy itself stops inline script and inline event handlers, were any markup ever
to reach a page unescaped.

The page gets a listener for `securitypolicyviolation` before any of its own script runs (an init script, which
Playwright injects past the CSP): each refusal is recorded in `window.__violations`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from evolve.accounts.models import User
from evolve.accounts.password_reset import password_reset_link
from evolve.accounts.roles import Role
from tests.browser.conftest import sign_in
from tests.factories import ChildFactory, totp_device

FIRST = "<script>window.__xss=1</script>"
LAST = '"><img src=x onerror="window.__xss=2">'
WATCH_CSP = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push({directive: event.effectiveDirective, blocked: event.blockedURI, sample: event.sample});
});
"""


@pytest.fixture
def watched_page(browser: Browser, live_server: Any) -> Iterator[tuple[Page, list[str]]]:
    """A page in a context of its own (like the `page` fixture) that records every script error and console error
    for the test to judge: the refusals this test provokes are console errors it expects."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    context.add_init_script(script=WATCH_CSP)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    yield page, problems
    context.close()


def _violations(page: Page) -> list[dict[str, str]]:
    return list(page.evaluate("window.__violations"))


def _nothing_ran(page: Page) -> None:
    assert page.evaluate("window.__xss") is None
    assert page.locator('img[src="x"]').count() == 0, "the name made an element"


@pytest.mark.browser
def test_markup_in_a_childs_name_is_text_and_the_csp_blocks_inline_script(
    watched_page: tuple[Page, list[str]], transactional_db: None, make_user: Callable[..., User]
) -> None:
    page, problems = watched_page
    manager = make_user(Role.TEAM_MANAGER, in_team=True, username="tessa", first_name="Tessa", last_name="Manley")
    totp_device(manager)
    child = ChildFactory.create(first_name=FIRST, last_name=LAST, open_to_team=manager.team)
    sign_in(page, manager)

    # The child's record and the list of children: the name is shown as it was typed, and nothing in it ran. The
    # markup was escaped, so the CSP had nothing to refuse.
    page.goto(f"/children/{child.public_id}/")
    expect(page.get_by_test_id("child-name")).to_have_text(f"{FIRST} {LAST}")
    _nothing_ran(page)
    assert _violations(page) == []
    page.goto("/children/")
    expect(page.get_by_role("link", name=f"{FIRST} {LAST}")).to_be_visible()
    _nothing_ran(page)
    assert _violations(page) == []
    assert problems == [], problems

    # Were markup ever to reach the page unescaped, the policy would stop it: an inline script put into the page...
    with pytest.raises(PlaywrightError, match="violates the following Content Security Policy directive"):
        page.add_script_tag(content="window.__xss = 3;")
    # ...and an inline event handler, as the name's <img onerror> would have been.
    page.evaluate("""document.body.insertAdjacentHTML("beforeend", '<img src="x" onerror="window.__xss = 4">')""")
    page.wait_for_function("window.__violations.length >= 2")
    assert page.evaluate("window.__xss") is None, "the injected script ran"
    directives = {violation["directive"] for violation in _violations(page)}
    assert directives == {"script-src-elem", "script-src-attr"}, _violations(page)
    # The browser reports each refusal (and the missing image) on the console: those are expected; nothing else.
    unexpected = [
        text for text in problems if "Content Security Policy" not in text and "Failed to load resource" not in text
    ]
    assert unexpected == [], unexpected
    assert any("Content Security Policy" in text for text in problems)


@pytest.mark.browser
def test_the_password_reset_pages_are_accessible(
    page: Page, transactional_db: None, make_user: Callable[..., User], assert_accessible: Callable[[Page, str], None]
) -> None:
    """The pages added beside sign-in with the reset (no CSP refusal on any of them: the `page` fixture fails on
    console errors)."""
    user = make_user(Role.PRACTITIONER, in_team=True, username="amira", email="amira@cs.invalid")
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    assert_accessible(page, "the reset request page with an error")
    page.fill("#id_email", "amira@cs.invalid")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(page, "the reset sent page")

    page.goto(password_reset_link(user=user).removeprefix(django_settings.SITE_URL))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.fill("#id_new_password1", "short")
    page.fill("#id_new_password2", "other")
    page.get_by_role("button", name="Reset password").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the same password twice")
    assert_accessible(page, "the new password page with an error")
    page.fill("#id_new_password1", "lantern-quarry-heather-42")
    page.fill("#id_new_password2", "lantern-quarry-heather-42")
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Your password has been reset")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Evolve")

    page.goto("/accounts/password/reset/not-a-real-key-0000000000000000/abc-123/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    assert_accessible(page, "the page for a link that does not work")
